import { describe, expect, it } from 'vitest';
import { predictionChanges } from './experiment-comparison';
import type { Prediction } from './training';

const p = (imageId: number | null, trueClassId: number, predictedClassId: number, confidence = 0.9): Prediction => ({
  imageId,
  name: `photo-${imageId}.jpg`,
  split: 'val',
  trueClassId,
  predictedClassId,
  confidence,
  probabilities: [],
});

describe('predictionChanges', () => {
  it('lists a relabelled photo, a fixed and a new mistake by photo, and nothing that stayed the same', () => {
    const a = [p(1, 10, 20, 0.97), p(2, 10, 20), p(3, 10, 10), p(4, 20, 20), p(5, 10, 10)];
    const b = [p(1, 20, 20, 0.95), p(2, 10, 10), p(3, 10, 20), p(4, 20, 20, 0.5), p(6, 10, 20)];
    expect(predictionChanges(a, b)).toEqual([
      {
        imageId: 1,
        name: 'photo-1.jpg',
        a: { trueClassId: 10, predictedClassId: 20, confidence: 0.97 },
        b: { trueClassId: 20, predictedClassId: 20, confidence: 0.95 },
      },
      {
        imageId: 2,
        name: 'photo-2.jpg',
        a: { trueClassId: 10, predictedClassId: 20, confidence: 0.9 },
        b: { trueClassId: 10, predictedClassId: 10, confidence: 0.9 },
      },
      {
        imageId: 3,
        name: 'photo-3.jpg',
        a: { trueClassId: 10, predictedClassId: 10, confidence: 0.9 },
        b: { trueClassId: 10, predictedClassId: 20, confidence: 0.9 },
      },
    ]);
  });

  it('leaves out photos removed from the project since (no id)', () => {
    expect(predictionChanges([p(null, 1, 2)], [p(null, 2, 2)])).toEqual([]);
  });
});
