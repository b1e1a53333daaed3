import { describe, expect, it } from 'vitest';
import { flipHorizontally } from '../preprocess';
import { type AugmentView, applyView, MIRROR_VIEW, ORIGINAL_VIEW, SIX_TRAINING_VIEWS } from './augment-views';

/** size x size RGB with R = 10 * x, G = 10 * y, B = 250. */
function ramp(size: number): Uint8Array {
  const out = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) out.set([10 * x, 10 * y, 250], (y * size + x) * 3);
  }
  return out;
}

const channel = (rgb: Uint8Array, c: number) => Array.from(rgb.filter((_, i) => i % 3 === c));

describe('applyView', () => {
  it('keeps the original as a copy and mirrors as the app does', () => {
    const rgb = ramp(4);
    const original = applyView(rgb, 4, ORIGINAL_VIEW);
    expect(original).toEqual(rgb);
    expect(original).not.toBe(rgb);
    expect(applyView(rgb, 4, MIRROR_VIEW)).toEqual(flipHorizontally(rgb, 4));
  });

  it('zooms into a sub-square with bilinear resampling', () => {
    const rgb = ramp(4);
    expect(applyView(rgb, 4, { name: 'whole', flip: false, crop: { x: 0, y: 0, size: 1 } })).toEqual(rgb);
    const zoomed = applyView(rgb, 4, { name: 'tl', flip: false, crop: { x: 0, y: 0, size: 0.5 } });
    // Source x of output column x: (x + 0.5) * 0.5 - 0.5, clamped at 0: 0, 0.25, 0.75, 1.25 -> R = 10 * that.
    expect(channel(zoomed, 0).slice(0, 4)).toEqual([0, 3, 8, 13]);
    expect(channel(zoomed, 1).filter((_, i) => i % 4 === 0)).toEqual([0, 3, 8, 13]);
    const mirroredZoom = applyView(rgb, 4, { name: 'tl-flip', flip: true, crop: { x: 0, y: 0, size: 0.5 } });
    expect(mirroredZoom).toEqual(flipHorizontally(zoomed, 4));
  });

  it('applies colour gains, clamped to 255', () => {
    const view: AugmentView = { name: 'warm', flip: false, gains: [1.5, 1, 0.5] };
    const out = applyView(ramp(2), 2, view);
    expect(channel(out, 0)).toEqual([0, 15, 0, 15]);
    expect(channel(out, 2)).toEqual([125, 125, 125, 125]);
    expect(channel(applyView(ramp(2), 2, { name: 'hot', flip: false, gains: [1, 1, 2] }), 2)).toEqual([
      255, 255, 255, 255,
    ]);
  });

  it('offers six named views, the first two the ones the app averages over', () => {
    expect(SIX_TRAINING_VIEWS.slice(0, 2)).toEqual([ORIGINAL_VIEW, MIRROR_VIEW]);
    expect(new Set(SIX_TRAINING_VIEWS.map((v) => v.name)).size).toBe(6);
  });
});
