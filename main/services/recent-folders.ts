import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../ml/backbones/prepare-backbone';

/** Folders remembered at most; the oldest is forgotten first. */
export const RECENT_FOLDERS_KEPT = 8;

/**
 * The folders last chosen in the host's folder picker, most recent first, kept in a small JSON
 * file in the data folder (`{ "folders": ["/abs/path", …] }`). A missing or damaged file reads as
 * no recent folders; a file that cannot be written leaves the list as it was (it is a
 * convenience, never a reason to fail a choice).
 */
export class RecentFolders {
  constructor(private readonly file: string) {}

  /** The remembered folders that are still folders, most recent first. */
  list(): string[] {
    return this.read().filter((dir) => {
      try {
        return fs.statSync(dir).isDirectory();
      } catch {
        return false;
      }
    });
  }

  /** Puts `dir` (an absolute path) first, once. */
  async remember(dir: string): Promise<void> {
    const folders = [dir, ...this.read().filter((d) => d !== dir)].slice(0, RECENT_FOLDERS_KEPT);
    await writeFileAtomic(this.file, Buffer.from(JSON.stringify({ folders }))).catch(() => {});
  }

  private read(): string[] {
    try {
      const data: unknown = JSON.parse(fs.readFileSync(this.file, 'utf8'));
      const folders = (data as { folders?: unknown }).folders;
      if (!Array.isArray(folders)) return [];
      return folders
        .filter((d): d is string => typeof d === 'string' && path.isAbsolute(d))
        .slice(0, RECENT_FOLDERS_KEPT);
    } catch {
      return [];
    }
  }
}
