import fs from 'node:fs/promises';
import path from 'node:path';
import { PHOTO_EXTENSIONS } from '../imaging/photo-file';

export interface WalkedFile {
  relPath: string;
  absPath: string;
}

export interface WalkProblem {
  relPath: string;
  reason: string;
}

/**
 * Lists photo files below `root` by extension. Hidden entries and symbolic links to
 * folders are skipped (links could loop); unreadable sub-folders are reported, not fatal.
 */
export async function walkPhotoFolder(
  root: string,
  signal?: AbortSignal,
): Promise<{ files: WalkedFile[]; problems: WalkProblem[] }> {
  const files: WalkedFile[] = [];
  const problems: WalkProblem[] = [];
  const pending: string[] = [''];
  while (pending.length > 0) {
    if (signal?.aborted) break;
    const rel = pending.pop()!;
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(path.join(root, rel), { withFileTypes: true });
    } catch (err) {
      if (rel === '') throw err;
      problems.push({ relPath: rel, reason: `This folder could not be read (${(err as { code?: string }).code})` });
      continue;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) pending.push(childRel);
      else if (
        (entry.isFile() || entry.isSymbolicLink()) &&
        PHOTO_EXTENSIONS.has(path.extname(entry.name).toLowerCase())
      ) {
        files.push({ relPath: childRel, absPath: path.join(root, childRel) });
      }
    }
  }
  files.sort((a, b) => a.relPath.localeCompare(b.relPath));
  return { files, problems };
}

/** Counts the photos directly inside a folder and lists its visible sub-folders. */
export async function listFolder(dir: string): Promise<{ folders: string[]; images: number }> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const folders: string[] = [];
  let images = 0;
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    if (e.isDirectory()) folders.push(e.name);
    else if (PHOTO_EXTENSIONS.has(path.extname(e.name).toLowerCase())) images++;
  }
  folders.sort((a, b) => a.localeCompare(b));
  return { folders, images };
}
