// Test support: a `graft` CLI run in a child process, killed (SIGKILL) once it prints a line
// matching `when`, as a crash or a power cut would stop it.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Runs the CLI with `args` on `dataDir`, kills it when its output matches `when`, and waits for it to exit. */
export async function killCliWhen(dataDir: string, args: string[], when: RegExp): Promise<void> {
  const tsx = createRequire(__filename).resolve('tsx/cjs');
  const child = spawn(process.execPath, ['--require', tsx, path.join(__dirname, '..', 'cli', 'index.ts'), ...args], {
    env: { ...process.env, GRAFT_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (when.test(out)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`graft ${args[0]} exited early (${code}): ${out}`)));
  });
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
}
