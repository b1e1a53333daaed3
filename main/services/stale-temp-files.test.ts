import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GraftApp } from './graft-app';
import { thumbnailPath } from './thumbnails';

let dir: string;
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(file: string, text = 'x'): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

describe('start-up sweep of temporary files', () => {
  it('removes what a killed process left half-written and keeps finished files and live writers’ temps', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-sweep-'));
    const root = path.join(dir, 'data');
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    const hash = 'ab'.repeat(32);
    const thumbsDir = path.join(root, 'thumbnails');
    const thumb = write(thumbnailPath(thumbsDir, hash));
    const staleThumb = write(`${thumbnailPath(thumbsDir, hash)}.${deadPid}.k3j9x.tmp`);
    const liveThumb = write(`${thumbnailPath(thumbsDir, 'cd'.repeat(32))}.${process.pid}.q1w2e3.tmp`);
    const model = write(path.join(root, 'backbones', 'mobilenet-1.onnx'));
    const staleModel = write(path.join(root, 'backbones', `mobilenet-1.onnx.${deadPid}.1764547200000.tmp`));
    const run = write(path.join(root, 'experiments', '3', 'run.json'));
    const partialRun = write(path.join(root, 'experiments', '4.partial', 'run.json'));

    const app = new GraftApp({ dataDir: root });
    app.close();

    const exists = (file: string) => fs.existsSync(file);
    expect([thumb, liveThumb, model, run].filter(exists)).toEqual([thumb, liveThumb, model, run]);
    expect([staleThumb, staleModel, path.dirname(partialRun)].filter(exists)).toEqual([]);
  });
});
