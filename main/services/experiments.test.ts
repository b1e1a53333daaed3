import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FinalMetrics, TrainConfig } from '../../common/training';
import { writeLabelledFolder } from '../../e2e/fixtures/photo-corpus';
import { ExperimentStore } from './experiments';
import { GraftApp } from './graft-app';
import { tempGraftApp } from './test-app';
import { collectTrainingData, trainingWarnings } from './training-data';

let env: ReturnType<typeof tempGraftApp>;
let app: GraftApp;
let projectId: number;

const config = { backboneId: 'b', technique: 'feature-extraction', seed: 1 } as TrainConfig;

beforeEach(async () => {
  env = tempGraftApp();
  app = env.app;
  await writeLabelledFolder(path.join(env.dir, 'p'), { cats: 8, dogs: 2 });
  projectId = app.projects.create('Exp').id;
  const folder = app.folders.add(projectId, path.join(env.dir, 'p'), true);
  await app.importer.start(folder.id).done;
});
afterEach(() => env.cleanup());

describe('training data', () => {
  it('snapshots labelled photos with their splits and warns about imbalance and small classes', () => {
    expect(app.splits.assignMissing(projectId, 3)).toBe(10);
    const data = collectTrainingData(app.ctx, projectId);
    expect(data.snapshot.imageCount).toBe(10);
    expect(data.snapshot.classes.map((c) => c.name)).toEqual(['cats', 'dogs']);
    const codes = trainingWarnings(app.ctx, projectId, data).map((w) => w.code);
    expect(codes).toContain('IMBALANCED');
    expect(codes).toContain('TOO_FEW_PHOTOS');
  });

  it('warns when a class has no validation or no test photos, naming the class', () => {
    const photos = app.images.list(projectId, { kind: 'all' });
    const [cats, dogs] = app.classes.list(projectId);
    const of = (classId: number) => photos.filter((p) => p.classId === classId).map((p) => p.id);
    app.splits.set(projectId, of(cats.id).slice(0, 4), 'train');
    app.splits.set(projectId, of(cats.id).slice(4, 6), 'val');
    app.splits.set(projectId, of(cats.id).slice(6), 'test');
    app.splits.set(projectId, of(dogs.id).slice(0, 1), 'train');
    app.splits.set(projectId, of(dogs.id).slice(1), 'val');
    const warnings = trainingWarnings(app.ctx, projectId, collectTrainingData(app.ctx, projectId));
    const gaps = warnings.filter((w) => w.code === 'CLASS_NOT_HELD_OUT');
    expect(gaps.map((w) => w.message)).toEqual([expect.stringMatching(/^“dogs” has no test photos/)]);
  });

  it('the snapshot hash changes when a label changes', () => {
    app.splits.assignMissing(projectId, 3);
    const before = collectTrainingData(app.ctx, projectId).snapshot.hash;
    const [first] = app.images.list(projectId, { kind: 'all' });
    const dogs = app.classes.list(projectId)[1];
    app.labels.assign(projectId, [first.id], dogs.id);
    expect(collectTrainingData(app.ctx, projectId).snapshot.hash).not.toBe(before);
  });
});

describe('experiment store', () => {
  it('keeps a past run as it was when labels change later, and marks cut-off runs interrupted', () => {
    app.splits.assignMissing(projectId, 3);
    const store = new ExperimentStore(app.ctx);
    const data = collectTrainingData(app.ctx, projectId);
    const id = store.create(projectId, config, data.snapshot, data.items);
    store.addEpoch(id, {
      epoch: 1,
      trainLoss: 1,
      trainAccuracy: 0.5,
      valLoss: 1,
      valAccuracy: 0.5,
      learningRate: 0.001,
      seconds: 0.1,
    });

    const dogs = app.classes.list(projectId)[1];
    app.labels.assign(
      projectId,
      app.images.list(projectId, { kind: 'all' }).map((r) => r.id),
      dogs.id,
    );
    expect(store.get(id).snapshot.classes.map((c) => c.counts.train + c.counts.val + c.counts.test)).toEqual([8, 2]);

    const dataDir = app.ctx.paths.root;
    app.close();
    app = new GraftApp({ dataDir });
    env.app = app;
    const reopened = new ExperimentStore(app.ctx);
    expect(reopened.get(id)).toMatchObject({ status: 'interrupted', epochs: [{ epoch: 1 }] });
    expect(reopened.get(id).error).toMatch(/stopped/);
  });

  it('renames, annotates, compares and deletes runs', () => {
    app.splits.assignMissing(projectId, 3);
    const store = new ExperimentStore(app.ctx);
    const data = collectTrainingData(app.ctx, projectId);
    const a = store.create(projectId, config, data.snapshot, data.items);
    const b = store.create(projectId, { ...config, seed: 2 }, data.snapshot, data.items);
    store.finish(a, { status: 'finished' });
    store.finish(b, { status: 'cancelled' });
    expect(store.rename(a, 'Baseline').name).toBe('Baseline');
    expect(store.annotate(a, 'first try').note).toBe('first try');
    expect(store.compare(a, b).configDiff).toEqual([{ key: 'seed', a: 1, b: 2 }]);
    expect(store.list(projectId).map((e) => [e.name, e.status])).toEqual([
      ['Run 2', 'cancelled'],
      ['Baseline', 'finished'],
    ]);
    store.delete(b);
    expect(store.list(projectId)).toHaveLength(1);
  });

  it('lists which stage a finished fine-tuning run kept, and none for feature extraction', () => {
    app.splits.assignMissing(projectId, 3);
    const store = new ExperimentStore(app.ctx);
    const data = collectTrainingData(app.ctx, projectId);
    const metrics = (keptStage?: 1 | 2): FinalMetrics => ({
      bestEpoch: 2,
      stoppedEarly: false,
      val: null,
      test: null,
      embeddedImages: 10,
      cachedImages: 0,
      skippedImages: 0,
      embeddingImagesPerSecond: 5,
      backend: 'wasm',
      ...(keptStage && {
        fineTune: {
          unfrozenBlocks: [16],
          cutLayer: 'block_15_add',
          keptStage,
          stage1BestEpoch: 2,
          stage1Epochs: 4,
          stage2BestEpoch: 1,
          stage2Epochs: 3,
        },
      }),
    });
    const fineTune = { ...config, technique: 'fine-tune' } as TrainConfig;
    const runs = [metrics(), metrics(1), metrics(2)].map((m, i) => {
      const id = store.create(projectId, i === 0 ? config : fineTune, data.snapshot, data.items);
      store.finish(id, { status: 'finished', metrics: m });
      return id;
    });
    const kept = new Map(store.list(projectId).map((e) => [e.id, e.keptStage]));
    expect(runs.map((id) => kept.get(id))).toEqual([null, 1, 2]);
  });

  it('deletes a run’s files only inside the data folder, whatever its database row says', () => {
    app.splits.assignMissing(projectId, 3);
    const store = new ExperimentStore(app.ctx);
    const data = collectTrainingData(app.ctx, projectId);
    const id = store.create(projectId, config, data.snapshot, data.items);
    const outside = path.join(env.dir, 'p');
    store.finish(id, { status: 'finished', artefactDir: outside });
    store.delete(id);
    expect(store.list(projectId)).toHaveLength(0);
    expect(fs.readdirSync(outside).length).toBeGreaterThan(0);
  });
});
