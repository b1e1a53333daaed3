import { orientedPhoto } from '../../imaging/photo-file';

/** Width and height of the greyscale the difference hash compares: 9×8 gives 8×8 = 64 bits. */
const HASH_WIDTH = 9;
const HASH_HEIGHT = 8;

/**
 * The difference hash (dHash, N. Krawetz, "Kind of Like That", 2013) of 9×8 greyscale pixels in
 * row order: bit i is set when a pixel is brighter than its right neighbour. 64 bits as 16 hex
 * digits. Robust to resizing, re-encoding and uniform brightness changes, since it keeps only the
 * sign of horizontal gradients. Throws when `grey` is not 72 bytes.
 */
export function differenceHashOfGrey(grey: Uint8Array): string {
  if (grey.length !== HASH_WIDTH * HASH_HEIGHT) throw new Error(`dHash needs 72 grey pixels, got ${grey.length}.`);
  let hex = '';
  for (let row = 0; row < HASH_HEIGHT; row++) {
    let byte = 0;
    for (let col = 0; col < HASH_WIDTH - 1; col++) {
      const i = row * HASH_WIDTH + col;
      byte = (byte << 1) | (grey[i] > grey[i + 1] ? 1 : 0);
    }
    hex += byte.toString(16).padStart(2, '0');
  }
  return hex;
}

/**
 * The dHash of a photo's bytes (any format Graft imports, EXIF orientation applied): shrunk to
 * 9×8 greyscale (cubic filter). Throws PhotoError when the
 * photo cannot be decoded.
 */
export async function differenceHash(bytes: Buffer): Promise<string> {
  const photo = await orientedPhoto(bytes);
  const grey = await photo
    .greyscale()
    .resize(HASH_WIDTH, HASH_HEIGHT, { fit: 'fill', kernel: 'cubic' })
    .extractChannel(0)
    .raw()
    .toBuffer();
  return differenceHashOfGrey(grey);
}
