// HEIC/HEIF photos with HEVC pictures (the iPhone default). sharp's prebuilt libvips reads HEIF
// only with AV1 pictures (AVIF), so HEVC ones are decoded by heic-decode: libheif with libde265
// compiled to WebAssembly (libheif-js, LGPL-3.0, loaded unmodified from node_modules).
import decodeHeif from 'heic-decode';
import { PhotoError } from './photo-error';

/** ISOBMFF brands that announce HEVC-coded pictures (ISO/IEC 23008-12 annex B). */
const HEVC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs']);

/**
 * Whether the bytes are a HEIF file holding HEVC pictures: an `ftyp` box first whose major or
 * compatible brands include an HEVC brand. AVIF (brands avif/avis) is not, and goes to sharp.
 */
export function isHevcHeif(buffer: Buffer): boolean {
  if (buffer.length < 16 || buffer.toString('latin1', 4, 8) !== 'ftyp') return false;
  const boxEnd = Math.min(buffer.readUInt32BE(0), buffer.length);
  if (HEVC_BRANDS.has(buffer.toString('latin1', 8, 12))) return true;
  for (let at = 16; at + 4 <= boxEnd; at += 4) {
    if (HEVC_BRANDS.has(buffer.toString('latin1', at, at + 4))) return true;
  }
  return false;
}

function needsConverting(err: unknown): PhotoError {
  const detail = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  return new PhotoError(
    'HEIC_NEEDS_CONVERTING',
    `Graft could not decode this HEIC photo (libheif: ${detail}). Convert it to JPEG or PNG — for example with Photos › Export, Preview › Export or heif-convert — and add the converted file.`,
  );
}

type HeifImage = { width: number; height: number; decode(): Promise<{ data: Uint8ClampedArray }> };

/**
 * The primary picture's size, from the container without decoding pixels (libheif reports it
 * with the file's rotation and mirroring applied). Throws PhotoError HEIC_NEEDS_CONVERTING.
 */
export async function heicSize(buffer: Buffer): Promise<{ width: number; height: number }> {
  let images: HeifImage[] & { dispose(): void };
  try {
    images = (await decodeHeif.all({ buffer })) as unknown as HeifImage[] & { dispose(): void };
  } catch (err) {
    throw needsConverting(err);
  }
  try {
    return { width: images[0].width, height: images[0].height };
  } finally {
    images.dispose();
  }
}

/**
 * The primary picture as RGBA bytes (width * height * 4, row-major), already rotated and
 * mirrored as the file says (HEIF's irot/imir; its EXIF orientation must not be applied again).
 * Throws PhotoError HEIC_NEEDS_CONVERTING.
 */
export async function decodeHeic(buffer: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  try {
    const { data, width, height } = await decodeHeif({ buffer });
    return { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), width, height };
  } catch (err) {
    throw needsConverting(err);
  }
}
