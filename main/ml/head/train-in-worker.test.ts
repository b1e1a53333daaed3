import { describe, expect, it } from 'vitest';
import { classificationReport } from '../metrics';
import { predictWithHead } from './head-model';
import { syntheticEmbeddings } from './synthetic-embeddings';
import type { HeadEpochMetrics } from './train-head';
import { trainHeadInWorker } from './train-in-worker';

const clusters = () => syntheticEmbeddings({ dim: 64, classCount: 3, train: 50, val: 20, noise: 0.15, seed: 1 });

describe('trainHeadInWorker', () => {
  it('trains from the TypeScript sources on a worker thread, streaming epochs', async () => {
    const data = clusters();
    const { x: valX, y: valY } = clusters().val;
    const streamed: HeadEpochMetrics[] = [];
    const result = await trainHeadInWorker(data, { maxEpochs: 30 }, { onEpoch: (m) => streamed.push(m) });

    expect(streamed).toEqual(result.epochs);
    expect(classificationReport(valY, result.valProbabilities, 3).accuracy).toBeGreaterThanOrEqual(0.95);
    // The embeddings moved to the worker rather than being copied; the labels were copied.
    expect(data.train.x.length).toBe(0);
    expect(data.val.y).toEqual(valY);
    expect(await predictWithHead(result.artifacts, valX, valY.length)).toEqual(result.valProbabilities);
  });

  it('stops the thread within 2 s of being cancelled', async () => {
    const controller = new AbortController();
    let abortedAt = 0;
    const run = trainHeadInWorker(
      clusters(),
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
  });

  it('turns a failure in the thread into a rejected promise with its code', async () => {
    const data = clusters();
    const broken = { ...data, val: { ...data.val, y: data.val.y.map(() => 9) } };
    await expect(trainHeadInWorker(broken)).rejects.toMatchObject({
      code: 'DATASET_INVALID',
      message: expect.stringContaining('label outside'),
    });
  });
});
