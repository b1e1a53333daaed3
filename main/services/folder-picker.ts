import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { PickerView } from '../../common/contract';
import { GraftError } from '../../common/errors';
import { listFolder, walkPhotoFolder } from './folder-walk';

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
 * Photos in `dir` and below, found as the import finds them (regular files only, folder links
 * followed once), stopping at PHOTO_COUNT_LIMIT or when `signal` aborts; null if unreadable.
 */
async function countPhotos(dir: string, signal: AbortSignal): Promise<{ count: number; complete: boolean } | null> {
  try {
    const { files } = await walkPhotoFolder(dir, signal, PHOTO_COUNT_LIMIT);
    return { count: files.length, complete: files.length < PHOTO_COUNT_LIMIT && !signal.aborted };
  } catch {
    return null;
  }
}

/**
 * The host's folder picker. The browser navigates by folder *names* inside a session the
 * main side holds, so no request ever carries a file-system path from the renderer.
 */
export class FolderPicker {
  private readonly sessions = new Map<string, PickerSession>();

  /** `countTimeCapMs`: time for all the counts of one listing (COUNT_TIME_CAP_MS). */
  constructor(
    private readonly startDir: string = os.homedir(),
    private readonly countTimeCapMs = COUNT_TIME_CAP_MS,
  ) {}

  async open(purpose: PickPurpose): Promise<PickerView> {
    this.expire();
    const pickerId = randomUUID();
    this.sessions.set(pickerId, { dir: path.resolve(this.startDir), purpose, touched: Date.now() });
    return this.view(pickerId);
  }

  async enter(pickerId: string, name: string): Promise<PickerView> {
    const session = this.session(pickerId);
    if (typeof name !== 'string' || !name || name === '.' || name === '..' || /[/\\]/.test(name)) {
      throw new GraftError('BAD_REQUEST', 'Choose one of the listed folders.');
    }
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

  /** Ends the session and says which folder was chosen, and what for. */
  choose(pickerId: string): PickerSession {
    const session = this.session(pickerId);
    this.sessions.delete(pickerId);
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
    const counts = await Promise.all(
      folders.map((name, index) =>
        index < COUNTED_FOLDERS ? countPhotos(path.join(session.dir, name), signal) : Promise.resolve(null),
      ),
    );
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
    };
  }

  private expire(): void {
    const now = Date.now();
    for (const [id, s] of this.sessions) if (now - s.touched > SESSION_TTL_MS) this.sessions.delete(id);
  }
}
