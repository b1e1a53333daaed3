import { randomUUID } from 'node:crypto';
import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PickerView } from '../../common/contract';
import { GraftError, isDiskFull } from '../../common/errors';
import { type EntryBudget, listFolder, walkPhotoFolder } from './folder-walk';
import type { RecentFolders } from './recent-folders';

/** What the chosen folder is for: photos to add to a project, or a location to read or write. */
export type PickPurpose = { kind: 'source'; projectId: number; labelsFromSubfolders: boolean } | { kind: 'location' };

interface PickerSession {
  dir: string;
  purpose: PickPurpose;
  touched: number;
}

const SESSION_TTL_MS = 30 * 60 * 1000;
/** Sub-folders whose photos are counted for the listing; a huge folder stays quick to open. */
const COUNTED_FOLDERS = 200;
/** Photos counted per sub-folder at most: more show as “10,000+”. */
export const PHOTO_COUNT_LIMIT = 10_000;
/** Time for all the counts of one listing; counts cut short show as “N+”. */
const COUNT_TIME_CAP_MS = 1_500;
/**
 * Entries all the counts of one listing may examine together: about what 1.5 s of stat calls
 * reach on a slow disk, so 200 links to one huge folder cannot multiply the work by 200.
 */
const COUNT_ENTRY_BUDGET = 100_000;
/** Sub-folders counted at the same time. */
const COUNT_CONCURRENCY = 4;

/**
 * Photos in `dir` and below, found as the import finds them (regular files only, folder links
 * followed once), stopping at PHOTO_COUNT_LIMIT, when `signal` aborts or `budget` is spent;
 * null if unreadable or not started because the time or budget was already spent.
 */
async function countPhotos(
  dir: string,
  signal: AbortSignal,
  budget: EntryBudget,
): Promise<{ count: number; complete: boolean } | null> {
  if (signal.aborted || budget.left <= 0) return null;
  try {
    const { files } = await walkPhotoFolder(dir, signal, PHOTO_COUNT_LIMIT, budget);
    return { count: files.length, complete: files.length < PHOTO_COUNT_LIMIT && !signal.aborted && budget.left > 0 };
  } catch {
    return null;
  }
}

/** Refuses a name that is not one folder's name (empty, `.`, `..`, a separator). */
function checkFolderName(name: string, message: string): void {
  if (typeof name !== 'string' || !name || name === '.' || name === '..' || /[/\\]/.test(name)) {
    throw new GraftError('BAD_REQUEST', message);
  }
}

/** What a path that is not a folder is, in words, for the refusal. */
function kindOf(stat: Stats): string {
  if (stat.isFile()) return 'a file';
  if (stat.isFIFO()) return 'a named pipe';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'something other than a folder';
}

/**
 * The host's folder picker. The browser navigates by folder *names* inside a session the
 * main side holds; the only path it sends is one a person typed (or a recent folder main listed),
 * and that is resolved here and opened only if browsing could reach it (see `go`).
 */
export class FolderPicker {
  private readonly sessions = new Map<string, PickerSession>();

  /**
   * `countTimeCapMs`: time for all the counts of one listing (COUNT_TIME_CAP_MS); `recent`: where
   * chosen folders are remembered (none kept without it).
   */
  constructor(
    private readonly startDir: string = os.homedir(),
    private readonly countTimeCapMs = COUNT_TIME_CAP_MS,
    private readonly recent: RecentFolders | null = null,
  ) {}

  async open(purpose: PickPurpose): Promise<PickerView> {
    this.expire();
    const pickerId = randomUUID();
    this.sessions.set(pickerId, { dir: path.resolve(this.startDir), purpose, touched: Date.now() });
    return this.view(pickerId);
  }

  async enter(pickerId: string, name: string): Promise<PickerView> {
    const session = this.session(pickerId);
    checkFolderName(name, 'Choose one of the listed folders.');
    const { folders } = await this.list(session.dir);
    if (!folders.includes(name)) throw new GraftError('FOLDER_NOT_FOUND', `There is no folder “${name}” here.`);
    session.dir = path.join(session.dir, name);
    return this.view(pickerId);
  }

  async up(pickerId: string): Promise<PickerView> {
    const session = this.session(pickerId);
    session.dir = path.dirname(session.dir);
    return this.view(pickerId);
  }

  /** The person's home folder. */
  async home(pickerId: string): Promise<PickerView> {
    this.session(pickerId).dir = path.resolve(os.homedir());
    return this.view(pickerId);
  }

  /**
   * Opens a typed path: `~` is the home folder, a relative path starts at the folder shown. It
   * opens only what browsing could reach: every folder on the way from the file system's root
   * must be one the picker lists (visible, readable; links to folders count as folders), so a
   * typed path reaches no hidden or system folder that Up and the listed names would not.
   * Errors: FOLDER_NOT_FOUND (nothing there, or not reachable by browsing), BAD_REQUEST naming
   * what the path is when it is not a folder (a file, a named pipe, a device, a socket),
   * FOLDER_UNREADABLE.
   */
  async go(pickerId: string, typed: string): Promise<PickerView> {
    const session = this.session(pickerId);
    const text = typed.trim();
    if (!text) throw new GraftError('BAD_REQUEST', 'Type the path of a folder.');
    const expanded = text === '~' || text.startsWith('~/') ? path.join(os.homedir(), text.slice(1)) : text;
    const target = path.resolve(session.dir, expanded);
    const { root } = path.parse(target);
    const names = target.slice(root.length).split(path.sep).filter(Boolean);
    let dir = root;
    for (const [index, name] of names.entries()) {
      const { folders } = await this.list(dir);
      if (!folders.includes(name)) {
        if (index === names.length - 1) await this.refuseNonFolder(path.join(dir, name));
        throw new GraftError('FOLDER_NOT_FOUND', `There is no folder ${target} that the picker can open.`);
      }
      dir = path.join(dir, name);
    }
    await this.list(target);
    session.dir = target;
    return this.view(pickerId);
  }

  /**
   * Makes a folder `name` in the folder shown and opens it; only when choosing where to write
   * (a location), never when adding photos. Errors: BAD_REQUEST (not one folder's name, or a
   * hidden one), NAME_TAKEN, FORBIDDEN (no permission), DISK_FULL, FOLDER_UNREADABLE.
   */
  async newFolder(pickerId: string, name: string): Promise<PickerView> {
    const session = this.session(pickerId);
    if (session.purpose.kind !== 'location') {
      throw new GraftError('BAD_REQUEST', 'New folders are made only when choosing where to save.');
    }
    checkFolderName(name, 'A folder name cannot be empty, “.”, “..” or contain / or \\.');
    if (name.startsWith('.')) throw new GraftError('BAD_REQUEST', 'A folder name starting with “.” would be hidden.');
    const target = path.join(session.dir, name);
    try {
      await fs.mkdir(target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new GraftError('NAME_TAKEN', `There is already something named “${name}” here.`);
      if (isDiskFull(err)) throw new GraftError('DISK_FULL', 'The disk is full: no folder was made.');
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
        throw new GraftError('FORBIDDEN', `Graft may not make a folder in ${session.dir}.`);
      }
      if (code === 'ENAMETOOLONG') throw new GraftError('BAD_REQUEST', 'That folder name is too long.');
      throw new GraftError('FOLDER_UNREADABLE', `The folder “${name}” could not be made (${code ?? 'unknown error'}).`);
    }
    session.dir = target;
    return this.view(pickerId);
  }

  /** Ends the session, remembers the folder among the recent ones, says which was chosen and what for. */
  async choose(pickerId: string): Promise<PickerSession> {
    const session = this.session(pickerId);
    this.sessions.delete(pickerId);
    await this.recent?.remember(session.dir);
    return session;
  }

  cancel(pickerId: string): void {
    this.sessions.delete(pickerId);
  }

  private session(pickerId: string): PickerSession {
    const session = this.sessions.get(pickerId);
    if (!session) throw new GraftError('PICKER_EXPIRED', 'This folder picker has closed. Open it again.');
    session.touched = Date.now();
    return session;
  }

  /** Throws BAD_REQUEST naming what `target` is when it exists and is not a folder. */
  private async refuseNonFolder(target: string): Promise<void> {
    const stat = await fs.stat(target).catch(() => null);
    if (stat && !stat.isDirectory()) {
      throw new GraftError('BAD_REQUEST', `${target} is ${kindOf(stat)}, not a folder.`);
    }
  }

  private async list(dir: string) {
    try {
      return await listFolder(dir);
    } catch {
      throw new GraftError('FOLDER_UNREADABLE', `The folder ${dir} cannot be read.`);
    }
  }

  private async view(pickerId: string): Promise<PickerView> {
    const session = this.session(pickerId);
    const { folders, images } = await this.list(session.dir);
    const signal = AbortSignal.timeout(this.countTimeCapMs);
    const budget: EntryBudget = { left: COUNT_ENTRY_BUDGET };
    const counts: ({ count: number; complete: boolean } | null)[] = folders.map(() => null);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < Math.min(folders.length, COUNTED_FOLDERS); i = next++) {
        counts[i] = await countPhotos(path.join(session.dir, folders[i]), signal, budget);
      }
    };
    await Promise.all(Array.from({ length: COUNT_CONCURRENCY }, worker));
    return {
      pickerId,
      path: session.dir,
      canGoUp: path.dirname(session.dir) !== session.dir,
      folders: folders.map((name, index) => ({
        name,
        imageCount: counts[index]?.count ?? null,
        imageCountComplete: counts[index]?.complete ?? false,
      })),
      imagesHere: images + counts.reduce((sum, c) => sum + (c?.count ?? 0), 0),
      imagesHereComplete: counts.every((c) => c?.complete ?? false),
      recent: this.recent?.list() ?? [],
    };
  }

  private expire(): void {
    const now = Date.now();
    for (const [id, s] of this.sessions) if (now - s.touched > SESSION_TTL_MS) this.sessions.delete(id);
  }
}
