import fs from 'node:fs';
import path from 'node:path';

/**
 * `<target>.<pid>.<token>.tmp`: how thumbnails.ts (`<hash>.jpg.<pid>.<random>.tmp`) and
 * prepare-backbone.ts's writeFileAtomic (`<file>.<pid>.<ms>.tmp`) name a file before renaming it.
 */
const PID_TEMP = /\.(\d+)\.[A-Za-z0-9]+\.tmp$/;
/** A run folder being written by experiment-artefacts.ts: `experiments/<id>.partial`. */
const RUN_PARTIAL = /^\d+\.partial$/;

/** Folders under the data directory where temporary names are written, with their depth. */
const TEMP_HOMES = [
  { dir: 'thumbnails', depth: 2 },
  { dir: 'backbones', depth: 1 },
  { dir: 'experiments', depth: 1 },
] as const;

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function entriesAt(dir: string, depth: number): string[] {
  let names: fs.Dirent[];
  try {
    names = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return names.flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return depth > 1 && entry.isDirectory() ? entriesAt(full, depth - 1) : [full];
  });
}

/**
 * Removes what a killed process left half-written in the data directory `root`: `*.<pid>.<token>.tmp`
 * files whose writer process is gone (`alive` says whether a pid runs; the writer may be another
 * Graft process still at work) and `experiments/<id>.partial` run folders (start-up marks every
 * running experiment interrupted first, so none is being written). Export folders are cleaned by
 * ExportService.markInterrupted, beside their target. Returns the removed paths. Failures to
 * remove are ignored: the next start tries again.
 */
export function sweepStaleTempFiles(root: string, alive: (pid: number) => boolean = processAlive): string[] {
  const removed: string[] = [];
  for (const home of TEMP_HOMES) {
    for (const entry of entriesAt(path.join(root, home.dir), home.depth)) {
      const name = path.basename(entry);
      const pid = PID_TEMP.exec(name)?.[1];
      const stale = pid !== undefined ? !alive(Number(pid)) : home.dir === 'experiments' && RUN_PARTIAL.test(name);
      if (!stale) continue;
      try {
        fs.rmSync(entry, { recursive: true, force: true });
        removed.push(entry);
      } catch {
        // Left for the next start.
      }
    }
  }
  return removed;
}
