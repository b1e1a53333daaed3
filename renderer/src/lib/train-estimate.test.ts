import { describe, expect, it } from 'vitest';
import { estimateTraining } from './train-estimate';

describe('estimateTraining', () => {
  it('follows the benchmark runs without a previous run', () => {
    expect(estimateTraining(1000, null).seconds).toBeCloseTo(19.0, 5);
    expect(estimateTraining(398, null).seconds).toBeCloseTo(8.8, 5);
  });

  it('without a run of its own gives a range that covers a busy machine, and says it is a rough guide', () => {
    // A trial on a shared 2-core machine trained 398 photos in 55 s.
    const estimate = estimateTraining(398, null);
    expect(estimate.upTo).toBeGreaterThanOrEqual(55);
    expect(estimate.basis).toContain('rough guide');
  });

  it('scales a previous run with the same model to the photos there are now', () => {
    const estimate = estimateTraining(600, { seconds: 30, photos: 300 });
    expect(estimate.seconds).toBe(60);
    expect(estimate.basis).toContain('30 s for 300 photos');
  });
});
