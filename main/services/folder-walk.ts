import type { Dirent, Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { SkippedEntry } from '../../common/contract';
import { PHOTO_EXTENSIONS } from '../imaging/photo-file';
import { notRegularFileError } from '../imaging/regular-file';

export interface WalkedFile {
  relPath: string;
  absPath: string;
}

export interface WalkResult {
  /** Regular files (directly or through links) with a photo extension, sorted by relPath. */
  files: WalkedFile[];
  /** Everything else that was seen and not read, each with its reason, in walk order. */
  skipped: SkippedEntry[];
  /** Entries whose name starts with “.”: left out by design, only counted. */
  hidden: number;
}

function isPhotoName(name: string): boolean {
  return PHOTO_EXTENSIONS.has(path.extname(name).toLowerCase());
}

const EXTENSION_LIST = [...PHOTO_EXTENSIONS].join(', ');

/**
 * Whether `name`, as readdir gave it, lost bytes that are not UTF-8 (Node's string names replace
 * them with U+FFFD, so the name no longer opens the entry): true when it holds U+FFFD and nothing
 * answers to it at `absPath`.
 */
async function lostItsBytes(name: string, absPath: string): Promise<boolean> {
  if (!name.includes('\uFFFD')) return false;
  return fs.lstat(absPath).then(
    () => false,
    (err: NodeJS.ErrnoException) => err.code === 'ENOENT',
  );
}

const NOT_UTF8: Pick<SkippedEntry, 'code' | 'message'> = {
  code: 'NAME_NOT_UTF8',
  message:
    'This name is not valid UTF-8 text (it was written in an older encoding such as Latin-1), so Graft cannot open it: rename it.',
};

/** What an entry is, following a symbolic link with stat (which never opens the target). */
type Resolved =
  | { kind: 'file' | 'folder'; viaLink: boolean }
  | { kind: 'special'; stats: Stats; viaLink: boolean }
  | SkippedEntry;

async function resolveEntry(entry: Dirent, absPath: string, relPath: string): Promise<Resolved> {
  const viaLink = entry.isSymbolicLink();
  if (!viaLink && entry.isDirectory()) return { kind: 'folder', viaLink };
  if (!viaLink && entry.isFile()) return { kind: 'file', viaLink };
  let stats: Stats;
  try {
    stats = viaLink ? await fs.stat(absPath) : await fs.lstat(absPath);
  } catch (err) {
    return unresolvable(err, relPath, viaLink);
  }
  if (stats.isDirectory()) return { kind: 'folder', viaLink };
  if (stats.isFile()) return { kind: 'file', viaLink };
  return { kind: 'special', stats, viaLink };
}

function unresolvable(err: unknown, relPath: string, viaLink: boolean): SkippedEntry {
  const code = (err as { code?: string }).code;
  if (!viaLink && code === 'ENOENT') {
    return { relPath, code: 'READ_FAILED', message: 'This entry disappeared while its folder was being scanned.' };
  }
  if (code === 'ELOOP') {
    return { relPath, code: 'LINK_LOOP', message: 'This symbolic link loops back on itself, so it leads to nothing.' };
  }
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return { relPath, code: 'DANGLING_LINK', message: 'This symbolic link points to something that does not exist.' };
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return { relPath, code: 'PERMISSION_DENIED', message: 'Permission denied: Graft may not look at this entry.' };
  }
  return { relPath, code: 'READ_FAILED', message: `This entry could not be examined (${code ?? 'unknown error'}).` };
}

/** Links are never followed into these (POSIX): their entries are devices and kernel state. */
const SYSTEM_FOLDERS = ['/dev', '/proc', '/sys'];

function isInside(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);
}

/** A folder's identity across paths (links, bind mounts): device and inode. */
function folderKey(stats: Stats): string {
  return `${stats.dev}:${stats.ino}`;
}

/** Entries a set of walks may still examine, shared between them; each entry examined takes one. */
export interface EntryBudget {
  left: number;
}

/**
 * Lists the photos below `root`: regular files, directly or through symbolic links, whose name
 * ends in a PHOTO_EXTENSIONS ending. Nothing is opened: types come from readdir and, for links,
 * from stat. Everything else seen is reported in `skipped` with a reason (FIFOs, devices and
 * sockets, link loops, dangling links, unsupported endings, unreadable folders, folders named like
 * a photo — those are still scanned as folders); hidden entries are counted.
 *
 * Symbolic links to folders are followed, after every real folder has been scanned, so a photo
 * is listed under its real path where it has one. A folder is scanned once (by device and inode):
 * a link back to a folder that contains it is a LINK_LOOP, one to a folder already scanned is
 * ALREADY_SCANNED, and links into /dev, /proc or /sys are SYSTEM_FOLDER, never entered.
 *
 * Stops early, with what it found so far, when `signal` aborts, `limit` photos are found or
 * `budget` is spent; all are checked before each entry, so a folder of many links stops at once.
 *
 * @throws the file-system error when `root` itself cannot be read.
 */
export async function walkPhotoFolder(
  root: string,
  signal?: AbortSignal,
  limit = Number.POSITIVE_INFINITY,
  budget: EntryBudget = { left: Number.POSITIVE_INFINITY },
): Promise<WalkResult> {
  const stop = () => signal?.aborted === true || files.length >= limit || budget.left <= 0;
  const files: WalkedFile[] = [];
  const skipped: SkippedEntry[] = [];
  let hidden = 0;
  const scanned = new Set<string>([folderKey(await fs.stat(root))]);
  const pending: string[] = [''];
  /** Links to folders, followed once the real folders are done. */
  const linkedFolders: string[] = [];
  while (pending.length > 0 || linkedFolders.length > 0) {
    if (stop()) break;
    if (pending.length === 0) {
      const link = linkedFolders.shift()!;
      const refusal = await refuseLinkedFolder(root, link, scanned);
      if (refusal) skipped.push(refusal);
      else pending.push(link);
      continue;
    }
    const rel = pending.pop()!;
    let entries: Dirent[];
    try {
      entries = await fs.readdir(path.join(root, rel), { withFileTypes: true });
    } catch (err) {
      if (rel === '') throw err;
      const code = (err as { code?: string }).code;
      skipped.push({ relPath: rel, code: 'FOLDER_UNREADABLE', message: `This folder could not be read (${code}).` });
      continue;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    const subfolders: string[] = [];
    for (const entry of entries) {
      if (stop()) break;
      budget.left--;
      if (entry.name.startsWith('.')) {
        hidden++;
        continue;
      }
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      const absPath = path.join(root, childRel);
      if (await lostItsBytes(entry.name, absPath)) {
        skipped.push({ relPath: childRel, ...NOT_UTF8 });
        continue;
      }
      const resolved = await resolveEntry(entry, absPath, childRel);
      if ('code' in resolved) skipped.push(resolved);
      else if (resolved.kind === 'folder') {
        if (isPhotoName(entry.name)) {
          skipped.push({
            relPath: childRel,
            code: 'FOLDER_NAMED_LIKE_PHOTO',
            message: 'This is a folder whose name ends like a photo: it was scanned as a folder, not read as a photo.',
          });
        }
        if (resolved.viaLink) linkedFolders.push(childRel);
        else subfolders.push(childRel);
      } else if (resolved.kind === 'special') {
        const { message } = notRegularFileError(resolved.stats, resolved.viaLink);
        skipped.push({ relPath: childRel, code: 'NOT_REGULAR_FILE', message });
      } else if (isPhotoName(entry.name)) files.push({ relPath: childRel, absPath });
      else {
        skipped.push({
          relPath: childRel,
          code: 'UNSUPPORTED_EXTENSION',
          message: `Not a photo file type Graft reads (it reads ${EXTENSION_LIST}).`,
        });
      }
    }
    // Real folders are marked before any link is followed, so a link never takes a folder's
    // place; one met again (through a bind mount, or below a followed link) is not rescanned.
    const fresh: string[] = [];
    for (const sub of subfolders) {
      const stats = await fs.stat(path.join(root, sub)).catch(() => null);
      if (stats && scanned.has(folderKey(stats))) skipped.push(alreadyScanned(sub, path.join(root, sub)));
      else {
        if (stats) scanned.add(folderKey(stats));
        fresh.push(sub);
      }
    }
    // Depth-first in name order: push in reverse so the first name is scanned first.
    pending.push(...fresh.reverse());
  }
  files.sort((a, b) => a.relPath.localeCompare(b.relPath));
  return { files, skipped, hidden };
}

/**
 * Why the folder behind the link at `rel` must not be scanned, or null (and it is then recorded
 * as scanned): a system folder, a folder containing the link (a loop) or one already scanned.
 */
async function refuseLinkedFolder(root: string, rel: string, scanned: Set<string>): Promise<SkippedEntry | null> {
  const absPath = path.join(root, rel);
  let target: string;
  let stats: Stats;
  try {
    target = await fs.realpath(absPath);
    stats = await fs.stat(target);
  } catch (err) {
    return unresolvable(err, rel, true);
  }
  if (process.platform !== 'win32' && SYSTEM_FOLDERS.some((system) => isInside(target, system))) {
    return {
      relPath: rel,
      code: 'SYSTEM_FOLDER',
      message: `This link leads into ${target}, a system folder of devices and kernel state that Graft never reads.`,
    };
  }
  const linkFolder = await fs.realpath(path.dirname(absPath)).catch(() => path.dirname(absPath));
  if (isInside(linkFolder, target)) {
    return {
      relPath: rel,
      code: 'LINK_LOOP',
      message: `This link leads back to ${target}, a folder that contains it: following it would loop for ever.`,
    };
  }
  const key = folderKey(stats);
  if (scanned.has(key)) return alreadyScanned(rel, target);
  scanned.add(key);
  return null;
}

function alreadyScanned(relPath: string, target: string): SkippedEntry {
  return {
    relPath,
    code: 'ALREADY_SCANNED',
    message: `This leads to ${target}, which was already scanned: its photos are not read twice.`,
  };
}

/**
 * The visible sub-folders of `dir` (symbolic links to folders included), sorted by name, and the
 * photos directly inside it: regular files, directly or through links, with a photo ending.
 * A FIFO or device named like a photo is not a photo. Opens nothing but `dir` itself.
 */
export async function listFolder(dir: string): Promise<{ folders: string[]; images: number }> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const folders: string[] = [];
  let images = 0;
  for (const entry of entries) {
    if (entry.name.startsWith('.') || (await lostItsBytes(entry.name, path.join(dir, entry.name)))) continue;
    const resolved = await resolveEntry(entry, path.join(dir, entry.name), entry.name);
    if ('code' in resolved) continue;
    if (resolved.kind === 'folder') folders.push(entry.name);
    else if (resolved.kind === 'file' && isPhotoName(entry.name)) images++;
  }
  folders.sort((a, b) => a.localeCompare(b));
  return { folders, images };
}
