// Run names people can tell apart: unique within a project, so every list (Experiments, Evaluate,
// Predict, the CLI) names one run once.
import type { Id } from '../../common/contract';
import { GraftError } from '../../common/errors';
import type { ServiceContext } from './context';

function runNames(db: ServiceContext['db'], projectId: Id): string[] {
  const rows = db.prepare('SELECT name FROM experiments WHERE project_id = ?').all(projectId) as { name: string }[];
  return rows.map((r) => r.name);
}

/**
 * The next "Run N" of a project: N is one more than its number of runs, raised past any name
 * already taken (after a run was deleted, the count alone would repeat a name).
 */
export function nextRunName(db: ServiceContext['db'], projectId: Id): string {
  const all = runNames(db, projectId);
  const names = new Set(all);
  let n = all.length + 1;
  while (names.has(`Run ${n}`)) n++;
  return `Run ${n}`;
}

/** `base` when no run of the project has that name, else `base #2`, `base #3`, … the first free one. */
export function uniqueRunName(db: ServiceContext['db'], projectId: Id, base: string): string {
  const names = new Set(runNames(db, projectId));
  if (!names.has(base)) return base;
  let k = 2;
  while (names.has(`${base} #${k}`)) k++;
  return `${base} #${k}`;
}

/** Throws NAME_TAKEN when another run of the project (not `experimentId`) is already called `name`. */
export function requireFreeRunName(db: ServiceContext['db'], projectId: Id, name: string, experimentId: Id): void {
  const other = db
    .prepare('SELECT id FROM experiments WHERE project_id = ? AND name = ? AND id != ?')
    .get(projectId, name, experimentId);
  if (other) throw new GraftError('NAME_TAKEN', `Another run is already called “${name}”.`);
}
