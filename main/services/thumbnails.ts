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
  try {
    await photo
      .resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true, fastShrinkOnLoad: true })
      .jpeg({ quality: 80 })
      .toFile(temp);
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
}
