// Training views of a photo for fine-tuning: deterministic transforms of the centre crop the
// embedder makes (mirror, a zoomed sub-square, colour gains), so each view's cut activation is
// computed once by the trunk and cached, and each epoch draws one view per photo.
import { flipHorizontally } from '../preprocess';

export interface AugmentView {
  /** Stable name: part of a cache key. */
  name: string;
  /** Mirrored left-right (after any crop). */
  flip: boolean;
  /** A square [x, y, x+size, y+size] of the crop, in fractions of its side, resampled back to full size. */
  crop?: { x: number; y: number; size: number };
  /** Per-channel multipliers (R, G, B), clamped to 0-255. */
  gains?: [number, number, number];
}

export const ORIGINAL_VIEW: AugmentView = { name: 'original', flip: false };
export const MIRROR_VIEW: AugmentView = { name: 'hflip', flip: true };

/**
 * Six views: the two the app already averages over, two 80% zooms at opposite corners (one
 * mirrored), and a warm and a cool colour cast. A starting point, to be chosen by measurement
 * (docs/BENCHMARKS.md, fine-tuning).
 */
export const SIX_TRAINING_VIEWS: readonly AugmentView[] = [
  ORIGINAL_VIEW,
  MIRROR_VIEW,
  { name: 'zoom80-tl', flip: false, crop: { x: 0, y: 0, size: 0.8 } },
  { name: 'zoom80-br-hflip', flip: true, crop: { x: 0.2, y: 0.2, size: 0.8 } },
  { name: 'warm', flip: false, gains: [1.12, 1, 0.88] },
  { name: 'cool-hflip', flip: true, gains: [0.88, 1, 1.12] },
];

/** `view` of an RGB crop of size x size pixels (row-major, 3 bytes a pixel); a new array. */
export function applyView(rgb: Uint8Array, size: number, view: AugmentView): Uint8Array {
  let out = view.crop ? resampleSquare(rgb, size, view.crop) : rgb;
  if (view.gains) out = applyGains(out, view.gains);
  if (view.flip) return flipHorizontally(out, size);
  return out === rgb ? rgb.slice() : out;
}

/** Bilinear resampling of a sub-square back to size x size (pixel centres aligned, as image resizers do). */
function resampleSquare(rgb: Uint8Array, size: number, crop: { x: number; y: number; size: number }): Uint8Array {
  const out = new Uint8Array(rgb.length);
  const scale = crop.size;
  const at = (v: number) => Math.min(size - 1, Math.max(0, v));
  for (let y = 0; y < size; y++) {
    const sy = at(crop.y * size + (y + 0.5) * scale - 0.5);
    const y0 = Math.floor(sy);
    const y1 = Math.min(size - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < size; x++) {
      const sx = at(crop.x * size + (x + 0.5) * scale - 0.5);
      const x0 = Math.floor(sx);
      const x1 = Math.min(size - 1, x0 + 1);
      const fx = sx - x0;
      for (let c = 0; c < 3; c++) {
        const p = (yy: number, xx: number) => rgb[(yy * size + xx) * 3 + c];
        const top = p(y0, x0) * (1 - fx) + p(y0, x1) * fx;
        const bottom = p(y1, x0) * (1 - fx) + p(y1, x1) * fx;
        out[(y * size + x) * 3 + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return out;
}

function applyGains(rgb: Uint8Array, gains: [number, number, number]): Uint8Array {
  return rgb.map((v, i) => Math.min(255, Math.round(v * gains[i % 3])));
}
