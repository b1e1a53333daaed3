import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Where a worker thread's entry is. From TypeScript sources (tests, tsx) it is the .ts file
 * beside this one, compiled by tsx's require hook (Node 20 ignores `--import tsx` for a worker's
 * entry); in the bundled app it is the .cjs the build writes to dist/main/workers/, beside the
 * bundle that imported this module.
 */
export function workerEntry(name: string): { file: string; execArgv: string[] } {
  if (__filename.endsWith('.ts')) {
    return {
      file: path.join(__dirname, `${name}.ts`),
      execArgv: ['--require', createRequire(__filename).resolve('tsx/cjs')],
    };
  }
  return { file: path.join(__dirname, 'workers', `${name}.cjs`), execArgv: [] };
}
