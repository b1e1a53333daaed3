import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A fresh clone, made in a temporary folder: every file git tracks or would track, no dist/.
const repo = path.resolve(__dirname, '..', '..');
const clone = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-clone-'));
beforeAll(() => {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: repo,
    encoding: 'utf8',
  });
  for (const file of listed.split('\0').filter(Boolean)) {
    if (!fs.existsSync(path.join(repo, file))) continue; // deleted in the working tree
    fs.mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
    fs.copyFileSync(path.join(repo, file), path.join(clone, file));
  }
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(clone, 'node_modules'));
});
afterAll(() => fs.rmSync(clone, { recursive: true, force: true }));

function graft(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(clone, 'bin', 'graft.cjs'), ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const BUILD_LINE = 'graft: building the command line first (node scripts/build-main.mjs)…';

describe('bin/graft.cjs on a fresh clone', () => {
  it('builds the node side once, saying so in one line, and again only after a source changes', () => {
    const first = graft('projects', '--help');
    expect(first.stderr.trim()).toBe(BUILD_LINE);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^Usage: graft projects/);
    expect(fs.existsSync(path.join(clone, 'dist', 'main', 'cli.cjs'))).toBe(true);

    const second = graft('projects', '--help');
    expect(second.stderr).toBe('');
    expect(second.stdout).toBe(first.stdout);

    const later = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(clone, 'common', 'errors.ts'), later, later);
    expect(graft('--help').stderr.trim()).toBe(BUILD_LINE);
  });
});
