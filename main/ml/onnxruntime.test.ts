import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');
const WRAPPER = path.join('main', 'ml', 'onnxruntime.ts');

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .flatMap((entry) =>
      entry.isFile() && /\.(ts|mts|cts)$/.test(entry.name) ? [path.join(entry.parentPath, entry.name)] : [],
    );
}

describe('onnxruntime telemetry', () => {
  it('is loaded only through main/ml/onnxruntime.ts, which switches telemetry off first', () => {
    const valueImport =
      /^\s*import\s+(?!type\b)[^;]*from\s+['"]onnxruntime-node['"]|^[^'"`\n]*require\(['"]onnxruntime-node['"]\)/m;
    const offenders = ['main', 'bench', 'e2e']
      .flatMap((dir) => sourceFiles(path.join(ROOT, dir)))
      .map((file) => path.relative(ROOT, file))
      .filter((file) => file !== WRAPPER && valueImport.test(fs.readFileSync(path.join(ROOT, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('writes no telemetry cache and starts no telemetry when a worker session runs', () => {
    // A child process with a clean environment (no ORT_DISABLE_TELEMETRY) and its own HOME: the
    // runtime's telemetry writes ~/.cache/Microsoft/DeveloperTools/.onnxruntime/onnxruntime.db
    // on the first session when it is on.
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-ort-home-'));
    const script = `
      const { WorkerInferenceSession } = require(${JSON.stringify(path.join(ROOT, 'main/ml/embedding/worker-session.ts'))});
      const { floatClassifier } = require(${JSON.stringify(path.join(ROOT, 'main/ml/onnx/onnx-fixtures.ts'))});
      WorkerInferenceSession.create(floatClassifier(), {}).then(async (session) => {
        console.log('inputs', session.inputNames.join(','));
        await session.release();
      });`;
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CACHE_HOME: path.join(home, '.cache') };
      delete env.ORT_DISABLE_TELEMETRY;
      const result = spawnSync(
        process.execPath,
        ['--require', createRequire(__filename).resolve('tsx/cjs'), '-e', script],
        { env, encoding: 'utf8', timeout: 60_000 },
      );
      expect(result.stderr).toBe('');
      expect(result.stdout.trim()).toBe('inputs input');
      expect(fs.readdirSync(home)).toEqual([]);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
