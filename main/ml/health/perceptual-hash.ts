import { orientedPhoto } from '../../imaging/photo-file';

/**
 * The difference hash (dHash, N. Krawetz, "Kind of Like That", 2013) of `size+1`×`size` greyscale
 * pixels in row order: one bit per horizontally adjacent pair, set when the left pixel is
 * brighter; size² bits as size²/4 hex digits. Robust to resizing, re-encoding and uniform
 * brightness changes, since it keeps only the sign of horizontal gradients. Throws when `grey`
 * is not (size+1)·size bytes or size is not a multiple of 4.
 */
export function differenceHashOfGrey(grey: Uint8Array, size = 8): string {
  const width = size + 1;
  if (size % 4 !== 0 || grey.length !== width * size) {
    throw new Error(`dHash of size ${size} needs ${width * size} grey pixels, got ${grey.length}.`);
  }
  let hex = '';
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col += 4) {
      let nibble = 0;
      for (let k = 0; k < 4; k++) {
        const i = row * width + col + k;
        nibble = (nibble << 1) | (grey[i] > grey[i + 1] ? 1 : 0);
      }
      hex += nibble.toString(16);
    }
  }
  return hex;
}

async function greyPixels(bytes: Buffer, size: number): Promise<Uint8Array> {
  const photo = await orientedPhoto(bytes);
  return photo
    .greyscale()
    .resize(size + 1, size, { fit: 'fill', kernel: 'cubic' })
    .extractChannel(0)
    .raw()
    .toBuffer();
}

/** Hex digits of the coarse (8×8, 64-bit) hash at the start of a photo hash; the fine (16×16, 256-bit) hash follows. */
export const COARSE_HASH_DIGITS = 16;
/** Hex digits of a whole photo hash: coarse then fine. */
export const PHOTO_HASH_DIGITS = COARSE_HASH_DIGITS + 64;

/**
 * A photo's two-scale dHash (any format Graft imports, EXIF orientation applied): the 64-bit
 * hash of 9×8 pixels, tolerant of small crops, followed by the 256-bit hash of 17×16 pixels,
 * which tells apart look-alike photos (posed portraits) the coarse one confuses. 80 hex digits.
 * Throws PhotoError when the photo cannot be decoded.
 */
export async function photoHash(bytes: Buffer): Promise<string> {
  return differenceHashOfGrey(await greyPixels(bytes, 8), 8) + differenceHashOfGrey(await greyPixels(bytes, 16), 16);
}
