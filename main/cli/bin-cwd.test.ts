import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = path.resolve(__dirname, '..', '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-cwd-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs bin/graft.cjs as `npm run graft` does (from the package folder) and returns the CLI's working folder. */
function cwdOfCli(env: Record<string, string>): string {
  const hook = path.join(dir, 'hook.cjs');
  const out = path.join(dir, 'cwd.txt');
  fs.writeFileSync(
    hook,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, process.cwd()));`,
  );
  const r = spawnSync(process.execPath, ['--require', hook, path.join(repo, 'bin', 'graft.cjs'), '--help'], {
    cwd: repo,
    env: { ...process.env, npm_lifecycle_event: '', INIT_CWD: '', ...env },
    encoding: 'utf8',
  });
  expect(r.status).toBe(0);
  return fs.readFileSync(out, 'utf8');
}

describe('bin/graft.cjs under npm run graft', () => {
  it('works in the folder the command was typed in, so relative photo paths resolve there', () => {
    const typedIn = fs.realpathSync(dir);
    expect(cwdOfCli({ npm_lifecycle_event: 'graft', INIT_CWD: typedIn })).toBe(typedIn);
    // Run directly (not through npm), the shell's folder is already the working folder.
    expect(cwdOfCli({})).toBe(repo);
  });
});
