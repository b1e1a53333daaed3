import type {
  Id,
  Split,
  SplitCounts,
  SplitMoveResult,
  SplitRatios,
  SplitSkip,
  SplitSummary,
} from '../../common/contract';
import { GraftError } from '../../common/errors';
import { splitFromPath } from '../../common/folder-layout';
import { permutation, seededRandom } from '../../common/seeded-random';
import type { ServiceContext } from './context';
import { IN_SOURCE_DOMAIN } from './domains';
import { requireProject } from './lookups';

const ROLLBACK = Symbol('rollback');

function checkSeed(seed: number): void {
  if (!Number.isInteger(seed)) throw new GraftError('BAD_REQUEST', 'The seed is a whole number.');
}

/** Photo ids per class (null: unlabelled), in the order given. */
function groupByClass(rows: readonly { id: Id; classId: Id | null }[]): Map<Id | null, Id[]> {
  const strata = new Map<Id | null, Id[]>();
  for (const r of rows) {
    const list = strata.get(r.classId) ?? [];
    list.push(r.id);
    strata.set(r.classId, list);
  }
  return strata;
}

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
   * split. Photos the user put in a split by hand (or by folder) keep it unless `replaceAll`.
   */
  generate(projectId: Id, seed: number, ratios: SplitRatios, replaceAll = false): SplitSummary {
    requireProject(this.ctx.db, projectId);
    checkRatios(ratios);
    checkSeed(seed);
    this.ctx.db.transaction(() => {
      this.distribute(projectId, seed, ratios, replaceAll ? '1 = 1' : `(s.origin IS NULL OR s.origin = 'auto')`);
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
         WHERE i.project_id = ? AND i.status = 'ok' AND ${which} AND ${IN_SOURCE_DOMAIN}
         ORDER BY i.content_hash, i.id`,
      )
      .all(projectId) as { id: Id; classId: Id | null }[];
    const strata = groupByClass(rows);
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

  /**
   * Moves a seeded `fraction` (0 < fraction < 1) of each class's train and val photos into
   * test, so a project whose folders gave only train and val gets a test set; the rest keep
   * their split. The moved photos count as generated.
   */
  carveTest(projectId: Id, seed: number, fraction: number): SplitSummary {
    requireProject(this.ctx.db, projectId);
    checkSeed(seed);
    if (typeof fraction !== 'number' || !(fraction > 0 && fraction < 1)) {
      throw new GraftError('BAD_REQUEST', 'The part to move into test is a number between 0 and 1.');
    }
    const rows = this.ctx.db
      .prepare(
        `SELECT i.id, l.class_id AS classId FROM images i
         JOIN labels l ON l.image_id = i.id JOIN splits s ON s.image_id = i.id
         WHERE i.project_id = ? AND i.status = 'ok' AND s.split IN ('train', 'val')
         ORDER BY i.content_hash, i.id`,
      )
      .all(projectId) as { id: Id; classId: Id }[];
    const random = seededRandom(seed);
    const move = this.ctx.db.prepare(`UPDATE splits SET split = 'test', origin = 'auto' WHERE image_id = ?`);
    this.ctx.db.transaction(() => {
      for (const stratum of groupByClass(rows).values()) {
        const order = permutation(stratum.length, random);
        const count = Math.round(stratum.length * fraction);
        for (let k = 0; k < count; k++) move.run(stratum[order[k]]);
      }
    })();
    this.ctx.events.emit('labels:changed', { projectId });
    return this.summary(projectId);
  }

  /**
   * Puts readable source-domain photos in a split by hand. New-domain photos (issue 8: they never
   * carry a split) and unreadable, missing or foreign ones are left out and counted in `skipped`.
   */
  set(projectId: Id, imageIds: Id[], split: Split): SplitMoveResult {
    requireProject(this.ctx.db, projectId);
    if (!['train', 'val', 'test'].includes(split)) throw new GraftError('BAD_REQUEST', `Unknown split “${split}”.`);
    const kindOf = this.ctx.db.prepare(
      `SELECT i.status = 'ok' AS ok, ${IN_SOURCE_DOMAIN} AS source FROM images i WHERE i.id = ? AND i.project_id = ?`,
    );
    const put = this.ctx.db.prepare(
      `INSERT INTO splits (image_id, split, origin) VALUES (?, ?, 'user')
       ON CONFLICT(image_id) DO UPDATE SET split = excluded.split, origin = 'user'`,
    );
    let newDomain = 0;
    let unreadable = 0;
    this.ctx.db.transaction(() => {
      for (const id of imageIds) {
        const kind = kindOf.get(id, projectId) as { ok: number; source: number } | undefined;
        if (!kind?.ok) unreadable++;
        else if (!kind.source) newDomain++;
        else put.run(id, split);
      }
    })();
    this.ctx.events.emit('labels:changed', { projectId });
    const skipped: SplitSkip[] = [];
    if (newDomain > 0) {
      skipped.push({
        code: 'NEW_DOMAIN',
        count: newDomain,
        message: `${newDomain} new-domain ${newDomain === 1 ? 'photo stays' : 'photos stay'} out of the splits: they never train a model.`,
      });
    }
    if (unreadable > 0) {
      skipped.push({
        code: 'UNREADABLE',
        count: unreadable,
        message: `${unreadable} unreadable or missing ${unreadable === 1 ? 'photo was' : 'photos were'} left out.`,
      });
    }
    return { ...this.summary(projectId), skipped };
  }

  /** Counts source-domain photos only: a split an older version stored for a new-domain photo never counts. */
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
         LEFT JOIN images i ON i.id = l.image_id AND i.status = 'ok' AND ${IN_SOURCE_DOMAIN}
         LEFT JOIN splits s ON s.image_id = i.id
         WHERE c.project_id = ? GROUP BY c.id ORDER BY c.sort_order, c.id`,
      )
      .all(projectId) as { classId: Id; train: number | null; val: number | null; test: number | null }[];
    const { unassigned } = this.ctx.db
      .prepare(
        `SELECT COUNT(*) AS unassigned FROM images i JOIN labels l ON l.image_id = i.id
         LEFT JOIN splits s ON s.image_id = i.id
         WHERE i.project_id = ? AND i.status = 'ok' AND s.split IS NULL AND ${IN_SOURCE_DOMAIN}`,
      )
      .get(projectId) as { unassigned: number };
    return {
      seed: settings?.seed ?? null,
      sources: this.sources(projectId),
      ratios: settings ? { train: settings.train, val: settings.val, test: settings.test } : null,
      perClass: perClass.map((p) => ({ classId: p.classId, train: p.train ?? 0, val: p.val ?? 0, test: p.test ?? 0 })),
      unassigned,
    };
  }

  /** Counts the labelled photos' splits by where they came from (see `SplitSummary.sources`). */
  private sources(projectId: Id): SplitSummary['sources'] {
    const rows = this.ctx.db
      .prepare(
        `SELECT i.rel_path AS relPath, s.split, s.origin FROM images i
         JOIN labels l ON l.image_id = i.id JOIN splits s ON s.image_id = i.id
         WHERE i.project_id = ? AND i.status = 'ok' AND ${IN_SOURCE_DOMAIN}`,
      )
      .all(projectId) as { relPath: string; split: Split; origin: 'auto' | 'user' }[];
    const zero = (): SplitCounts => ({ train: 0, val: 0, test: 0 });
    const sources = { folders: zero(), generated: zero(), byHand: zero() };
    for (const r of rows) {
      // The import records a folder-named split as a user's choice; the path tells them apart.
      const from = r.origin === 'auto' ? 'generated' : splitFromPath(r.relPath) === r.split ? 'folders' : 'byHand';
      sources[from][r.split]++;
    }
    return sources;
  }
}
