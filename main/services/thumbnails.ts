import fs from 'node:fs/promises';
import path from 'node:path';
import type { Sharp } from 'sharp';

export const THUMB_SIZE = 256;
export const PREVIEW_SIZE = 1600;

export function thumbnailPath(thumbsDir: string, contentHash: string): string {
  return path.join(thumbsDir, contentHash.slice(0, 2), `${contentHash}.jpg`);
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes the thumbnail for a content hash unless it exists already (thumbnails are keyed by
 * content, so identical photos share one). Written to a temporary name, then renamed.
 */
export async function writeThumbnail(thumbsDir: string, contentHash: string, photo: Sharp): Promise<void> {
  const target = thumbnailPath(thumbsDir, contentHash);
  if (await exists(target)) return;
  await fs.mkdir(path.dirname(target), { recursive: true });
  const temp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  // Encoded in memory, then written by Node: a failed write (ENOSPC) keeps its code, where sharp's
  // toFile reports it as a decoding error ("write error") that would blame the photo.
  const jpeg = await photo
    .resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true, fastShrinkOnLoad: true })
    .jpeg({ quality: 80 })
    .toBuffer();
  try {
    await fs.writeFile(temp, jpeg);
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
}
