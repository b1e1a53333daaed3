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
    const partialRun = write(path.join(root, 'experiments', '4.partial', 'run.json'));
    // A run folder without its run (deleted, or its project deleted) goes too: run-owned-files.test.ts keeps live runs'.
    const orphanRun = write(path.join(root, 'experiments', '3', 'run.json'));

    const app = new GraftApp({ dataDir: root });
    app.close();

    const exists = (file: string) => fs.existsSync(file);
    expect([thumb, liveThumb, model].filter(exists)).toEqual([thumb, liveThumb, model]);
    expect([staleThumb, staleModel, path.dirname(partialRun), orphanRun].filter(exists)).toEqual([]);
  });
});

describe('start-up after a kill while an export replaced an earlier one', () => {
  function cutOffExport(target: string): void {
    const app = new GraftApp({ dataDir: path.join(dir, 'data') });
    const db = app.ctx.db;
    db.prepare(`INSERT OR IGNORE INTO projects (id, name, created_at) VALUES (1, 'P', 'now')`).run();
    db.prepare(
      `INSERT OR IGNORE INTO experiments (id, project_id, name, status, backbone_id, technique, config, snapshot, started_at)
       VALUES (1, 1, 'run', 'finished', 'b', 'head', '{}', '{}', 'now')`,
    ).run();
    db.prepare(
      `INSERT INTO exports (experiment_id, format, path, status, created_at) VALUES (1, 'onnx', ?, 'running', 'now')`,
    ).run(target);
    app.close();
  }

  it('puts the earlier export back when the new one never arrived, and removes it when it did', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-sweep-'));
    const target = path.join(dir, 'out', 'model');
    const earlier = write(path.join(`${target}.graft-old-1a2b3c4d`, 'model.onnx'), 'earlier');
    cutOffExport(target);
    new GraftApp({ dataDir: path.join(dir, 'data') }).close();
    expect(fs.readFileSync(path.join(target, 'model.onnx'), 'utf8')).toBe('earlier');
    expect(fs.existsSync(path.dirname(earlier))).toBe(false);

    const stale = write(path.join(`${target}.graft-old-5e6f7a8b`, 'model.onnx'), 'stale');
    cutOffExport(target);
    const app = new GraftApp({ dataDir: path.join(dir, 'data') });
    app.close();
    expect(fs.readFileSync(path.join(target, 'model.onnx'), 'utf8')).toBe('earlier');
    expect(fs.existsSync(path.dirname(stale))).toBe(false);
  });
});
