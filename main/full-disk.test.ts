// Issue 10 item 21: import, training and export on a full file system fail with one clear
// message (DISK_FULL), never blame a photo, leave the database consistent and no job running;
// Graft starts read-only on a disk with 0 bytes free. The data directory lives on a small tmpfs
// (needs root or CAP_SYS_ADMIN); where it cannot be mounted the suite is skipped, saying why.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toErrorPayload } from '../common/errors';
import { writeLabelledFolder } from '../e2e/fixtures/photo-corpus';
import { DEFAULT_BACKBONE_ID } from './ml/backbones/bundled-backbones';
import { GraftApp } from './services/graft-app';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-full-disk-'));
const disk = path.join(scratch, 'disk');
const photos = path.join(scratch, 'photos');
fs.mkdirSync(disk);

/** Mounts a 32 MiB tmpfs on `disk`; returns why not when it cannot. */
function mountSmallDisk(): string | null {
  if (process.platform !== 'linux') return `tmpfs needs Linux (this is ${process.platform})`;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', disk], { stdio: 'pipe' });
    return null;
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '').trim();
    return `cannot mount a size-limited tmpfs (${stderr || (err as Error).message}); run as root to include it`;
  }
}

const skipReason = mountSmallDisk();
const dataDir = path.join(disk, 'data');
const filler = path.join(disk, 'filler');

/** Fills the disk, leaving about `leaveBytes` free (0: to the last byte). */
function fillDisk(leaveBytes = 0): void {
  const fd = fs.openSync(filler, 'a');
  const room = fs.statfsSync(disk).bavail * fs.statfsSync(disk).bsize - leaveBytes;
  if (room > 0) fs.writeSync(fd, Buffer.alloc(room, 1));
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (let size = leaveBytes > 0 ? 0 : chunk.length; size >= 1; size = Math.floor(size / 2)) {
      for (;;) {
        try {
          fs.writeSync(fd, chunk, 0, size);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
          break;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  if (leaveBytes === 0) expect(fs.statfsSync(disk).bavail).toBe(0);
}

/** Moves the WAL's contents into the database and truncates it, so every later write needs new room. */
function checkpoint(app: GraftApp): void {
  app.ctx.db.pragma('wal_checkpoint(TRUNCATE)');
}

function freeDisk(): void {
  fs.rmSync(filler, { force: true });
}

function integrity(app: GraftApp): string {
  return app.ctx.db.pragma('integrity_check', { simple: true }) as string;
}

function runningJobs(app: GraftApp): number {
  const count = (sql: string) => (app.ctx.db.prepare(sql).get() as { n: number }).n;
  return (
    count(`SELECT COUNT(*) AS n FROM jobs WHERE status = 'running'`) +
    count(`SELECT COUNT(*) AS n FROM experiments WHERE status = 'running'`) +
    count(`SELECT COUNT(*) AS n FROM exports WHERE status = 'running'`)
  );
}

describe.skipIf(skipReason !== null)(`full disk${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let app: GraftApp;
  let projectId: number;
  let folderId: number;
  let experimentId: number;

  beforeAll(async () => {
    await writeLabelledFolder(photos, { red: 15, blue: 15 });
    app = new GraftApp({ dataDir });
    projectId = app.projects.create('Full disk').id;
    folderId = app.folders.add(projectId, photos, true).id;
  });
  afterAll(() => {
    app?.close();
    if (!skipReason) execFileSync('umount', [disk]);
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('stops an import with the disk-full message and marks no readable photo unreadable', async () => {
    // Room for a few thumbnails and rows: the disk fills up part-way through the folder.
    checkpoint(app);
    fillDisk(96 * 1024);
    const summary = await app.importer.start(folderId).done.finally(freeDisk);
    expect(summary.status).toBe('failed');
    expect(summary.error).toMatch(/disk is full/);
    expect(summary.added).toBeGreaterThan(0);
    expect(app.ctx.db.prepare(`SELECT error_code, error FROM images WHERE status = 'unreadable'`).all()).toEqual([]);
    expect(summary.unreadable).toBe(0);
    const unreadable = app.ctx.db.prepare(`SELECT COUNT(*) AS n FROM images WHERE status = 'unreadable'`).get();
    expect(unreadable).toEqual({ n: 0 });
    expect(integrity(app)).toBe('ok');
    expect(runningJobs(app)).toBe(0);

    const again = await app.importer.start(folderId).done;
    expect(again.error).toBeNull();
    expect(again.status).toBe('finished');
    expect(again.unreadable).toBe(0);
    expect(app.ctx.db.prepare(`SELECT COUNT(*) AS n FROM images WHERE status = 'ok'`).get()).toEqual({ n: 30 });
  });

  it('fails a training run whose embeddings cannot be stored with the disk-full message', async () => {
    await app.backbones.prepare(DEFAULT_BACKBONE_ID);
    checkpoint(app);
    // Room to start the run (splits, the experiment row), not for 30 photos' embeddings.
    fillDisk(64 * 1024);
    const run = app.training.start(projectId, { seed: 3 });
    await run.done.finally(freeDisk);
    const detail = app.experiments.get(run.experimentId);
    expect(detail.status).toBe('failed');
    expect(detail.error).toMatch(/disk is full/);
    expect(integrity(app)).toBe('ok');
    expect(runningJobs(app)).toBe(0);

    const retry = app.training.start(projectId, { seed: 3 });
    await retry.done;
    expect(app.experiments.get(retry.experimentId).status).toBe('finished');
    experimentId = retry.experimentId;
  });

  it('fails an export with the disk-full message and leaves no half-written folder', async () => {
    const out = path.join(disk, 'exports');
    fs.mkdirSync(out);
    checkpoint(app);
    // Room for the export's row, not for the model file.
    fillDisk(64 * 1024);
    const { done } = app.exports.start(experimentId, {
      format: 'onnx',
      location: out,
      folderName: 'model',
      rawInput: false,
      overwrite: false,
    });
    const record = await done.finally(freeDisk);
    expect(record.status).toBe('failed');
    expect(record.error).toMatch(/disk is full/);
    expect(fs.readdirSync(out)).toEqual([]);
    expect(integrity(app)).toBe('ok');
    expect(runningJobs(app)).toBe(0);
  });

  it('starts read-only on a disk with 0 bytes free and answers changes with DISK_FULL', () => {
    app.close();
    fillDisk();
    try {
      app = new GraftApp({ dataDir });
      expect(app.readOnly?.code).toBe('DISK_FULL');
      expect(app.projects.list().map((p) => p.name)).toEqual(['Full disk']);
      expect(integrity(app)).toBe('ok');
      const failure = (change: () => unknown) => {
        try {
          change();
        } catch (err) {
          return toErrorPayload(err);
        }
        return null;
      };
      const image = app.ctx.db
        .prepare(
          `SELECT l.image_id AS id FROM labels l JOIN classes c ON c.id = l.class_id WHERE c.name = 'red' LIMIT 1`,
        )
        .get() as { id: number };
      const blue = app.ctx.db.prepare(`SELECT id FROM classes WHERE name = 'blue'`).get() as { id: number };
      // Label calls answered 500 "database or disk is full" before.
      expect(failure(() => app.labels.assign(projectId, [image.id], blue.id))).toEqual({
        code: 'DISK_FULL',
        message: expect.stringMatching(/disk is full/),
      });
      expect(failure(() => app.projects.create('Another'))?.code).toBe('DISK_FULL');
      app.close();
    } finally {
      freeDisk();
    }
    app = new GraftApp({ dataDir });
    expect(app.readOnly).toBeNull();
    expect(integrity(app)).toBe('ok');
    expect(runningJobs(app)).toBe(0);
  });
});
