import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BackboneSpec } from '../ml/backbones/backbone-spec';
import { preparedModelPath } from '../ml/backbones/prepare-backbone';
import { checkOnnxFile } from '../ml/export/onnx-check';
import { MINI_MOBILENET_SIZE, miniMobileNetV2 } from '../ml/finetune/mobilenet-v2-fixture';
import { convChainFixture } from '../ml/finetune/onnx-chain-fixture';
import { exposeTaps } from '../ml/onnx/expose-node';
import { layersModelToOnnx } from '../ml/onnx/layers-to-onnx';
import { decodeModel, encodeModel } from '../ml/onnx/onnx-proto';
import { saveArtifacts } from '../ml/onnx/parity-support';
import { initTfjs } from '../ml/tfjs-backend';
import type { GraftApp } from './graft-app';
import {
  expectCancelInStage2,
  expectSameRunAgain,
  exportRun,
  fineTunedColourProject,
  fineTuneSettings,
} from './test-fine-tune';
import type { TrainableBackbone } from './trainable-backbone';

// The bundled default (a TF.js GraphModel, run as ONNX) stands in by id; its graph is the
// miniature MobileNetV2 converted to NCHW ONNX (Conv with folded BatchNorm, Clip, residual Add,
// as Graft converts a GraphModel), so the run trains an ONNX top in seconds. The bundled
// CenterNet stands in for a network without residual connections and a fixed batch of 1.
const CHAIN_BACKBONE = 'human-centernet-mobilenet-v3';
vi.mock('./trainable-backbone', async (importOriginal) => ({
  ...(await importOriginal<typeof import('./trainable-backbone')>()),
  loadTrainableBackbone: async (spec: BackboneSpec): Promise<TrainableBackbone> => {
    await initTfjs();
    const chain = spec.id === CHAIN_BACKBONE;
    const bytes = chain
      ? convChainFixture(MINI_MOBILENET_SIZE)
      : layersModelToOnnx(await saveArtifacts(miniMobileNetV2(3, 'initialised')), {
          inputLayout: 'NCHW',
          outputs: ['out_relu'],
        }).bytes;
    return {
      kind: 'onnx',
      bytes,
      tapTensor: chain ? 'tap' : 'out_relu',
      featureDim: chain ? 16 : 32,
      preprocessing: {
        inputSize: MINI_MOBILENET_SIZE,
        resizeShortSide: MINI_MOBILENET_SIZE,
        layout: 'NCHW',
        normalisation: spec.normalisation,
      },
    };
  },
}));

const FINE_TUNE = fineTuneSettings('nsfwjs-mobilenet-v2-140');

let dir: string;
let app: GraftApp;
let projectId: number;
let experimentId: number;

beforeAll(async () => {
  ({ dir, app, projectId, experimentId } = await fineTunedColourProject(FINE_TUNE));
}, 300_000);
afterAll(() => {
  app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('fine-tuning an ONNX backbone', () => {
  it('trains both stages on the graph’s top blocks, updating only their convolutions', () => {
    const detail = app.experiments.get(experimentId);
    expect(detail.error).toBeNull();
    expect(detail.status).toBe('finished');
    const fineTune = detail.metrics!.fineTune!;
    expect(fineTune.unfrozenBlocks).toEqual([5, 6]);
    expect(fineTune.cutLayer).toBe('block_4_add');
    expect(detail.epochs.filter((e) => e.stage === 1)).toHaveLength(fineTune.stage1Epochs);
    expect(detail.epochs.filter((e) => e.stage === 2)).toHaveLength(fineTune.stage2Epochs);
    expect(detail.metrics!.val!.accuracy).toBeGreaterThanOrEqual(0.95);
    const top = JSON.parse(
      fs.readFileSync(path.join(app.experiments.artefactDir(experimentId)!, 'top.json'), 'utf8'),
    ) as { name: string }[];
    // Block 5 and 6's expand, depthwise and project convolutions and Conv_1, kernel and bias each.
    expect(top).toHaveLength(14);
    for (const w of top) expect(w.name).toMatch(/(block_[56]_\w+_BN|Conv_1_bn)\/[WB]$/);
  });

  it('is reproducible from its seed, from the cached cut activations', async () => {
    await expectSameRunAgain(app, projectId, experimentId, FINE_TUNE);
  }, 300_000);

  it('cancels stage 2 within 2 s, leaving a cancelled run', async () => {
    await expectCancelInStage2(app, projectId, FINE_TUNE);
  }, 300_000);

  it('exports the whole fine-tuned model as ONNX and proves it against the app', async () => {
    const record = await exportRun(app, experimentId, dir, 'fine-tuned-onnx');
    expect(record.error).toBeNull();
    // Its top was trained as ONNX nodes, which no TF.js LayersModel holds: TF.js is refused, in words.
    const [, tfjs] = await app.exports.support(experimentId);
    expect(tfjs).toEqual({
      format: 'tfjs',
      supported: false,
      reason: expect.stringMatching(/is not a TF\.js LayersModel.*exports as ONNX only/),
    });
    expect(record.status).toBe('passed');
    expect(record.parity!.agreement).toBe(1);
    expect(record.parity!.maxProbabilityDifference).toBeLessThanOrEqual(1e-4);
    const check = await checkOnnxFile(path.join(record.path, 'model.onnx'));
    if (!check.available) console.warn(`Reference ONNX checker skipped: ${check.reason}`);
    else expect(check).toMatchObject({ ok: true });
  }, 300_000);

  it('predicts in the app with the fine-tuned ONNX backbone what training evaluated (≤ 1e-4)', async () => {
    const predictions = app.experiments.predictions(experimentId, { split: 'val' }).slice(0, 6);
    const names = app.experiments.get(experimentId).snapshot.classes.map((c) => c.name);
    for (const p of predictions) {
      const file = path.join(dir, 'photos', p.name.split('-')[0], p.name);
      const photo = { name: p.name, dataBase64: fs.readFileSync(file).toString('base64') };
      const [shown] = await app.prediction.photos({ kind: 'experiment', experimentId }, [photo], 3);
      for (const guess of shown.top) {
        expect(Math.abs(guess.probability - p.probabilities[names.indexOf(guess.className)])).toBeLessThanOrEqual(1e-4);
      }
    }
  }, 120_000);

  it('fine-tunes a network without residual connections that takes one photo at a time, and exports it', async () => {
    const run = app.training.start(projectId, { ...FINE_TUNE, backboneId: CHAIN_BACKBONE, fineTuneEpochs: 2 });
    await run.done;
    const detail = app.experiments.get(run.experimentId);
    expect(detail.error).toBeNull();
    expect(detail.metrics!.fineTune!.cutLayer).toBe('relu0');
    expect(detail.epochs.some((e) => e.stage === 2)).toBe(true);
    const record = await exportRun(app, run.experimentId, dir, 'chain');
    expect(record.status).toBe('passed');
    expect(record.parity!.maxProbabilityDifference).toBeLessThanOrEqual(1e-4);
  }, 300_000);

  it('refuses at start a run asking for more blocks than the prepared graph can retrain, naming the node', () => {
    const spec = app.backbones.spec(CHAIN_BACKBONE);
    const model = decodeModel(convChainFixture(MINI_MOBILENET_SIZE));
    const relu1 = (model.graph?.node ?? []).find((n) => n.output?.[0] === 'relu1');
    if (!relu1) throw new Error('fixture changed');
    relu1.opType = 'Softplus';
    const file = preparedModelPath(spec, app.ctx.paths.root);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, exposeTaps(encodeModel(model), [{ tensor: 'tap', reduce: 'spatial-mean-nchw' }]).bytes);
    expect(() => app.training.start(projectId, { ...FINE_TUNE, backboneId: CHAIN_BACKBONE })).toThrow(
      /can retrain at most 1 block; 2 were asked\. .*Softplus/,
    );
    const listed = app.backbones.list().find((b) => b.id === CHAIN_BACKBONE);
    expect(listed?.fineTuning).toMatchObject({ supported: true, maxBlocks: 1, limit: expect.stringMatching(/relu1/) });
  });
});
