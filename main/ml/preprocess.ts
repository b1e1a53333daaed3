// Photo bytes -> a backbone's input: EXIF-oriented, short side resized, centre-cropped,
// RGB, then scaled into the backbone's value range in its tensor layout.
import sharp, { type Sharp } from 'sharp';

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

/** Opens photo bytes as a sharp pipeline with EXIF orientation applied. */
export type ImageOpener = (buffer: Buffer) => Sharp;

export class ImageDecodeError extends Error {
  readonly code = 'IMAGE_UNREADABLE';
  constructor(message: string) {
    super(message);
    this.name = 'ImageDecodeError';
  }
}

/** Refuses decompression bombs; 200 MP covers any camera. */
const MAX_INPUT_PIXELS = 200_000_000;

export const openOrientedImage: ImageOpener = (buffer) =>
  sharp(buffer, { failOn: 'truncated', limitInputPixels: MAX_INPUT_PIXELS }).rotate();

/**
 * The centre crop as packed RGB bytes (inputSize * inputSize * 3, row-major). Transparent
 * areas are composited on white. Throws ImageDecodeError for anything that is not a readable image.
 */
export async function decodeCrop(
  buffer: Buffer,
  pre: Preprocessing,
  open: ImageOpener = openOrientedImage,
): Promise<Uint8Array> {
  const size = pre.inputSize;
  const short = Math.max(pre.resizeShortSide, size);
  const offset = Math.floor((short - size) / 2);
  try {
    // One sharp pipeline, no metadata round trip: 'cover' resizes the short side to `short`
    // and keeps the centre square, whose centre is then cut out. With no JavaScript step in
    // between, the whole decode runs on libuv's pool even while inference blocks the event loop.
    const { data, info } = await open(buffer)
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

export function asDecodeError(err: unknown): ImageDecodeError {
  if (err instanceof ImageDecodeError) return err;
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  if (/unsupported image format/i.test(message)) {
    return new ImageDecodeError('The file is not an image Graft can read.');
  }
  if (/premature end|truncat|end of (file|stream)|unexpected end/i.test(message)) {
    return new ImageDecodeError('The image is truncated: the file ends before the picture does.');
  }
  if (/pixel limit/i.test(message)) return new ImageDecodeError('The image is larger than Graft accepts.');
  return new ImageDecodeError(`The image is damaged and cannot be decoded (${message}).`);
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
