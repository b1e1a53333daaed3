import { describe, expect, it } from 'vitest';
import { areaUnderRoc, maximumMeanDiscrepancy, summarisePredictions } from './domain-measures';
import { fitOodStatistics, oodScores, percentileOf } from './out-of-distribution';
import { shiftedDomains } from './shifted-domains';

describe('out-of-distribution score', () => {
  it('flags shifted photos and about 5% of held-out source photos', () => {
    const { source, sourceVal, target, classCount } = shiftedDomains({
      dim: 16,
      classCount: 3,
      perClass: 200,
      shift: 'diagonal',
      seed: 3,
    });
    const half = sourceVal.x.length / 2;
    const stats = fitOodStatistics(source, source.y, classCount, sourceVal.x.subarray(0, half));
    const heldOut = oodScores(stats, sourceVal.x.subarray(half));
    const shifted = oodScores(stats, target.x);
    const flagged = (s: Float64Array) => s.filter((v) => v > stats.threshold).length / s.length;
    expect(flagged(heldOut)).toBeGreaterThan(0.01);
    expect(flagged(heldOut)).toBeLessThan(0.12);
    expect(flagged(shifted)).toBeGreaterThan(0.9);
    expect(areaUnderRoc(heldOut, shifted)).toBeGreaterThan(0.95);
    expect(JSON.parse(JSON.stringify(stats))).toEqual(stats);
  });

  it('refuses a class without training rows', () => {
    expect(() =>
      fitOodStatistics({ x: new Float32Array(4), dim: 2 }, Int32Array.from([0, 0]), 2, new Float32Array(2)),
    ).toThrow(/Every class/);
  });

  it('percentile by nearest rank', () => {
    expect(percentileOf([5, 1, 4, 2, 3], 100)).toBe(5);
    expect(percentileOf([5, 1, 4, 2, 3], 40)).toBe(2);
    expect(percentileOf([7], 95)).toBe(7);
  });
});

describe('domain measures', () => {
  it('AUROC is the chance a positive outscores a negative, ties half', () => {
    expect(areaUnderRoc([1, 2], [3, 4])).toBe(1);
    expect(areaUnderRoc([3, 4], [1, 2])).toBe(0);
    expect(areaUnderRoc([1, 2], [2, 3])).toBeCloseTo(0.875);
  });

  it('MMD is near zero for two samples of one domain and larger across a shift', () => {
    const { source, sourceVal, target } = shiftedDomains({
      dim: 8,
      classCount: 2,
      perClass: 100,
      shift: 'diagonal',
      seed: 4,
    });
    const same = maximumMeanDiscrepancy(source, sourceVal, 1);
    const shifted = maximumMeanDiscrepancy(source, target, 1);
    expect(shifted).toBeGreaterThan(10 * same);
    expect(maximumMeanDiscrepancy(source, target, 1)).toBe(shifted);
  });

  it('summarises confidence, entropy and class shares', () => {
    const s = summarisePredictions(Float32Array.from([1, 0, 0.5, 0.5, 0.8, 0.2]), 2);
    expect(s.confidenceHistogram).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 1, 1]);
    expect(s.entropyHistogram[0]).toBe(1);
    expect(s.entropyHistogram[9]).toBe(1);
    expect(s.classProportions).toEqual([1, 0]);
    expect(s.meanConfidence).toBeCloseTo(0.7667, 3);
  });
});
