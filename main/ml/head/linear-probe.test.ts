import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../common/seeded-random';
import {
  crossValidateProbe,
  PROBE_FOLDS,
  ProbeCancelledError,
  type ProbeData,
  ProbeDataError,
  probeFolds,
  stratifiedFolds,
} from './linear-probe';
import { syntheticEmbeddings } from './synthetic-embeddings';

/** `perClass` separable clustered rows per class (synthetic unit-sphere embeddings). */
function clusters(classCount: number, perClass: number | number[], dim = 64, noise = 0.05): ProbeData {
  const ds = syntheticEmbeddings({ dim, classCount, train: perClass, val: 0, noise, seed: 3 });
  return { x: ds.train.x, y: ds.train.y, dim, classCount };
}

describe('linear probe', () => {
  it('separates clustered classes and scores labels that carry nothing near chance', async () => {
    const data = clusters(4, 30);
    const separable = await crossValidateProbe(data, { seed: 1 });
    expect(separable.folds).toBe(PROBE_FOLDS);
    expect(separable.foldAccuracies).toHaveLength(PROBE_FOLDS);
    expect(separable.mean).toBeGreaterThanOrEqual(0.95);

    const random = seededRandom(9);
    const shuffled = { ...data, y: Int32Array.from(data.y, () => Math.floor(random() * 4)) };
    const noise = await crossValidateProbe(shuffled, { seed: 1 });
    expect(noise.mean).toBeLessThan(0.5);
    expect(noise.std).toBeGreaterThan(0);
  });

  it('is reproducible from its seed', async () => {
    const data = clusters(3, 12, 32, 0.6);
    const a = await crossValidateProbe(data, { seed: 5 });
    const b = await crossValidateProbe(data, { seed: 5 });
    expect(b.foldAccuracies).toEqual(a.foldAccuracies);
  });

  it('deals each class evenly over the folds', () => {
    const y = Int32Array.from([...new Array(10).fill(0), ...new Array(7).fill(1)]);
    const fold = stratifiedFolds(y, 2, 5, 1);
    for (const c of [0, 1]) {
      const perFold = [0, 1, 2, 3, 4].map((f) => y.filter((label, i) => label === c && fold[i] === f).length);
      expect(Math.max(...perFold) - Math.min(...perFold)).toBeLessThanOrEqual(1);
    }
  });

  it('uses fewer folds when a class is small, and says why', async () => {
    const result = await crossValidateProbe(clusters(2, [20, 3]), { seed: 1 });
    expect(result.folds).toBe(3);
    expect(result.fewerFoldsReason).toMatch(/3-fold.*smallest class has only 3 photos/);
  });

  it('refuses a class with one photo, or a single class, with a message to label more', () => {
    expect(() => probeFolds(Int32Array.from([0, 0, 0, 1]), 2)).toThrow(ProbeDataError);
    expect(() => probeFolds(Int32Array.from([0, 0, 0, 1]), 2)).toThrow(/at least 2 labelled photos/);
    expect(() => probeFolds(Int32Array.from([1, 1, 1]), 2)).toThrow(/at least two classes/);
  });

  it('stops at the next fold once cancelled', async () => {
    const controller = new AbortController();
    let folds = 0;
    const run = crossValidateProbe(clusters(2, 20), {
      seed: 1,
      signal: controller.signal,
      onFold: () => {
        folds++;
        controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(ProbeCancelledError);
    expect(folds).toBe(1);
  });
});
