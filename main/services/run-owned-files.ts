// Files a run owns outside the database: its folder experiments/<id>/ and, for a run with its own
// backbone (fine-tuned or AdaBN), the tapped copy of that backbone in the prepared-backbone cache
// (backbones/<source id>-fine-tuned-<id>-<version>.onnx, backbones/<source id>-adabn-<id>-<version>.onnx).
// They go with the run: on delete, on cancel or failure, and at start-up for runs that are gone.
// Runs adapted from a run with its own backbone get their own link to its file (linkOrCopy).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../db/connection';
import type { BackboneSpec } from '../ml/backbones/backbone-spec';
import { backbonesDir, preparedModelPath } from '../ml/backbones/prepare-backbone';

/** A run's own prepared backbone: `<source id>-(adabn|fine-tuned)-<run id>-<16 hex version>.onnx` (prepare-backbone.ts's preparedModelPath of adabnSpec / fineTunedSpec). */
const RUN_PREPARED_BACKBONE = /-(?:adabn|fine-tuned)-(\d+)-[0-9a-f]{16}\.onnx$/;
/** A finished run's folder: `experiments/<id>`. */
const RUN_FOLDER = /^\d+$/;

/**
 * The absolute path of the backbone file `spec` reads when it lies in a run folder under
 * `<dataDir>/experiments/` (a fine-tuned or AdaBN backbone), else null (bundled or imported
 * backbones, which no run deletion removes).
 */
export function runOwnedBackboneFile(spec: BackboneSpec, dataDir: string): string | null {
  if (spec.source.kind !== 'imported') return null;
  const file = path.resolve(dataDir, spec.source.path);
  const rel = path.relative(path.join(dataDir, 'experiments'), file);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? null : file;
}

/** A second name for `from` at `to` (same disk, no extra space), or a copy where a hard link is not possible. */
export async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await fsp.link(from, to);
  } catch {
    await fsp.copyFile(from, to);
  }
}

function namesIn(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function removeQuietly(file: string, removed: string[]): void {
  try {
    fs.rmSync(file, { recursive: true, force: true });
    removed.push(file);
  } catch {
    // Left for the next start-up sweep.
  }
}

interface RunRow {
  id: number;
  name: string;
  status: string;
  artefactDir: string | null;
}

function runRows(db: Db): RunRow[] {
  return db.prepare('SELECT id, name, status, artefact_dir AS artefactDir FROM experiments').all() as RunRow[];
}

/** The backbone spec a run folder's run.json keeps (experiment-artefacts.ts); null when unreadable. */
function storedSpec(dir: string): BackboneSpec | null {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as { backbone: BackboneSpec }).backbone;
  } catch {
    return null;
  }
}

/**
 * Runs other than `experimentId` whose stored backbone spec reads a file inside run folder `dir`
 * (adapted from that run before each adapted run got its own link to the file).
 */
export function runsReadingBackboneIn(db: Db, root: string, dir: string, experimentId: number): RunRow[] {
  return runRows(db).filter((run) => {
    if (run.id === experimentId || !run.artefactDir) return false;
    const spec = storedSpec(run.artefactDir);
    const file = spec && runOwnedBackboneFile(spec, root);
    return !!file && !path.relative(path.resolve(dir), file).startsWith('..');
  });
}

/**
 * Removes run-owned prepared backbones (`*-adabn-<id>-*.onnx`, `*-fine-tuned-<id>-*.onnx`) that
 * no run needs any more: kept are those a finished run's stored spec prepares to (adapted runs share
 * their source's spec id) and those of runs still running. The cache is rebuilt from a run
 * folder's backbone.onnx whenever a run needs it again. Returns the removed paths.
 */
export function removeUnusedPreparedBackbones(db: Db, root: string): string[] {
  const runs = runRows(db);
  const running = new Set(runs.filter((r) => r.status === 'running').map((r) => String(r.id)));
  const used = new Set(
    runs.flatMap((run) => {
      const spec = run.status === 'finished' && run.artefactDir ? storedSpec(run.artefactDir) : null;
      return spec && runOwnedBackboneFile(spec, root) ? [path.basename(preparedModelPath(spec, root))] : [];
    }),
  );
  const removed: string[] = [];
  const dir = backbonesDir(root);
  for (const name of namesIn(dir)) {
    const run = RUN_PREPARED_BACKBONE.exec(name)?.[1];
    if (run !== undefined && !running.has(run) && !used.has(name)) removeQuietly(path.join(dir, name), removed);
  }
  return removed;
}

/**
 * Start-up sweep of files whose run is gone (deleted, its project deleted) or never finished
 * (cancelled, failed, killed): run folders experiments/<id> without a run row, and prepared
 * backbones no run needs (removeUnusedPreparedBackbones). Call after running runs are marked
 * interrupted. Returns the removed paths; failures to remove are left for the next start.
 */
export function sweepOrphanedRunFiles(db: Db, root: string): string[] {
  const ids = new Set(runRows(db).map((r) => String(r.id)));
  const removed: string[] = [];
  const runs = path.join(root, 'experiments');
  for (const name of namesIn(runs)) {
    if (RUN_FOLDER.test(name) && !ids.has(name)) removeQuietly(path.join(runs, name), removed);
  }
  return [...removed, ...removeUnusedPreparedBackbones(db, root)];
}
