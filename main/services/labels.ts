import type { Id, LabelChangeResult, LabelDelta } from '../../common/contract';
import { GraftError } from '../../common/errors';
import type { ServiceContext } from './context';
import { requireClass, requireProject } from './lookups';

/** How many labelling actions undo can reach back. */
const HISTORY_LIMIT = 500;

interface ChangeRow {
  imageId: Id;
  oldClassId: Id | null;
  oldOrigin: string | null;
  newClassId: Id | null;
}

/**
 * Label changes with a persistent undo/redo history: every action is a batch of rows in
 * label_changes, so undo survives a restart and each change is saved the moment it is made.
 */
export class LabelService {
  constructor(private readonly ctx: ServiceContext) {}

  assign(projectId: Id, imageIds: Id[], classId: Id | null): LabelChangeResult {
    if (!Array.isArray(imageIds) || imageIds.some((id) => !Number.isInteger(id))) {
      throw new GraftError('BAD_REQUEST', 'imageIds must be a list of image ids.');
    }
    return this.assignEach(
      projectId,
      [...new Set(imageIds)].map((imageId) => ({ imageId, classId })),
      'user',
    );
  }

  /**
   * Gives each photo its own class (null removes the label) in one undoable action, recording
   * `origin` ('suggested' when a person accepts the model's suggestions).
   */
  assignEach(
    projectId: Id,
    wanted: { imageId: Id; classId: Id | null }[],
    origin: 'user' | 'suggested',
  ): LabelChangeResult {
    requireProject(this.ctx.db, projectId);
    for (const classId of new Set(wanted.map((w) => w.classId))) {
      if (classId !== null && requireClass(this.ctx.db, classId).projectId !== projectId) {
        throw new GraftError('BAD_REQUEST', 'That class belongs to another project.');
      }
    }
    const db = this.ctx.db;
    const changed = db.transaction(() => {
      const current = db.prepare(
        `SELECT i.id AS imageId, l.class_id AS classId, l.origin AS origin
         FROM images i LEFT JOIN labels l ON l.image_id = i.id WHERE i.id = ? AND i.project_id = ?`,
      );
      const rows: ChangeRow[] = [];
      for (const { imageId, classId } of wanted) {
        const row = current.get(imageId, projectId) as
          | { imageId: Id; classId: Id | null; origin: string | null }
          | undefined;
        if (!row) throw new GraftError('IMAGE_NOT_FOUND', `Photo ${imageId} is not in this project.`);
        // Same class, whatever its origin: nothing changes, so it is neither reported nor undone.
        if (row.classId === classId) continue;
        rows.push({ imageId, oldClassId: row.classId, oldOrigin: row.origin, newClassId: classId });
      }
      if (rows.length === 0) return [];
      db.prepare('DELETE FROM label_changes WHERE project_id = ? AND undone = 1').run(projectId);
      const batch = this.nextBatch(projectId);
      const record = db.prepare(
        `INSERT INTO label_changes (project_id, batch_id, image_id, old_class_id, old_origin, new_class_id)
         VALUES (?, ?, ?, ?, ?, ?)`,
      );
      for (const r of rows) {
        record.run(projectId, batch, r.imageId, r.oldClassId, r.oldOrigin, r.newClassId);
        this.write(r.imageId, r.newClassId, origin);
      }
      db.prepare('DELETE FROM label_changes WHERE project_id = ? AND batch_id <= ?').run(
        projectId,
        batch - HISTORY_LIMIT,
      );
      return rows.map((r) => ({ imageId: r.imageId, from: r.oldClassId, to: r.newClassId }));
    })();
    return this.finish(projectId, changed);
  }

  undo(projectId: Id): LabelChangeResult {
    requireProject(this.ctx.db, projectId);
    const changed = this.ctx.db.transaction(() => {
      const batch = this.ctx.db
        .prepare('SELECT MAX(batch_id) AS b FROM label_changes WHERE project_id = ? AND undone = 0')
        .get(projectId) as { b: number | null };
      if (batch.b === null) return [];
      const rows = this.batchRows(projectId, batch.b);
      for (const r of rows) this.write(r.imageId, r.oldClassId, r.oldOrigin ?? 'user');
      this.ctx.db
        .prepare('UPDATE label_changes SET undone = 1 WHERE project_id = ? AND batch_id = ?')
        .run(projectId, batch.b);
      return rows.map((r) => ({ imageId: r.imageId, from: r.newClassId, to: r.oldClassId }));
    })();
    return this.finish(projectId, changed);
  }

  redo(projectId: Id): LabelChangeResult {
    requireProject(this.ctx.db, projectId);
    const changed = this.ctx.db.transaction(() => {
      const batch = this.ctx.db
        .prepare('SELECT MIN(batch_id) AS b FROM label_changes WHERE project_id = ? AND undone = 1')
        .get(projectId) as { b: number | null };
      if (batch.b === null) return [];
      const rows = this.batchRows(projectId, batch.b);
      for (const r of rows) this.write(r.imageId, r.newClassId, 'user');
      this.ctx.db
        .prepare('UPDATE label_changes SET undone = 0 WHERE project_id = ? AND batch_id = ?')
        .run(projectId, batch.b);
      return rows.map((r) => ({ imageId: r.imageId, from: r.oldClassId, to: r.newClassId }));
    })();
    return this.finish(projectId, changed);
  }

  history(projectId: Id): LabelChangeResult {
    requireProject(this.ctx.db, projectId);
    return { changed: 0, ...this.availability(projectId) };
  }

  private write(imageId: Id, classId: Id | null, origin: string): void {
    if (classId === null) {
      this.ctx.db.prepare('DELETE FROM labels WHERE image_id = ?').run(imageId);
      return;
    }
    this.ctx.db
      .prepare(
        `INSERT INTO labels (image_id, class_id, origin, labelled_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(image_id) DO UPDATE SET class_id = excluded.class_id, origin = excluded.origin,
           labelled_at = excluded.labelled_at`,
      )
      .run(imageId, classId, origin, this.ctx.now());
  }

  private batchRows(projectId: Id, batch: number): ChangeRow[] {
    return this.ctx.db
      .prepare(
        `SELECT image_id AS imageId, old_class_id AS oldClassId, old_origin AS oldOrigin, new_class_id AS newClassId
         FROM label_changes WHERE project_id = ? AND batch_id = ?`,
      )
      .all(projectId, batch) as ChangeRow[];
  }

  private nextBatch(projectId: Id): number {
    const row = this.ctx.db
      .prepare('SELECT COALESCE(MAX(batch_id), 0) + 1 AS b FROM label_changes WHERE project_id = ?')
      .get(projectId) as { b: number };
    return row.b;
  }

  private availability(projectId: Id): { canUndo: boolean; canRedo: boolean } {
    const row = this.ctx.db
      .prepare(
        `SELECT EXISTS(SELECT 1 FROM label_changes WHERE project_id = ? AND undone = 0) AS u,
                EXISTS(SELECT 1 FROM label_changes WHERE project_id = ? AND undone = 1) AS r`,
      )
      .get(projectId, projectId) as { u: number; r: number };
    return { canUndo: row.u === 1, canRedo: row.r === 1 };
  }

  /** The event carries the changes, so a window updates those rows instead of reloading them all. */
  private finish(projectId: Id, changes: LabelDelta[]): LabelChangeResult {
    if (changes.length > 0) this.ctx.events.emit('labels:changed', { projectId, changes });
    return { changed: changes.length, ...this.availability(projectId) };
  }
}
