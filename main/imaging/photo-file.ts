import { createHash } from 'node:crypto';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { GraftError } from '../../common/errors';
import { decodeBmp, isBmp, readBmpSize } from './bmp-decoder';
import { decodeHeic, heicSize, isHevcHeif } from './heic';
import { fileSystemError, PhotoError } from './photo-error';
import { readRegularFile } from './regular-file';

sharp.cache(false);

/** File endings read as photos; the folder walk lists anything else as skipped, with its reason. */
export const PHOTO_EXTENSIONS = new Set([
  '.jpg',
  '.jpeg',
  '.jpe',
  '.jfif',
  '.png',
  '.webp',
  '.gif',
  '.tif',
  '.tiff',
  '.avif',
  '.heic',
  '.heif',
  '.bmp',
]);

const DECODABLE_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif', 'avif', 'bmp']);

/** Photos above this many pixels are refused before decoding: 200 MP covers any camera. */
export const MAX_PIXELS = 200_000_000;

export interface PhotoBytes {
  buffer: Buffer;
  sizeBytes: number;
  mtimeMs: number;
  contentHash: string;
}

export interface PhotoInfo {
  format: string;
  /** Size as displayed, after EXIF orientation. */
  width: number;
  height: number;
}

/**
 * The photo's bytes through the one safe opener (regular files only, bounded; see
 * readRegularFile), with its SHA-256 content hash (hex). Throws PhotoError.
 */
export async function readPhotoBytes(absPath: string): Promise<PhotoBytes> {
  const { buffer, mtimeMs } = await readRegularFile(absPath);
  if (buffer.length === 0) throw new PhotoError('EMPTY_FILE', 'The file is empty (0 bytes).');
  return {
    buffer,
    sizeBytes: buffer.length,
    mtimeMs: Math.trunc(mtimeMs),
    contentHash: createHash('sha256').update(buffer).digest('hex'),
  };
}

/** Header facts, checked before any pixel is decoded, so absurd sizes are refused cheaply. */
export async function inspectPhoto(buffer: Buffer): Promise<PhotoInfo> {
  if (isBmp(buffer)) {
    const { width, height } = readBmpSize(buffer);
    checkPixelCount(width, height);
    return { format: 'bmp', width, height };
  }
  if (isHevcHeif(buffer)) {
    const { width, height } = await heicSize(buffer);
    checkPixelCount(width, height);
    return { format: 'heif', width, height };
  }
  let meta: Metadata;
  try {
    meta = await sharp(buffer, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw decodeError(err, buffer);
  }
  if (!meta.format || !DECODABLE_FORMATS.has(meta.format)) {
    throw new PhotoError('UNSUPPORTED_FORMAT', `“${meta.format ?? 'unknown'}” files are not supported as photos.`);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  checkPixelCount(width, height);
  const swapped = (meta.orientation ?? 1) >= 5;
  return { format: meta.format, width: swapped ? height : width, height: swapped ? width : height };
}

function checkPixelCount(width: number, height: number): void {
  if (width <= 0 || height <= 0) throw new PhotoError('CORRUPT_IMAGE', 'The image header gives no size.');
  if (width * height > MAX_PIXELS) {
    throw new PhotoError(
      'TOO_LARGE',
      `The image claims to be ${width}×${height} px (${Math.round((width * height) / 1e6)} MP), more than the ${MAX_PIXELS / 1e6} MP Graft accepts.`,
    );
  }
}

/**
 * A sharp pipeline over the photo with EXIF orientation applied. Truncated data fails
 * loudly instead of producing a half-grey picture. BMP and HEVC-coded HEIC, which sharp's
 * libvips cannot read, are decoded first (bmp-decoder, heic) and handed over as raw pixels.
 * Throws PhotoError.
 */
export async function orientedPhoto(buffer: Buffer): Promise<Sharp> {
  if (isHevcHeif(buffer)) {
    const { width, height } = await heicSize(buffer);
    checkPixelCount(width, height);
    const rgba = await decodeHeic(buffer);
    return sharp(rgba.data, { raw: { width: rgba.width, height: rgba.height, channels: 4 } });
  }
  if (isBmp(buffer)) {
    let raw: ReturnType<typeof decodeBmp>;
    try {
      raw = decodeBmp(buffer);
    } catch (err) {
      throw new PhotoError('CORRUPT_IMAGE', `The BMP file could not be decoded: ${(err as Error).message}.`);
    }
    return sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
  }
  return sharp(buffer, { failOn: 'truncated', limitInputPixels: MAX_PIXELS }).rotate();
}

/**
 * Whether the file stops before its format's end marker. libvips keeps one error buffer per
 * process, so under concurrent decodes sharp may report "Unknown error" for a truncated file
 * (sharp#902); the bytes themselves say what happened.
 */
export function looksTruncated(buffer: Buffer): boolean {
  const tail = buffer.subarray(Math.max(0, buffer.length - 64));
  if (buffer[0] === 0xff && buffer[1] === 0xd8) return !tail.includes(Buffer.from([0xff, 0xd9]));
  if (buffer.subarray(1, 4).toString('latin1') === 'PNG') return !tail.includes(Buffer.from('IEND', 'latin1'));
  return false;
}

export function decodeError(err: unknown, buffer?: Buffer): PhotoError {
  if (err instanceof PhotoError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (buffer && looksTruncated(buffer)) {
    return new PhotoError('CORRUPT_IMAGE', 'The image is truncated: the file ends before the picture does.');
  }
  if (/unsupported image format/i.test(message)) {
    return new PhotoError(
      'NOT_AN_IMAGE',
      'This file is not an image Graft can read (its contents are not a known photo format).',
    );
  }
  if (/premature end|truncat|end of (file|stream)|unexpected end/i.test(message)) {
    return new PhotoError('CORRUPT_IMAGE', 'The image is truncated: the file ends before the picture does.');
  }
  if (/pixel limit/i.test(message)) {
    return new PhotoError('TOO_LARGE', 'The image is larger than Graft accepts.');
  }
  const detail = message.split('\n')[0];
  return new PhotoError(
    'CORRUPT_IMAGE',
    /unknown error/i.test(detail)
      ? 'The image is damaged and cannot be decoded.'
      : `The image is damaged and cannot be decoded (${detail}).`,
  );
}

/** Ensures a caught value is a PhotoError, wrapping unexpected ones. */
export function asPhotoError(err: unknown, buffer?: Buffer): PhotoError {
  if (err instanceof PhotoError) return err;
  if (err instanceof GraftError) return new PhotoError('READ_FAILED', err.message);
  if ((err as { code?: string }).code) return fileSystemError(err);
  return decodeError(err, buffer);
}
