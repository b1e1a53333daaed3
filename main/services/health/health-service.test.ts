import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HealthFinding } from '../../../common/health';
import {
  BLUE,
  distinctPhoto,
  nearCopy,
  RED,
  writePhoto,
  writeTwoClassSplits,
} from '../../../e2e/fixtures/health-corpus';
import { eachTestGraftApp } from '../test-app-hooks';
import { collectTrainingData } from '../training-data';

const env = eachTestGraftApp();

/**
 * `train|val/red|blue/*.jpg`, 6 distinct photos per class in train and 2 in val; `plant` adds
 * the planted cases: a resized copy of a train photo in val, a red photo copied into blue, a tiny photo.
 */
async function importProject(plant: boolean) {
  const root = path.join(env.dir, 'photos');
  await writeTwoClassSplits(root, { train: 6, val: 2 });
  if (plant) {
    const original = await distinctPhoto(1, RED);
    await writePhoto(root, 'val/red/holiday-copy.jpg', await nearCopy(original, 'resize'));
    await writePhoto(root, 'train/blue/same-as-red.jpg', await distinctPhoto(2, RED));
    const tiny = await distinctPhoto(99, BLUE);
    await writePhoto(
      root,
      'train/blue/tiny.jpg',
      await (await import('sharp')).default(tiny).resize(40, 30).toBuffer(),
    );
  }
  const projectId = env.app.projects.create('Health').id;
  const folder = env.app.folders.add(projectId, root, true);
  await env.app.importer.start(folder.id).done;
  await env.app.health.check(projectId).done;
  return projectId;
}

const kinds = (findings: HealthFinding[]) => findings.map((f) => f.kind).sort();
const paths = (f: HealthFinding) => f.photos.map((p) => p.relPath).sort();

describe('dataset health', () => {
  it('finds nothing on distinct, consistently labelled photos of normal size', async () => {
    const projectId = await importProject(false);
    const report = await env.app.health.report(projectId);
    expect(report).toMatchObject({ photos: 16, missing: 0, kept: 0 });
    expect(report.findings.filter((f) => f.kind !== 'likely-mislabel' && f.kind !== 'outlier')).toEqual([]);
  });

  it('lists a planted conflict, a cross-split near copy and a tiny photo with their photos', async () => {
    const projectId = await importProject(true);
    const { findings } = await env.app.health.report(projectId);
    expect(kinds(findings)).toEqual(expect.arrayContaining(['label-conflict', 'leakage', 'odd-photo']));
    const leak = findings.find((f) => f.kind === 'leakage')!;
    expect(paths(leak)).toEqual(['train/red/red-0.jpg', 'val/red/holiday-copy.jpg']);
    expect(leak.moveTo).toEqual({ imageIds: [leak.photos.find((p) => p.split === 'val')!.imageId], split: 'train' });
    expect(paths(findings.find((f) => f.kind === 'label-conflict')!)).toEqual([
      'train/blue/same-as-red.jpg',
      'train/red/red-1.jpg',
    ]);
    expect(paths(findings.find((f) => f.kind === 'odd-photo')!)).toEqual(['train/blue/tiny.jpg']);
  });

  it('each fix removes its finding: move split, exclude, keep, resolve', async () => {
    const projectId = await importProject(true);
    const app = env.app;
    const find = async (kind: string) => (await app.health.report(projectId)).findings.find((f) => f.kind === kind);

    const leak = (await find('leakage'))!;
    app.splits.set(projectId, leak.moveTo!.imageIds, leak.moveTo!.split);
    expect(await find('leakage')).toBeUndefined();
    // Both copies now train together: still near copies, no longer leakage.
    expect(paths((await find('near-duplicate'))!)).toEqual(paths(leak));

    const tiny = (await find('odd-photo'))!;
    expect(app.health.setExcluded(projectId, [tiny.photos[0].imageId], true)).toBe(1);
    expect(await find('odd-photo')).toBeUndefined();
    expect(collectTrainingData(app.ctx, projectId).items.map((i) => i.imageId)).not.toContain(tiny.photos[0].imageId);
    // Taking it back brings the finding back; excluding it again ends it.
    expect(app.health.setExcluded(projectId, [tiny.photos[0].imageId], false)).toBe(1);
    expect(await find('odd-photo')).toBeDefined();
    app.health.setExcluded(projectId, [tiny.photos[0].imageId], true);

    const copies = (await find('near-duplicate'))!;
    app.health.keep(projectId, copies.key);
    const report = await app.health.report(projectId);
    expect(report.findings.find((f) => f.key === copies.key)).toBeUndefined();
    expect(report).toMatchObject({ kept: 1, excluded: 1 });

    const conflict = (await find('label-conflict'))!;
    app.sameContent.resolve(conflict.conflictId!, conflict.photos[0].classId);
    expect(await find('label-conflict')).toBeUndefined();
  });

  it('warns before training about leakage, naming the photos, and not once it is fixed', async () => {
    const projectId = await importProject(true);
    const warning = await env.app.health.preflightWarning(projectId);
    expect(warning).toMatchObject({ level: 'warning', code: 'DATASET_HEALTH' });
    expect(warning!.message).toMatch(/1 group of near copies across training and validation\/test \(leakage/);
    expect(warning!.photos!.map((p) => p.relPath).sort()).toEqual(['train/red/red-0.jpg', 'val/red/holiday-copy.jpg']);
    const leak = (await env.app.health.report(projectId)).findings.find((f) => f.kind === 'leakage')!;
    env.app.health.setExcluded(projectId, leak.moveTo!.imageIds, true);
    expect(await env.app.health.preflightWarning(projectId)).toBeNull();
  });

  it('suggests a look at doubted labels as a note, and says nothing once the person kept them', async () => {
    const projectId = await importProject(false);
    const id = (name: string) => env.app.classes.list(projectId).find((c) => c.name === name)!.id;
    const blueId = id('blue');
    const red = collectTrainingData(env.app.ctx, projectId).items.filter((i) => i.classId === id('red'));
    env.app.labels.assign(projectId, [red[0].imageId], blueId);
    const warning = await env.app.health.preflightWarning(projectId);
    expect(warning).toMatchObject({ level: 'info', code: 'DATASET_HEALTH' });
    expect(warning!.message).toMatch(/^Worth a second look in Health: \d+ photos? whose labels? the model doubts/);
    for (const f of (await env.app.health.report(projectId)).findings) env.app.health.keep(projectId, f.key);
    expect(await env.app.health.preflightWarning(projectId)).toBeNull();
  });

  it('a check can be cancelled: it ends cancelled and leaves photos unchecked', async () => {
    const root = path.join(env.dir, 'photos');
    await writeTwoClassSplits(root, { train: 6, val: 2 });
    const projectId = env.app.projects.create('Cancel').id;
    await env.app.importer.start(env.app.folders.add(projectId, root, true).id).done;
    const finished: string[] = [];
    env.app.ctx.events.subscribe((event, payload) => {
      if (event === 'health:finished') finished.push((payload as { status: string }).status);
    });
    const check = env.app.health.check(projectId);
    expect(() => env.app.health.check(projectId)).toThrow(/already running/);
    expect(env.app.health.cancel(check.jobId)).toBe(true);
    await check.done;
    expect(finished).toEqual(['cancelled']);
    expect((await env.app.health.report(projectId)).missing).toBeGreaterThan(0);
  });

  it('a training run after a check embeds no photo again: both fill one cache under one key', async () => {
    const projectId = await importProject(false);
    const run = env.app.training.start(projectId, { seed: 3 });
    await run.done;
    expect(env.app.experiments.get(run.experimentId).metrics).toMatchObject({ embeddedImages: 0, cachedImages: 16 });
  });

  it('refuses to exclude another project’s photo', async () => {
    const projectId = await importProject(false);
    const other = env.app.projects.create('Other').id;
    const imageId = collectTrainingData(env.app.ctx, projectId).items[0].imageId;
    expect(() => env.app.health.setExcluded(other, [imageId], true)).toThrow(/not in this project/);
  });
});
