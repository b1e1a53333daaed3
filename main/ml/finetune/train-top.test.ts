import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../../common/seeded-random';
import { buildHead } from '../head/head-model';
import { accuracy } from '../metrics';
import { useWasmBackend } from '../tfjs-backend';
import { FineTuneError } from './finetune-error';
import { type LayersTop, splitAtTopBlocks } from './layers-top';
import { MINI_MOBILENET_SIZE, miniMobileNetV2 } from './mobilenet-v2-fixture';
import { type CutActivations, predictTop, type TopDataset, type TopTrainingConfig, trainTop } from './train-top';

const S = MINI_MOBILENET_SIZE;

/** Class 0: horizontal stripes, class 1: vertical; period 4, random phase, noise. [n, S, S, 3] in about [0, 1]. */
function stripes(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const random = seededRandom(seed);
  const x = new Float32Array(n * S * S * 3);
  const y = Int32Array.from({ length: n }, (_, i) => i % 2);
  for (let i = 0; i < n; i++) {
    const phase = random() * 4;
    for (let r = 0; r < S; r++) {
      for (let c = 0; c < S; c++) {
        const along = y[i] === 0 ? r : c;
        const v = Math.sin((2 * Math.PI * (along + phase)) / 4) > 0 ? 0.7 : 0.3;
        for (let ch = 0; ch < 3; ch++) x[((i * S + r) * S + c) * 3 + ch] = v + (random() - 0.5) * 0.1;
      }
    }
  }
  return { x, y };
}

/** Cut activations of each photo and its mirror image (views 0 and 1), as the trunk gives them. */
function cutActivations(split: LayersTop, n: number, seed: number): CutActivations {
  const { x, y } = stripes(n, seed);
  const data = tf.tidy(() => {
    const photos = tf.tensor4d(x, [n, S, S, 3]);
    const both = tf.stack([photos, tf.reverse(photos, 2)], 1).reshape([2 * n, S, S, 3]);
    return (split.trunk.predict(both) as tf.Tensor).dataSync() as Float32Array;
  });
  return { shape: split.cutShape, views: 2, data, y };
}

function setup(seed = 5) {
  const model = miniMobileNetV2(seed, 'initialised');
  const split = splitAtTopBlocks(model, { tapLayer: 'out_relu', blockCount: 2 });
  const data: TopDataset = {
    classCount: 2,
    train: cutActivations(split, 48, 1),
    val: { ...cutActivations(split, 32, 2), flipView: 1 },
  };
  const head = buildHead({ dim: 32, classCount: 2 }, { hiddenUnits: 0, dropout: 0.1 }, seededRandom(seed)).model;
  return { model, split, data, head };
}

const CONFIG: TopTrainingConfig = {
  seed: 3,
  blockLearningRate: 1e-3,
  headLearningRate: 1e-2,
  batchSize: 8,
  maxEpochs: 20,
  patience: 5,
  classWeighting: true,
};

const values = (vars: tf.Variable[] | tf.LayerVariable[]) =>
  vars.map((v) => ('read' in v ? v.read() : v).dataSync().slice());

beforeAll(async () => {
  expect(await useWasmBackend()).toBe(true);
});

describe('trainTop', () => {
  it('learns separable photos, moving only the top’s convolutions and the head', async () => {
    const { model, split, data, head } = setup();
    const frozen = model.weights.filter((w) => !split.trainable.includes(w.read() as tf.Variable));
    const frozenBefore = values(frozen);
    const topBefore = values(split.trainable);
    const seen: number[] = [];
    const result = await trainTop(split, head, data, CONFIG, { onEpoch: (m) => seen.push(m.epoch) });
    expect(seen).toEqual(result.epochs.map((e) => e.epoch));
    expect(accuracy(data.val.y, result.valProbabilities, 2)).toBeGreaterThanOrEqual(0.95);
    expect(values(frozen)).toEqual(frozenBefore);
    expect(values(split.trainable)).not.toEqual(topBefore);
    // The kept weights are the best epoch's: predicting again gives the reported probabilities.
    const again = predictTop(split, head, data.val, 0).map((p, i) => (p + predictTop(split, head, data.val, 1)[i]) / 2);
    expect(Math.max(...again.map((p, i) => Math.abs(p - result.valProbabilities[i])))).toBeLessThan(1e-5);
    const best = result.epochs[result.bestEpoch - 1];
    expect(best.valLossFlip).toBe(Math.min(...result.epochs.map((e) => e.valLossFlip ?? Infinity)));
  }, 120_000);

  it('uses each learning rate for its own part', async () => {
    const blocksOnly = setup();
    const headBefore = values(blocksOnly.head.trainableWeights);
    const r1 = await trainTop(blocksOnly.split, blocksOnly.head, blocksOnly.data, {
      ...CONFIG,
      headLearningRate: 0,
      maxEpochs: 3,
    });
    expect(values(blocksOnly.head.trainableWeights)).toEqual(headBefore);
    expect(r1.epochs[r1.epochs.length - 1].trainLoss).toBeLessThan(r1.epochs[0].trainLoss);

    // Blocks frozen: the head alone on this (random, untrained) trunk's features does clearly
    // worse than with the blocks trained too (0.97-1.0 in the first test).
    const headOnly = setup();
    const topBefore = values(headOnly.split.trainable);
    const r2 = await trainTop(headOnly.split, headOnly.head, headOnly.data, { ...CONFIG, blockLearningRate: 0 });
    expect(values(headOnly.split.trainable)).toEqual(topBefore);
    expect(accuracy(headOnly.data.val.y, r2.valProbabilities, 2)).toBeLessThan(0.9);
  }, 120_000);

  it('is reproducible from its seed', async () => {
    const run = async (seed: number) => {
      const { split, data, head } = setup();
      const r = await trainTop(split, head, data, { ...CONFIG, seed, maxEpochs: 2 });
      return { losses: r.epochs.map((e) => [e.trainLoss, e.valLoss]), top: values(split.trainable) };
    };
    const a = await run(3);
    expect(await run(3)).toEqual(a);
    expect((await run(4)).losses).not.toEqual(a.losses);
  }, 120_000);

  it('refuses bad data and settings, and stops when cancelled', async () => {
    const { split, data, head } = setup();
    const code = async (p: Promise<unknown>) =>
      p.then(
        () => 'no error',
        (err) => (err instanceof FineTuneError ? err.code : String(err)),
      );
    const wrongShape = { ...data, train: { ...data.train, shape: [2, 2, 12] as [number, number, number] } };
    expect(await code(trainTop(split, head, wrongShape, CONFIG))).toBe('DATASET_INVALID');
    const badLabel = { ...data, val: { ...data.val, y: data.val.y.map(() => 5) } };
    expect(await code(trainTop(split, head, badLabel, CONFIG))).toBe('DATASET_INVALID');
    const noFlip = { ...data, val: { ...data.val, flipView: 2 } };
    expect(await code(trainTop(split, head, noFlip, CONFIG))).toBe('DATASET_INVALID');
    expect(await code(trainTop(split, head, data, { ...CONFIG, batchSize: 0 }))).toBe('FINETUNE_INVALID');
    const controller = new AbortController();
    controller.abort();
    expect(await code(trainTop(split, head, data, CONFIG, { signal: controller.signal }))).toBe('CANCELLED');
  });
});
