// Photo bytes -> a backbone's input: EXIF-oriented, short side resized, centre-cropped,
// RGB, then scaled into the backbone's value range in its tensor layout.
import { asPhotoError, orientedPhoto } from '../imaging/photo-file';

/**
 * Bump whenever the pixels given to a backbone change for the same photo and spec
 * (resampling kernel, alpha handling, crop rounding): cached embeddings carry it.
 */
export const PREPROCESSING_VERSION = 1;

export type TensorLayoutName = 'NCHW' | 'NHWC';

/** Per-channel pixel mapping: value = ((pixel * scale) - mean) / std, or pixel mapped linearly onto [min, max]. */
export type Normalisation =
  | { kind: 'mean-std'; scale: number; mean: [number, number, number]; std: [number, number, number] }
  | { kind: 'range'; min: number; max: number };

export interface Preprocessing {
  /** Side of the square crop the network sees. */
  inputSize: number;
  /** The photo's short side is resized to this before the centre crop (>= inputSize). */
  resizeShortSide: number;
  layout: TensorLayoutName;
  normalisation: Normalisation;
}

export type View = 'original' | 'hflip';

export class ImageDecodeError extends Error {
  readonly code = 'IMAGE_UNREADABLE';
  constructor(message: string) {
    super(message);
    this.name = 'ImageDecodeError';
  }
}

/**
 * The centre crop as packed RGB bytes (inputSize * inputSize * 3, row-major). Transparent
 * areas are composited on white. Throws ImageDecodeError for anything that is not a readable image.
 */
export async function decodeCrop(buffer: Buffer, pre: Preprocessing): Promise<Uint8Array> {
  const size = pre.inputSize;
  const short = Math.max(pre.resizeShortSide, size);
  const offset = Math.floor((short - size) / 2);
  try {
    // One sharp pipeline, no metadata round trip: 'cover' resizes the short side to `short`
    // and keeps the centre square, whose centre is then cut out. With no JavaScript step in
    // between, the whole decode runs on libuv's pool even while inference blocks the event loop.
    const { data, info } = await (await orientedPhoto(buffer))
      .resize(short, short, { fit: 'cover', position: 'centre' })
      .extract({ left: offset, top: offset, width: size, height: size })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== size * size * 3) {
      throw new ImageDecodeError(`Decoding gave ${info.channels} channels at ${info.width}×${info.height}.`);
    }
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (err) {
    throw asDecodeError(err);
  }
}

/** Any decoding failure as an ImageDecodeError, worded as the import words it. */
export function asDecodeError(err: unknown): ImageDecodeError {
  if (err instanceof ImageDecodeError) return err;
  return new ImageDecodeError(asPhotoError(err).message);
}

/** The crop mirrored left-right. */
export function flipHorizontally(rgb: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(rgb.length);
  for (let y = 0; y < size; y++) {
    const row = y * size * 3;
    for (let x = 0; x < size; x++) {
      const from = row + x * 3;
      const to = row + (size - 1 - x) * 3;
      out[to] = rgb[from];
      out[to + 1] = rgb[from + 1];
      out[to + 2] = rgb[from + 2];
    }
  }
  return out;
}

/** value = pixel * a[c] + b[c] for each channel c. */
export function channelAffine(n: Normalisation): { a: number[]; b: number[] } {
  if (n.kind === 'range') {
    const a = (n.max - n.min) / 255;
    return { a: [a, a, a], b: [n.min, n.min, n.min] };
  }
  return {
    a: n.std.map((s) => n.scale / s),
    b: n.mean.map((m, c) => -m / n.std[c]),
  };
}

/** Writes one crop into row `index` of a batch tensor laid out as the backbone expects. */
export function writeInputRow(rgb: Uint8Array, pre: Preprocessing, target: Float32Array, index: number): void {
  const plane = pre.inputSize * pre.inputSize;
  const { a, b } = channelAffine(pre.normalisation);
  const base = index * plane * 3;
  if (pre.layout === 'NHWC') {
    for (let i = 0; i < plane * 3; i++) {
      const c = i % 3;
      target[base + i] = rgb[i] * a[c] + b[c];
    }
    return;
  }
  for (let c = 0; c < 3; c++) {
    const off = base + c * plane;
    const ac = a[c];
    const bc = b[c];
    for (let p = 0; p < plane; p++) target[off + p] = rgb[p * 3 + c] * ac + bc;
  }
}

export function inputDims(pre: Preprocessing, batch: number): number[] {
  const s = pre.inputSize;
  return pre.layout === 'NCHW' ? [batch, 3, s, s] : [batch, s, s, 3];
}
