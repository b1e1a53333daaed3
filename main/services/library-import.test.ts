import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeBrokenCorpus, writeClassPhoto, writeLabelledFolder } from '../../e2e/fixtures/photo-corpus';
import type { GraftApp } from './graft-app';
import { tempGraftApp } from './test-app';
import { thumbnailPath } from './thumbnails';

let env: ReturnType<typeof tempGraftApp>;
let app: GraftApp;
beforeEach(() => {
  env = tempGraftApp();
  app = env.app;
});
afterEach(() => env.cleanup());

async function importFolder(projectId: number, folder: string, labelsFromSubfolders = false) {
  const f = app.folders.add(projectId, folder, labelsFromSubfolders);
  return { folder: f, summary: await app.importer.start(f.id).done };
}

describe('importing a photo folder', () => {
  it('imports good photos, reports every broken file with its reason and keeps going', async () => {
    const photos = path.join(env.dir, 'photos');
    await writeLabelledFolder(photos, { cats: 6, dogs: 4 });
    const corpus = await writeBrokenCorpus(path.join(photos, 'odd'));
    const project = app.projects.create('Pets');

    const { summary } = await importFolder(project.id, photos, true);

    const broken = Object.keys(corpus.unreadable).length;
    expect(summary.status).toBe('finished');
    expect(summary.scanned).toBe(10 + broken + corpus.readable.length);
    expect(summary.unreadable).toBe(broken);
    expect(summary.added).toBe(10 + corpus.readable.length);
    const problems = app.images.problems(project.id);
    expect(Object.fromEntries(problems.map((p) => [path.basename(p.relPath), p.errorCode]))).toEqual(corpus.unreadable);
    const reasons = Object.fromEntries(problems.map((p) => [path.basename(p.relPath), p.error]));
    expect(reasons['truncated.jpg']).toMatch(/truncated/);
    expect(reasons['zero-bytes.jpg']).toMatch(/empty/);
    expect(reasons['notes-renamed.jpg']).toMatch(/not an image/);
    expect(reasons['bomb-20000x20000.png']).toMatch(/20000×20000/);
    expect(app.projects.get(project.id)).toMatchObject({
      imageCount: 10 + corpus.readable.length,
      problemCount: broken,
    });
  });

  it('honours EXIF orientation and decodes CMYK, BMP and unicode-named files', async () => {
    const photos = path.join(env.dir, 'odd');
    await writeBrokenCorpus(photos);
    const project = app.projects.create('Odd');
    await importFolder(project.id, photos);
    const byName = new Map(app.images.list(project.id, { kind: 'all' }).map((r) => [r.name, app.images.get(r.id)]));

    expect(byName.get('exif-rotated.jpg')).toMatchObject({ width: 100, height: 200 });
    const thumb = await sharp(
      thumbnailPath(app.ctx.paths.thumbnails, byName.get('exif-rotated.jpg')!.contentHash!),
    ).metadata();
    expect(thumb.height).toBeGreaterThan(thumb.width!);
    expect(byName.get('cmyk.jpg')?.status).toBe('ok');
    expect(byName.get('scanner.bmp')).toMatchObject({ status: 'ok', width: 64, height: 48 });
    expect(byName.get('café ñ 写真.png')?.status).toBe('ok');
    expect(byName.get('with space.webp')?.status).toBe('ok');
    const preview = await app.images.preview(byName.get('café ñ 写真.png')!.id);
    expect(preview.body.length).toBeGreaterThan(100);
  });

  it('labels from sub-folder names and takes splits from train/val folders', async () => {
    const photos = path.join(env.dir, 'hymen');
    await writeLabelledFolder(path.join(photos, 'train'), { ants: 3, bees: 2 });
    await writeLabelledFolder(path.join(photos, 'val'), { ants: 1, bees: 1 }, { startIndex: 50 });
    const project = app.projects.create('Hymen');
    const { summary } = await importFolder(project.id, photos, true);

    expect(summary.labelled).toBe(7);
    const classes = app.classes.list(project.id);
    expect(classes.map((c) => [c.name, c.count])).toEqual([
      ['ants', 4],
      ['bees', 3],
    ]);
    expect(app.splits.summary(project.id).perClass.map((p) => [p.train, p.val, p.test])).toEqual([
      [3, 1, 0],
      [2, 1, 0],
    ]);
  });

  it('re-scans without duplicating, marks deleted files missing and follows moved ones', async () => {
    const photos = path.join(env.dir, 'photos');
    const files = await writeLabelledFolder(photos, { a: 3, b: 3 });
    const project = app.projects.create('Rescan');
    const { folder } = await importFolder(project.id, photos, true);

    const first = app.images.list(project.id, { kind: 'all' });
    const moved = first.find((r) => r.name === 'a-0000.jpg')!;
    app.labels.assign(project.id, [moved.id], app.classes.list(project.id)[1].id);
    fs.mkdirSync(path.join(photos, 'elsewhere'));
    fs.renameSync(files[0], path.join(photos, 'elsewhere', 'renamed.jpg'));
    fs.rmSync(files[1]);
    await writeClassPhoto(path.join(photos, 'a', 'new.jpg'), 0, 77);

    const second = await app.importer.start(folder.id).done;
    expect(second).toMatchObject({ added: 1, updated: 1, unchanged: 4, missing: 1, duplicates: 0 });
    const rows = app.images.list(project.id, { kind: 'all' });
    expect(rows).toHaveLength(6);
    const follow = app.images.get(moved.id);
    expect(follow.relPath).toBe('elsewhere/renamed.jpg');
    expect(follow.classId).toBe(app.classes.list(project.id)[1].id);
    expect(app.images.problems(project.id).map((p) => [p.relPath, p.status])).toEqual([['a/a-0001.jpg', 'missing']]);

    const third = await app.importer.start(folder.id).done;
    expect(third).toMatchObject({ added: 0, updated: 0, unchanged: 6, missing: 0 });
  });

  it('imports a copy of a photo once and counts the copy as a duplicate', async () => {
    const photos = path.join(env.dir, 'dups');
    const [original] = await writeLabelledFolder(photos, { x: 2 });
    fs.copyFileSync(original, path.join(photos, 'copy.jpg'));
    const project = app.projects.create('Dups');
    const { summary } = await importFolder(project.id, photos);
    expect(summary).toMatchObject({ added: 2, duplicates: 1 });
    expect(app.images.list(project.id, { kind: 'all' })).toHaveLength(2);
  });

  it('reports a moved-away folder clearly and keeps its records', async () => {
    const photos = path.join(env.dir, 'gone');
    await writeLabelledFolder(photos, { a: 2 });
    const project = app.projects.create('Gone');
    const { folder } = await importFolder(project.id, photos, true);
    fs.renameSync(photos, `${photos}-moved`);

    expect(() => app.importer.start(folder.id)).toThrow(/no longer exists/);
    expect(app.folders.list(project.id)[0].present).toBe(false);
    const problems = app.images.problems(project.id);
    expect(problems.map((p) => p.errorCode)).toEqual(['FOLDER_MISSING', 'FOLDER_MISSING']);
    expect(app.classes.list(project.id)[0].count).toBe(0);
  });

  it('cancels an import, leaving a consistent cancelled job', async () => {
    const photos = path.join(env.dir, 'many');
    await writeLabelledFolder(photos, { a: 40 }, { width: 640, height: 480 });
    const project = app.projects.create('Cancel');
    const folder = app.folders.add(project.id, photos, false);
    const run = app.importer.start(folder.id);
    await new Promise<void>((resolve) => {
      const off = app.ctx.events.subscribe((event, payload) => {
        if (event === 'import:progress' && (payload as { done: number }).done >= 1) {
          off();
          app.importer.cancel(run.jobId);
          resolve();
        }
      });
    });
    const summary = await run.done;
    expect(summary.status).toBe('cancelled');
    expect(summary.added).toBeLessThan(40);
    expect(app.images.list(project.id, { kind: 'all' })).toHaveLength(summary.added);
    expect(app.importer.last(folder.id)?.status).toBe('cancelled');
  });

  it('emits progress with rate and ETA', async () => {
    const photos = path.join(env.dir, 'progress');
    await writeLabelledFolder(photos, { a: 5 });
    const project = app.projects.create('Progress');
    const events: { done: number; total: number }[] = [];
    app.ctx.events.subscribe((event, payload) => {
      if (event === 'import:progress') events.push(payload as { done: number; total: number });
    });
    await importFolder(project.id, photos);
    expect(events.at(-1)).toMatchObject({ done: 5, total: 5 });
  });
});
