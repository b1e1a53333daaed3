import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readOodStatistics } from '../ml/adaptation/ood-artefact';
import type { OodStatistics } from '../ml/adaptation/out-of-distribution';
import type { BackboneSpec } from '../ml/backbones/backbone-spec';
import { checkOnnxFile } from '../ml/export/onnx-check';
import { MINI_MOBILENET_SIZE, miniMobileNetV2 } from '../ml/finetune/mobilenet-v2-fixture';
import { saveArtifacts } from '../ml/onnx/parity-support';
import { readTfjsFolder, weightBytes } from '../ml/tfjs/tfjs-artifacts';
import { initTfjs } from '../ml/tfjs-backend';
import { readTopWeights } from './experiment-artefacts';
import { GraftApp } from './graft-app';
import {
  expectCancelInStage2,
  expectSameRunAgain,
  exportRun,
  fineTunedColourProject,
  fineTuneSettings,
} from './test-fine-tune';
import { killCliWhen } from './test-killed-run';
import type { TrainableBackbone } from './trainable-backbone';

// The bundled LayersModel MobileNetV2 stands in by id; its Keras model is the ML core's
// miniature MobileNetV2 (same block names and layer kinds, 32 px input), so a run takes seconds.
vi.mock('./trainable-backbone', async (importOriginal) => ({
  ...(await importOriginal<typeof import('./trainable-backbone')>()),
  loadTrainableBackbone: async (spec: BackboneSpec): Promise<TrainableBackbone> => ({
    kind: 'layers',
    artifacts: await initTfjs().then(() => saveArtifacts(miniMobileNetV2(3, 'initialised'))),
    tapLayer: 'out_relu',
    preprocessing: {
      inputSize: MINI_MOBILENET_SIZE,
      resizeShortSide: MINI_MOBILENET_SIZE,
      layout: 'NHWC',
      normalisation: spec.normalisation,
    },
    inputLayout: spec.layout,
  }),
}));

const LAYERS_BACKBONE = 'nsfwjs-mobilenet-v2';
const FINE_TUNE = fineTuneSettings(LAYERS_BACKBONE);

let dir: string;
let app: GraftApp;
let projectId: number;
let experimentId: number;

beforeAll(async () => {
  let stages: number[];
  ({ dir, app, projectId, experimentId, stages } = await fineTunedColourProject(FINE_TUNE));
  expect(app.experiments.get(experimentId).error).toBeNull();
  expect(stages).toContain(1);
  expect(stages).toContain(2);
}, 300_000);
afterAll(() => {
  app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('fine-tuning run', () => {
  it('trains stage 1 then stage 2 and records both, with what was unfrozen', () => {
    const detail = app.experiments.get(experimentId);
    expect(detail.error).toBeNull();
    expect(detail.status).toBe('finished');
    expect(detail.technique).toBe('fine-tune');
    const fineTune = detail.metrics!.fineTune!;
    expect(fineTune.unfrozenBlocks).toEqual([5, 6]);
    // Stage 2 lowered the validation loss here, so the parity tests below cover a changed top.
    expect(fineTune.keptStage).toBe(2);
    expect(detail.epochs.filter((e) => e.stage === 1)).toHaveLength(fineTune.stage1Epochs);
    expect(detail.epochs.filter((e) => e.stage === 2)).toHaveLength(fineTune.stage2Epochs);
    expect(detail.epochs.map((e) => e.epoch)).toEqual(detail.epochs.map((_, i) => i + 1));
    expect(detail.metrics!.val!.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(detail.metrics!.embeddedImages).toBe(72);
  });

  it('trains only convolution weights: the top keeps its BatchNormalization statistics', () => {
    const top = JSON.parse(
      fs.readFileSync(path.join(app.experiments.artefactDir(experimentId)!, 'top.json'), 'utf8'),
    ) as { name: string }[];
    expect(top.length).toBeGreaterThan(0);
    for (const w of top) expect(w.name).toMatch(/block_[56]_.*\/(kernel|depthwise_kernel|bias)|Conv_1\/(kernel|bias)/);
  });

  it('predicts in the app with the whole fine-tuned ONNX model what training evaluated (≤ 1e-4)', async () => {
    const predictions = app.experiments.predictions(experimentId, { split: 'val' }).slice(0, 6);
    for (const p of predictions) {
      const file = path.join(dir, 'photos', p.name.split('-')[0], p.name);
      const photo = { name: p.name, dataBase64: fs.readFileSync(file).toString('base64') };
      const [shown] = await app.prediction.photos({ kind: 'experiment', experimentId }, [photo], 3);
      const names = app.experiments.get(experimentId).snapshot.classes.map((c) => c.name);
      for (const guess of shown.top) {
        const trained = p.probabilities[names.indexOf(guess.className)];
        expect(Math.abs(guess.probability - trained)).toBeLessThanOrEqual(1e-4);
      }
    }
  }, 120_000);

  it('keeps out-of-distribution statistics on the fine-tuned features, which Predict scores its photos by', async () => {
    const ood = await readOodStatistics(app.experiments.artefactDir(experimentId) as string);
    expect(ood).not.toBeNull();
    const val = app.experiments.predictions(experimentId, { split: 'val' });
    const photos = val.map((p) => {
      const file = path.join(dir, 'photos', p.name.split('-')[0], p.name);
      return { name: p.name, dataBase64: fs.readFileSync(file).toString('base64') };
    });
    const shown = await app.prediction.photos({ kind: 'experiment', experimentId }, photos, 1);
    // The threshold is the validation photos' 95th percentile: Predict, computing the same
    // features in onnxruntime, finds (up to rounding at the threshold) 5% of them unlike.
    const scores = shown.map((r) => r.oodScore as number);
    expect(scores.every(Number.isFinite)).toBe(true);
    const above = scores.filter((v) => v > (ood as OodStatistics).threshold).length;
    expect(above).toBeGreaterThanOrEqual(1);
    expect(above).toBeLessThanOrEqual(Math.ceil(0.05 * val.length) + 1);
    expect(shown.filter((r) => r.unlikeTraining)).toHaveLength(above);
  }, 120_000);

  it('is reproducible from its seed, from the cached cut activations', async () => {
    await expectSameRunAgain(app, projectId, experimentId, FINE_TUNE);
  }, 300_000);

  it('exports the whole fine-tuned model as ONNX and proves it against the app', async () => {
    const record = await exportRun(app, experimentId, dir, 'fine-tuned');
    expect(record.error).toBeNull();
    expect(record.status).toBe('passed');
    expect(record.parity!.agreement).toBe(1);
    expect(record.parity!.maxProbabilityDifference).toBeLessThanOrEqual(1e-4);
    const card = fs.readFileSync(path.join(record.path, 'MODEL_CARD.md'), 'utf8');
    expect(card).toContain('fine-tuned (run');
    expect(card).toContain("then the backbone's blocks 5, 6 (above");
    const check = await checkOnnxFile(path.join(record.path, 'model.onnx'));
    if (!check.available) console.warn(`Reference ONNX checker skipped: ${check.reason}`);
    else expect(check).toMatchObject({ ok: true });
  }, 300_000);

  it('exports the fine-tuned Keras model as TF.js, proves it against the app, frozen weights byte for byte', async () => {
    const [, offered] = await app.exports.support(experimentId);
    expect(offered).toEqual({ format: 'tfjs', supported: true, reason: null });
    const record = await exportRun(app, experimentId, dir, 'fine-tuned-tfjs', 'tfjs');
    expect(record.error).toBeNull();
    expect(record.status).toBe('passed');
    expect(record.parity!.agreement).toBe(1);
    expect(record.parity!.maxProbabilityDifference).toBeLessThanOrEqual(1e-4);
    const card = fs.readFileSync(path.join(record.path, 'MODEL_CARD.md'), 'utf8');
    expect(card).toContain('TF.js LayersModel');
    expect(card).toContain('Technique: fine-tune');
    expect(card).toContain('feature: out_relu');
    expect(card).toContain('NHWC float32');
    expect(card).toContain("then the backbone's blocks 5, 6 (above");

    // Every backbone weight the run did not train is the original's, byte for byte; each it
    // trained is what the run kept (top.weights.bin), and training changed at least one.
    const exported = weightBytes(await readTfjsFolder(record.path));
    const original = weightBytes(await saveArtifacts(miniMobileNetV2(3, 'initialised')));
    const trained = new Map(
      (await readTopWeights(app.experiments.artefactDir(experimentId) as string))!.map((w) => [
        w.name.replace(/_\d+$/, ''),
        w,
      ]),
    );
    expect(trained.size).toBeGreaterThan(0);
    let changed = 0;
    for (const [name, { bytes }] of original) {
      // The backbone's own classifier, above the feature tap, is not part of the export.
      if (name.startsWith('predictions/')) continue;
      const w = trained.get(name);
      expect(exported.get(name)?.bytes, name).toEqual(w ? new Uint8Array(w.data.buffer) : bytes);
      if (w && !Buffer.from(w.data.buffer).equals(bytes)) changed++;
    }
    expect([...trained.keys()].every((name) => original.has(name))).toBe(true);
    expect(changed).toBeGreaterThan(0);
  }, 300_000);

  it('cancels stage 2 within 2 s, leaving a cancelled run', async () => {
    await expectCancelInStage2(app, projectId, FINE_TUNE);
  }, 300_000);

  it('leaves an interrupted run when the process is killed in stage 2', async () => {
    // The child runs the real bundled nsfwjs MobileNetV2 (no mock across processes) on these photos.
    await killCliWhen(
      path.join(dir, 'data'),
      ['train', '--project', 'Colours', '--backbone', LAYERS_BACKBONE, '--technique', 'fine-tune', '--seed', '9'],
      /stage 2 epoch|fine-tuning…/,
    );
    app.close();
    app = new GraftApp({ dataDir: path.join(dir, 'data') });
    const [latest] = app.experiments.list(projectId);
    expect(latest.technique).toBe('fine-tune');
    expect(latest.status).toBe('interrupted');
    expect(latest.error).toMatch(/stopped while this run was in progress/);
  }, 300_000);
});
