import { describe, expect, it } from 'vitest';
import { permutation, seededRandom } from '../../../common/seeded-random';
import { classificationReport, logLoss } from '../metrics';
import { initTfjs } from '../tfjs-backend';
import { HeadTrainingError } from './head-errors';
import { predictWithHead } from './head-model';
import { syntheticEmbeddings } from './synthetic-embeddings';
import { type HeadEpochMetrics, trainHead } from './train-head';

const separable = () => syntheticEmbeddings({ dim: 64, classCount: 3, train: 50, val: 20, noise: 0.15, seed: 1 });
// Few, noisy, high-dimensional examples: validation loss turns up after a few epochs.
const overfitting = () => syntheticEmbeddings({ dim: 256, classCount: 2, train: 20, val: 40, noise: 0.6, seed: 3 });

const withoutTime = (epochs: HeadEpochMetrics[]) => epochs.map(({ seconds, ...rest }) => rest);

describe('trainHead', () => {
  it('learns clearly separable clusters, and fails to with no learning rate or shuffled labels', async () => {
    const data = separable();
    const streamed: HeadEpochMetrics[] = [];
    const result = await trainHead(data, {}, { onEpoch: (m) => streamed.push(m) });
    expect(classificationReport(data.val.y, result.valProbabilities, 3).accuracy).toBeGreaterThanOrEqual(0.95);
    expect(streamed).toEqual(result.epochs);
    expect(result.epochs.map((e) => e.epoch)).toEqual(result.epochs.map((_, i) => i + 1));

    const frozen = await trainHead(data, { learningRate: 0, maxEpochs: 5 });
    expect(classificationReport(data.val.y, frozen.valProbabilities, 3).accuracy).toBeLessThan(0.7);

    const order = permutation(data.train.y.length, seededRandom(7));
    const shuffled = { ...data, train: { ...data.train, y: data.train.y.map((_, i) => data.train.y[order[i]]) } };
    const noise = await trainHead(shuffled, { maxEpochs: 20 });
    expect(classificationReport(data.val.y, noise.valProbabilities, 3).accuracy).toBeLessThan(0.7);
  });

  it('is reproducible from its seed, bit for bit', async () => {
    const data = overfitting();
    const config = { hiddenUnits: 16, dropout: 0.3, l2: 1e-4, labelSmoothing: 0.1, maxEpochs: 8 };
    const a = await trainHead(data, config);
    const b = await trainHead(data, config);
    const c = await trainHead(data, { ...config, seed: 7 });
    expect(withoutTime(b.epochs)).toEqual(withoutTime(a.epochs));
    expect(b.artifacts.weightData).toEqual(a.artifacts.weightData);
    expect(b.valProbabilities).toEqual(a.valProbabilities);
    expect(c.artifacts.weightData).not.toEqual(a.artifacts.weightData);
    expect(withoutTime(c.epochs)).not.toEqual(withoutTime(a.epochs));
  });

  it('stops early and keeps the best epoch’s weights', async () => {
    const data = overfitting();
    const result = await trainHead(data, { patience: 4 });
    const losses = result.epochs.map((e) => e.valLoss);
    expect(result.stoppedEarly).toBe(true);
    expect(result.epochs.length).toBe(result.bestEpoch + 4);
    expect(losses[result.bestEpoch - 1]).toBe(Math.min(...losses));
    expect(losses.at(-1)).toBeGreaterThan(losses[result.bestEpoch - 1]);

    const reloaded = await predictWithHead(result.artifacts, data.val.x, data.val.y.length);
    expect(reloaded).toEqual(result.valProbabilities);
    expect(logLoss(data.val.y, reloaded, 2)).toBe(losses[result.bestEpoch - 1]);
  });

  it('raises the minority class’s recall with class weighting', async () => {
    const data = syntheticEmbeddings({ dim: 32, classCount: 2, train: [200, 12], val: [40, 40], noise: 0.5, seed: 1 });
    const recall = async (classWeighting: boolean) => {
      const result = await trainHead(data, { classWeighting });
      return classificationReport(data.val.y, result.valProbabilities, 2).perClass[1].recall ?? 0;
    };
    expect(await recall(true)).toBeGreaterThan((await recall(false)) + 0.1);
  });

  it('reports mirror-averaged validation metrics when mirrored embeddings are given', async () => {
    const data = syntheticEmbeddings({
      dim: 64,
      classCount: 3,
      train: 30,
      val: 10,
      noise: 0.4,
      seed: 5,
      flipViews: true,
    });
    const result = await trainHead(data, { maxEpochs: 3 });
    const { x, y, xFlip } = data.val;
    for (const e of result.epochs) {
      expect(e.valLossFlip).toEqual(expect.any(Number));
      expect(e.valLossFlip).not.toBe(e.valLoss);
    }
    const best = result.epochs[result.bestEpoch - 1];
    const averaged = await predictWithHead(result.artifacts, x, y.length, xFlip);
    expect(averaged).toEqual(result.valProbabilities);
    expect(logLoss(y, averaged, 3)).toBe(best.valLossFlip);
    expect(logLoss(y, await predictWithHead(result.artifacts, x, y.length), 3)).toBe(best.valLoss);
  });

  it('stops within 2 s of being cancelled and frees its tensors', async () => {
    const { tf } = await initTfjs();
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    let abortedAt = 0;
    const run = trainHead(
      overfitting(),
      { maxEpochs: 10_000, patience: 10_000 },
      {
        signal: controller.signal,
        onEpoch: () => {
          abortedAt = performance.now();
          controller.abort();
        },
      },
    );
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(performance.now() - abortedAt).toBeLessThan(2000);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects unusable settings and data with a code', async () => {
    const data = separable();
    await expect(trainHead(data, { dropout: 1 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(trainHead(data, { batchSize: 0 })).rejects.toBeInstanceOf(HeadTrainingError);
    const badLabel = { ...data, train: { ...data.train, y: data.train.y.map((c) => (c === 2 ? 3 : c)) } };
    await expect(trainHead(badLabel)).rejects.toMatchObject({ code: 'DATASET_INVALID' });
    const nan = { ...data, val: { ...data.val, x: data.val.x.map((v, i) => (i === 5 ? Number.NaN : v)) } };
    await expect(trainHead(nan)).rejects.toMatchObject({ code: 'DATASET_INVALID' });
  });
});
