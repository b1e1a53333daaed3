import path from 'node:path';
import type { ImportPreview } from '../../common/contract';
import { describeLayout, unlabelledReason } from '../../common/folder-layout';
import { inspectPhoto, orientedPhoto, readPhotoBytes } from '../imaging/photo-file';
import { walkPhotoFolder } from './folder-walk';

/** Sample photos shown per class. */
export const PREVIEW_SAMPLES = 4;
/** Classes whose samples get a thumbnail: decoding is the slow part, and a dialog shows about this many. */
export const PREVIEW_THUMBNAIL_CLASSES = 12;
/** Edge of a preview thumbnail in pixels (square, centre-cropped): a tile of about 48 CSS px at 2× density. */
const PREVIEW_THUMBNAIL_PX = 96;

/** A small JPEG of the photo as a data URL, or null when it cannot be read or decoded. */
async function thumbnailDataUrl(absPath: string): Promise<string | null> {
  try {
    const bytes = await readPhotoBytes(absPath);
    await inspectPhoto(bytes.buffer);
    const jpeg = await (await orientedPhoto(bytes.buffer))
      .resize(PREVIEW_THUMBNAIL_PX, PREVIEW_THUMBNAIL_PX, { fit: 'cover', fastShrinkOnLoad: true })
      .jpeg({ quality: 70 })
      .toBuffer();
    return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
  } catch {
    return null;
  }
}

/**
 * What importing `dir` with labels from folder names at `classLevel` would give (see
 * ImportPreview), read from the file names alone except the thumbnails of the first
 * PREVIEW_THUMBNAIL_CLASSES classes' samples. Nothing is written. Throws what walkPhotoFolder
 * throws when `dir` cannot be read.
 */
export async function previewImport(dir: string, classLevel: number, signal?: AbortSignal): Promise<ImportPreview> {
  const { files } = await walkPhotoFolder(dir, signal);
  const layout = describeLayout(
    files.map((f) => f.relPath),
    classLevel,
    PREVIEW_SAMPLES,
  );
  const absolute = (relPath: string) => path.join(dir, ...relPath.split('/'));
  const classes: ImportPreview['classes'] = [];
  for (const [index, c] of layout.classes.entries()) {
    // One class's samples at a time: at most PREVIEW_SAMPLES photos in memory at once.
    const samples = await Promise.all(
      c.samples.map(async (relPath) => ({
        relPath,
        thumbnail: index < PREVIEW_THUMBNAIL_CLASSES ? await thumbnailDataUrl(absolute(relPath)) : null,
      })),
    );
    classes.push({ name: c.name, count: c.count, samples });
  }
  return {
    path: dir,
    photoCount: files.length,
    classLevel,
    maxLevel: layout.maxLevel,
    suggestedLevel: layout.suggestedLevel,
    classes,
    splitFolders: layout.splitFolders,
    unlabelled: { count: layout.unlabelled.count, samples: layout.unlabelled.samples },
    note: unlabelledReason(layout),
  };
}
