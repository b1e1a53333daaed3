import { describe, expect, it } from 'vitest';
import { uncertainty } from './uncertainty';

describe('uncertainty', () => {
  it('is 0 for a certain row and highest for an even one, on every measure', () => {
    expect(uncertainty([1, 0, 0], 'margin')).toBe(0);
    expect(uncertainty([1, 0, 0], 'entropy')).toBe(0);
    expect(uncertainty([1, 0, 0], 'least-confidence')).toBe(0);
    expect(uncertainty([0.5, 0.5], 'margin')).toBe(1);
    expect(uncertainty([1 / 3, 1 / 3, 1 / 3], 'entropy')).toBeCloseTo(1, 12);
    expect(uncertainty([0.25, 0.25, 0.25, 0.25], 'least-confidence')).toBe(0.75);
  });

  it('tells the measures apart where they disagree', () => {
    // Two close leaders but little spread: margin calls it unsure, least-confidence less so.
    const close = [0.45, 0.44, 0.11];
    const flat = [0.5, 0.25, 0.25];
    expect(uncertainty(close, 'margin')).toBeCloseTo(0.99, 12);
    expect(uncertainty(flat, 'margin')).toBeCloseTo(0.75, 12);
    expect(uncertainty(close, 'least-confidence')).toBeCloseTo(0.55, 12);
    expect(uncertainty(flat, 'least-confidence')).toBeCloseTo(0.5, 12);
    const h = -(0.5 * Math.log(0.5) + 2 * 0.25 * Math.log(0.25)) / Math.log(3);
    expect(uncertainty(flat, 'entropy')).toBeCloseTo(h, 12);
  });
});
