import { describe, expect, it } from 'vitest';
import { type BackboneComparison, type BackboneComparisonRow, comparisonVerdict } from './backbone-compare';

function row(backboneId: string, accuracy: number, spread: number): BackboneComparisonRow {
  return {
    backboneId,
    name: backboneId,
    source: 'bundled',
    featureDim: 8,
    isDefault: false,
    status: 'ok',
    accuracy,
    spread,
    photosPerSecond: null,
    cached: 0,
    failed: 0,
    reason: null,
  };
}

function comparison(rows: BackboneComparisonRow[], smallestClass = 40, folds = 5): BackboneComparison {
  return {
    projectId: 1,
    photos: 100,
    classes: 2,
    folds,
    foldsNote: null,
    smallestClass,
    seed: 1,
    rows,
    seconds: 1,
    finishedAt: '2026-12-01T00:00:00Z',
  };
}

describe('comparisonVerdict', () => {
  it('names the first backbone only when it leads by more than either spread', () => {
    const clear = comparisonVerdict(comparison([row('a', 0.95, 0.02), row('b', 0.85, 0.03)]));
    expect(clear.winner?.backboneId).toBe('a');

    const close = comparisonVerdict(comparison([row('a', 0.9, 0.05), row('b', 0.87, 0.02)]));
    expect(close.winner).toBeNull();
    expect(close.message).toMatch(/within each other's spread/);
  });

  it('ranks nothing when the folds hold too few photos of a class, whatever the lead', () => {
    const tiny = comparisonVerdict(comparison([row('a', 0.45, 0.1), row('b', 0.07, 0.13)], 8, 5));
    expect(tiny.winner).toBeNull();
    expect(tiny.message).toMatch(/Too few photos to rank reliably: the smallest class has 8 photos for 5 folds/);
  });

  it('says when nothing could be scored', () => {
    const skipped = { ...row('a', 0, 0), status: 'skipped' as const, accuracy: null, spread: null };
    expect(comparisonVerdict(comparison([skipped])).winner).toBeNull();
  });
});
