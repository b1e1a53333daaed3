import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unlikePhoto } from '../../e2e/fixtures/photo-corpus';
import { GraftApp } from './graft-app';
import { ExperimentModel } from './predictor';
import { expectCancelAfterEpoch, tempColourProject } from './test-app';
import { fineTunedBackboneName } from './training';

// One data directory for the file: the bundled backbone is converted to ONNX once and reused.
let dir: string;
let app: GraftApp;
let projectId: number;

beforeAll(async () => {
  ({ dir, app, projectId } = await tempColourProject({ red: 30, blue: 30, green: 30 }));
});
afterAll(() => {
  app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('training', () => {
  it('judges a project without a split as training would split it, changing nothing', async () => {
    const preflight = await app.training.preflight(projectId);
    expect(preflight.canTrain).toBe(true);
    expect(preflight.warnings.map((w) => w.code)).toEqual(['NO_SPLIT']);
    expect(app.splits.summary(projectId).unassigned).toBe(90);
    const planned = preflight.plannedSplits!;
    expect(planned.map((c) => c.train + c.val + c.test)).toEqual([30, 30, 30]);
    for (const c of planned) expect(c.train).toBeGreaterThan(c.val);
  });

  it('learns clearly separable classes (≥ 0.95 validation accuracy) and keeps the run', async () => {
    const epochs: number[] = [];
    const off = app.ctx.events.subscribe((event, payload) => {
      if (event === 'training:epoch') epochs.push((payload as { epoch: { epoch: number } }).epoch.epoch);
    });
    const { plannedSplits } = await app.training.preflight(projectId, { seed: 7 });
    const run = app.training.start(projectId, { seed: 7 });
    await run.done;
    off();
    const detail = app.experiments.get(run.experimentId);
    // The Train view's plan before the first run is the split that run made.
    expect(detail.snapshot.classes.map((c) => ({ classId: c.id, ...c.counts }))).toEqual(plannedSplits);
    expect((await app.training.preflight(projectId)).plannedSplits).toBeNull();
    expect(detail.error).toBeNull();
    expect(detail.status).toBe('finished');
    expect(detail.metrics!.val!.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(detail.metrics!.embeddedImages).toBe(90);
    expect(detail.epochs.map((e) => e.epoch)).toEqual(epochs);
    expect(detail.snapshot.classes.map((c) => c.name)).toEqual(['blue', 'green', 'red']);
    const predictions = app.experiments.predictions(run.experimentId, { split: 'val' });
    expect(predictions).toHaveLength(detail.metrics!.val!.count);
    const total = detail.metrics!.val!.confusion.flat().reduce((a, b) => a + b, 0);
    expect(total).toBe(predictions.length);
  });

  it('keeps out-of-distribution statistics with the run: Predict flags a photo unlike the training photos', async () => {
    const run = app.training.start(projectId, { seed: 7 });
    await run.done;
    const runDir = app.experiments.artefactDir(run.experimentId) as string;
    expect(fs.existsSync(path.join(runDir, 'ood.json'))).toBe(true);
    const strange = await unlikePhoto();
    const familiar = fs.readFileSync(path.join(dir, 'photos', 'red', 'red-0000.jpg'));
    const photos = [
      { name: 'familiar.jpg', read: async () => familiar },
      { name: 'strange.png', read: async () => strange },
    ];
    const model = await ExperimentModel.open(app.experiments, app.backbones, run.experimentId);
    const [like, unlike] = (await model.predict(photos)).results;
    await model.close();
    expect(like.unlikeTraining).toBe(false);
    expect(unlike.unlikeTraining).toBe(true);
    expect(unlike.oodScore).toBeGreaterThan(like.oodScore as number);
    // A run from before the statistics existed: no verdict, no failure.
    fs.rmSync(path.join(runDir, 'ood.json'));
    const old = await ExperimentModel.open(app.experiments, app.backbones, run.experimentId);
    const [, plain] = (await old.predict(photos)).results;
    await old.close();
    expect(plain).toMatchObject({ error: null, unlikeTraining: false, oodScore: null });
  });

  it('embeds nothing the second time and is reproducible from the seed', async () => {
    const first = app.experiments.list(projectId).find((e) => e.status === 'finished')!;
    const run = app.training.start(projectId, { seed: 7 });
    await run.done;
    const detail = app.experiments.get(run.experimentId);
    expect(detail.metrics).toMatchObject({ embeddedImages: 0, cachedImages: 90 });
    expect(detail.epochs).toEqual(
      app.experiments.get(first.id).epochs.map((e, i) => ({ ...e, seconds: detail.epochs[i].seconds })),
    );
  });

  it('cancels within 2 s, leaving a cancelled run', async () => {
    const run = app.training.start(projectId, {
      seed: 8,
      hiddenUnits: 512,
      patience: 1000,
      maxEpochs: 1000,
      learningRate: 0.001,
    });
    await expectCancelAfterEpoch(app, run);
  });

  it('refuses to start without two labelled classes, saying why', () => {
    const empty = app.projects.create('Empty');
    expect(() => app.training.start(empty.id)).toThrow(/at least two classes/);
  });

  it('leaves an interrupted run when the process is killed mid-run', async () => {
    const tsx = createRequire(__filename).resolve('tsx/cjs');
    const child = spawn(
      process.execPath,
      ['--require', tsx, path.join(__dirname, '..', 'cli', 'index.ts'), 'train', '--project', 'Colours', '--seed', '9'],
      { env: { ...process.env, GRAFT_DATA_DIR: path.join(dir, 'data') }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (/Training experiment/.test(out)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`train exited early (${code}): ${out}`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    app.close();
    app = new GraftApp({ dataDir: path.join(dir, 'data') });
    const [latest] = app.experiments.list(projectId);
    expect(latest.status).toBe('interrupted');
    expect(latest.error).toMatch(/stopped while this run was in progress/);
  });
});

describe('a fine-tuning run’s own backbone', () => {
  it('is called fine-tuned only where stage 2 was kept; otherwise it says the backbone is unchanged', () => {
    expect(fineTunedBackboneName('MobileNetV2', 2, 2)).toBe('MobileNetV2, fine-tuned (run 2)');
    const kept1 = fineTunedBackboneName('MobileNetV2', 2, 1);
    expect(kept1).toBe("MobileNetV2 (unchanged: run 2's fine-tuning did not improve on it)");
    expect(kept1).not.toContain('fine-tuned');
  });
});
