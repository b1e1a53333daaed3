import type { Id, Split, SplitRatios, SplitSummary } from '../../common/contract';
import { GraftError } from '../../common/errors';
import { permutation, seededRandom } from '../../common/seeded-random';
import type { ServiceContext } from './context';
import { requireProject } from './lookups';

const SPLIT_FOLDER_NAMES = new Map<string, Split>([
  ['train', 'train'],
  ['training', 'train'],
  ['val', 'val'],
  ['valid', 'val'],
  ['validation', 'val'],
  ['test', 'test'],
  ['testing', 'test'],
]);

export function splitFromFolderName(name: string): Split | null {
  return SPLIT_FOLDER_NAMES.get(name.toLowerCase()) ?? null;
}

/** The split a photo's folder names give it (`train/ants/x.jpg` → train), if any. */
export function splitFromPath(relPath: string): Split | null {
  const folders = relPath.split('/').slice(0, -1);
  for (const name of folders) {
    const split = splitFromFolderName(name);
    if (split) return split;
  }
  return null;
}

const ROLLBACK = Symbol('rollback');

export const DEFAULT_RATIOS: SplitRatios = { train: 0.7, val: 0.15, test: 0.15 };

function checkRatios(r: SplitRatios): void {
  const values = [r?.train, r?.val, r?.test];
  if (
    values.some((v) => typeof v !== 'number' || !(v >= 0) || v > 1) ||
    Math.abs(values.reduce((a, b) => a + b, 0) - 1) > 1e-6
  ) {
    throw new GraftError('BAD_REQUEST', 'Split ratios are numbers from 0 to 1 that add up to 1.');
  }
}

export class SplitService {
  constructor(private readonly ctx: ServiceContext) {}

  /**
   * Stratified by class and seeded: the same photos, labels and seed always give the same
   * split. Photos the user put in a split by hand (or by folder) keep it.
   */
  generate(projectId: Id, seed: number, ratios: SplitRatios): SplitSummary {
    requireProject(this.ctx.db, projectId);
    checkRatios(ratios);
    if (!Number.isInteger(seed)) throw new GraftError('BAD_REQUEST', 'The seed is a whole number.');
    this.ctx.db.transaction(() => {
      this.distribute(projectId, seed, ratios, `(s.origin IS NULL OR s.origin = 'auto')`);
      this.ctx.db
        .prepare(
          `INSERT INTO split_settings (project_id, seed, train, val, test) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(project_id) DO UPDATE SET seed = excluded.seed, train = excluded.train,
             val = excluded.val, test = excluded.test`,
        )
        .run(projectId, seed, ratios.train, ratios.val, ratios.test);
    })();
    this.ctx.events.emit('labels:changed', { projectId });
    return this.summary(projectId);
  }

  /**
   * Gives photos that have no split yet one, stratified and seeded, with the project's split
   * settings (or the defaults); photos already in a split keep it. Returns how many moved.
   */
  assignMissing(projectId: Id, fallbackSeed: number): number {
    const assigned = this.ctx.db.transaction(() => this.distributeMissing(projectId, fallbackSeed))();
    if (assigned > 0) this.ctx.events.emit('labels:changed', { projectId });
    return assigned;
  }

  /** What `work` sees if the photos without a split had one; the database is left as it was. */
  whatIfAssigned<T>(projectId: Id, fallbackSeed: number, work: () => T): T {
    let result: { value: T } | null = null;
    try {
      this.ctx.db.transaction(() => {
        this.distributeMissing(projectId, fallbackSeed);
        result = { value: work() };
        throw ROLLBACK;
      })();
    } catch (err) {
      if (err !== ROLLBACK) throw err;
    }
    return (result as { value: T } | null)!.value;
  }

  private distributeMissing(projectId: Id, fallbackSeed: number): number {
    const summary = this.summary(projectId);
    if (summary.unassigned === 0) return 0;
    return this.distribute(
      projectId,
      summary.seed ?? fallbackSeed,
      summary.ratios ?? DEFAULT_RATIOS,
      's.split IS NULL',
    );
  }

  private distribute(projectId: Id, seed: number, ratios: SplitRatios, which: string): number {
    const rows = this.ctx.db
      .prepare(
        `SELECT i.id, l.class_id AS classId FROM images i
         LEFT JOIN labels l ON l.image_id = i.id
         LEFT JOIN splits s ON s.image_id = i.id
         WHERE i.project_id = ? AND i.status = 'ok' AND ${which}
         ORDER BY i.content_hash, i.id`,
      )
      .all(projectId) as { id: Id; classId: Id | null }[];
    const strata = new Map<Id | null, Id[]>();
    for (const r of rows) {
      const list = strata.get(r.classId) ?? [];
      list.push(r.id);
      strata.set(r.classId, list);
    }
    const random = seededRandom(seed);
    const assign = this.ctx.db.prepare(
      `INSERT INTO splits (image_id, split, origin) VALUES (?, ?, 'auto')
       ON CONFLICT(image_id) DO UPDATE SET split = excluded.split, origin = 'auto'`,
    );
    const keys = [...strata.keys()].sort((a, b) => (a ?? -1) - (b ?? -1));
    for (const key of keys) {
      const stratum = strata.get(key)!;
      const ids = Array.from(permutation(stratum.length, random), (i) => stratum[i]);
      const nVal = Math.round(ids.length * ratios.val);
      const nTest = Math.round(ids.length * ratios.test);
      ids.forEach((id, index) => {
        assign.run(id, index < nVal ? 'val' : index < nVal + nTest ? 'test' : 'train');
      });
    }
    return rows.length;
  }

  set(projectId: Id, imageIds: Id[], split: Split): SplitSummary {
    requireProject(this.ctx.db, projectId);
    if (!['train', 'val', 'test'].includes(split)) throw new GraftError('BAD_REQUEST', `Unknown split “${split}”.`);
    const put = this.ctx.db.prepare(
      `INSERT INTO splits (image_id, split, origin)
       SELECT id, ?, 'user' FROM images WHERE id = ? AND project_id = ?
       ON CONFLICT(image_id) DO UPDATE SET split = excluded.split, origin = 'user'`,
    );
    this.ctx.db.transaction(() => {
      for (const id of imageIds) put.run(split, id, projectId);
    })();
    this.ctx.events.emit('labels:changed', { projectId });
    return this.summary(projectId);
  }

  summary(projectId: Id): SplitSummary {
    requireProject(this.ctx.db, projectId);
    const settings = this.ctx.db
      .prepare('SELECT seed, train, val, test FROM split_settings WHERE project_id = ?')
      .get(projectId) as { seed: number; train: number; val: number; test: number } | undefined;
    const perClass = this.ctx.db
      .prepare(
        `SELECT c.id AS classId,
           SUM(s.split = 'train') AS train, SUM(s.split = 'val') AS val, SUM(s.split = 'test') AS test
         FROM classes c
         LEFT JOIN labels l ON l.class_id = c.id
         LEFT JOIN images i ON i.id = l.image_id AND i.status = 'ok'
         LEFT JOIN splits s ON s.image_id = i.id
         WHERE c.project_id = ? GROUP BY c.id ORDER BY c.sort_order, c.id`,
      )
      .all(projectId) as { classId: Id; train: number | null; val: number | null; test: number | null }[];
    const { unassigned } = this.ctx.db
      .prepare(
        `SELECT COUNT(*) AS unassigned FROM images i JOIN labels l ON l.image_id = i.id
         LEFT JOIN splits s ON s.image_id = i.id
         WHERE i.project_id = ? AND i.status = 'ok' AND s.split IS NULL`,
      )
      .get(projectId) as { unassigned: number };
    return {
      seed: settings?.seed ?? null,
      ratios: settings ? { train: settings.train, val: settings.val, test: settings.test } : null,
      perClass: perClass.map((p) => ({ classId: p.classId, train: p.train ?? 0, val: p.val ?? 0, test: p.test ?? 0 })),
      unassigned,
    };
  }
}
