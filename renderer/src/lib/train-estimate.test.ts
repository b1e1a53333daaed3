import { describe, expect, it } from 'vitest';
import { estimateSources, estimateTraining } from './train-estimate';

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
    // The plan wraps the basis in brackets: no brackets of its own (user trial 2 saw "60 photos))").
    expect(estimate.basis).toBe('from your last run with this model: 30 s for 300 photos');
  });
});

describe('estimateSources', () => {
  const run = (id: number, fields: Partial<Parameters<typeof estimateSources>[0][number]> = {}) => ({
    id,
    status: 'finished' as const,
    technique: 'feature-extraction' as const,
    durationSeconds: 3,
    backboneId: 'mobilenet',
    adaptation: null,
    ...fields,
  });

  it('learns from the latest finished feature-extraction training run per model, never from an adapted run', () => {
    const adapted = run(5, {
      durationSeconds: 11,
      adaptation: { method: 'standardise' as const, sourceExperimentId: 4, sourceName: 'Run 4', targetTest: null },
    });
    const sources = estimateSources([
      adapted,
      run(4, { technique: 'fine-tune' }),
      run(3, { status: 'failed' }),
      run(2),
      run(1, { backboneId: 'inception' }),
    ]);
    expect([...sources].map(([backbone, r]) => [backbone, r.id])).toEqual([
      ['mobilenet', 2],
      ['inception', 1],
    ]);
  });
});
