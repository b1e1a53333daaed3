import type { DuplicatePhoto, Id, LabelConflict } from '../../common/contract';
import { GraftError } from '../../common/errors';
import type { ServiceContext } from './context';
import type { LabelService } from './labels';
import { requireClass, requireProject } from './lookups';

/** What recording a copy's folder class did. */
export type CopyOutcome = 'duplicate' | 'conflict' | 'labelled';

/**
 * Conflicts that still count: left out of training by choice, or open with copies whose folders
 * name two or more classes (a merged or deleted class can leave fewer: then it is no conflict).
 */
const EFFECTIVE_CONFLICTS = `
  SELECT c.id, c.content_hash AS contentHash, c.status FROM label_conflicts c
  WHERE c.project_id = ? AND (c.status = 'excluded'
    OR (SELECT COUNT(DISTINCT k.class_id) FROM label_conflict_claims k WHERE k.conflict_id = c.id) >= 2)`;

/**
 * SQL selecting each open label conflict of the project `projectRef` (an SQL expression: `?` or a
 * column) with the photo it is shown as (`imageId`, the kept copy) and its classes (`classNames`,
 * comma-separated): a problem to resolve, counted with the unreadable and missing files.
 */
export function openConflictsSql(projectRef: string): string {
  return `
    SELECT c.id, MIN(i.id) AS imageId, GROUP_CONCAT(DISTINCT cl.name) AS classNames
    FROM label_conflicts c JOIN label_conflict_claims k ON k.conflict_id = c.id
      JOIN classes cl ON cl.id = k.class_id LEFT JOIN images i ON i.id = k.image_id AND i.status = 'ok'
    WHERE c.project_id = ${projectRef} AND c.status = 'open'
    GROUP BY c.id HAVING COUNT(DISTINCT k.class_id) >= 2 AND MIN(i.id) IS NOT NULL`;
}

/**
 * Content (SHA-256 hashes) training leaves out: photos in an open label conflict and those
 * left out when one was resolved, each with the state of its conflict.
 */
export function conflictedContent(
  ctx: ServiceContext,
  projectId: Id,
): Map<string, { status: LabelConflict['status']; classNames: string[] }> {
  const rows = ctx.db.prepare(EFFECTIVE_CONFLICTS).all(projectId) as {
    id: Id;
    contentHash: string;
    status: LabelConflict['status'];
  }[];
  const names = ctx.db.prepare(
    `SELECT DISTINCT c.name FROM label_conflict_claims k JOIN classes c ON c.id = k.class_id
     WHERE k.conflict_id = ? ORDER BY c.sort_order, c.id`,
  );
  return new Map(
    rows.map((r) => [
      r.contentHash,
      { status: r.status, classNames: (names.all(r.id) as { name: string }[]).map((n) => n.name) },
    ]),
  );
}

/**
 * Photos with the same content (SHA-256): plain duplicates, named by the photo they copy, and
 * label conflicts — the same content in folders of different classes — which Graft records
 * instead of picking a class, keeps out of training and lets the person resolve.
 */
export class SameContentService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly labels: LabelService,
  ) {}

  /**
   * A copy of content already in the project was imported from a folder naming `classId`.
   * The kept photo without a label takes that class (`labelled`); one labelled with the same
   * class makes the copy a plain `duplicate`; another class makes a `conflict`, recorded with
   * both claims. Runs inside the caller's transaction.
   */
  recordCopy(projectId: Id, contentHash: string, copyId: Id, classId: Id): CopyOutcome {
    const db = this.ctx.db;
    const kept = db
      .prepare(
        `SELECT i.id, l.class_id AS classId FROM images i LEFT JOIN labels l ON l.image_id = i.id
         WHERE i.project_id = ? AND i.content_hash = ? AND i.status = 'ok' ORDER BY i.id LIMIT 1`,
      )
      .get(projectId, contentHash) as { id: Id; classId: Id | null } | undefined;
    if (!kept) return 'duplicate';
    if (kept.classId === null) {
      db.prepare(`INSERT INTO labels (image_id, class_id, origin, labelled_at) VALUES (?, ?, 'folder-name', ?)`).run(
        kept.id,
        classId,
        this.ctx.now(),
      );
      return 'labelled';
    }
    if (kept.classId === classId) return 'duplicate';
    db.prepare(
      `INSERT INTO label_conflicts (project_id, content_hash, status, found_at) VALUES (?, ?, 'open', ?)
       ON CONFLICT(project_id, content_hash) DO NOTHING`,
    ).run(projectId, contentHash, this.ctx.now());
    const { id: conflictId } = db
      .prepare('SELECT id FROM label_conflicts WHERE project_id = ? AND content_hash = ?')
      .get(projectId, contentHash) as { id: Id };
    const claim = db.prepare(
      `INSERT INTO label_conflict_claims (image_id, conflict_id, class_id) VALUES (?, ?, ?)
       ON CONFLICT(image_id) DO UPDATE SET conflict_id = excluded.conflict_id, class_id = excluded.class_id`,
    );
    const keptClaimed = db.prepare('SELECT 1 FROM label_conflict_claims WHERE image_id = ?').get(kept.id);
    if (!keptClaimed) claim.run(kept.id, conflictId, kept.classId);
    claim.run(copyId, conflictId, classId);
    return 'conflict';
  }

  /** Every label conflict of the project, open ones first, each copy with the class its folder named. */
  conflicts(projectId: Id): LabelConflict[] {
    requireProject(this.ctx.db, projectId);
    const rows = this.ctx.db.prepare(`${EFFECTIVE_CONFLICTS} ORDER BY c.status DESC, c.id`).all(projectId) as {
      id: Id;
      contentHash: string;
      status: LabelConflict['status'];
    }[];
    const claims = this.ctx.db.prepare(
      `SELECT k.image_id AS imageId, i.rel_path AS relPath, i.status = 'ok' AS kept, k.class_id AS classId,
         c.name AS className
       FROM label_conflict_claims k JOIN images i ON i.id = k.image_id JOIN classes c ON c.id = k.class_id
       WHERE k.conflict_id = ? ORDER BY i.status = 'ok' DESC, i.rel_path`,
    );
    return rows.flatMap((r) => {
      const found = claims.all(r.id) as (LabelConflict['copies'][number] & { kept: number })[];
      // An excluded conflict whose classes were all deleted since has nothing left to show.
      if (found.length === 0) return [];
      const kept = found.find((c) => c.kept === 1) ?? found[0];
      return [
        {
          id: r.id,
          status: r.status,
          imageId: kept.imageId,
          copies: found.map(({ kept: _kept, ...copy }) => copy),
        },
      ];
    });
  }

  /**
   * Resolves a conflict: `classId` labels the photo with that class (undoable like any label)
   * and ends the conflict; null keeps it out of training (status `excluded`).
   */
  resolve(conflictId: Id, classId: Id | null): LabelConflict[] {
    const row = this.ctx.db
      .prepare('SELECT project_id AS projectId, content_hash AS contentHash FROM label_conflicts WHERE id = ?')
      .get(conflictId) as { projectId: Id; contentHash: string } | undefined;
    if (!row) throw new GraftError('NOT_FOUND', `Label conflict ${conflictId} does not exist or was resolved.`);
    if (classId === null) {
      this.ctx.db.prepare(`UPDATE label_conflicts SET status = 'excluded' WHERE id = ?`).run(conflictId);
    } else {
      if (requireClass(this.ctx.db, classId).projectId !== row.projectId) {
        throw new GraftError('BAD_REQUEST', 'That class belongs to another project.');
      }
      const kept = this.conflicts(row.projectId).find((c) => c.id === conflictId)?.imageId;
      this.ctx.db.transaction(() => {
        if (kept !== undefined) this.labels.assign(row.projectId, [kept], classId);
        this.ctx.db.prepare('DELETE FROM label_conflicts WHERE id = ?').run(conflictId);
      })();
    }
    this.ctx.events.emit('labels:changed', { projectId: row.projectId });
    return this.conflicts(row.projectId);
  }

  /**
   * Every duplicate photo of the project with the photo it copies (null once that one is gone);
   * copies in an unresolved label conflict are listed by `conflicts` instead.
   */
  duplicates(projectId: Id): DuplicatePhoto[] {
    requireProject(this.ctx.db, projectId);
    return this.ctx.db
      .prepare(
        `SELECT d.id AS imageId, d.rel_path AS relPath, o.id AS originalId, o.rel_path AS originalRelPath
         FROM images d LEFT JOIN images o ON o.id = d.duplicate_of
         WHERE d.project_id = ? AND d.status = 'duplicate'
           AND NOT EXISTS (SELECT 1 FROM label_conflict_claims k WHERE k.image_id = d.id)
         ORDER BY d.rel_path`,
      )
      .all(projectId)
      .map((r) => {
        const row = r as { imageId: Id; relPath: string; originalId: Id | null; originalRelPath: string | null };
        return {
          imageId: row.imageId,
          relPath: row.relPath,
          copyOf: row.originalId === null ? null : { imageId: row.originalId, relPath: row.originalRelPath! },
        };
      });
  }
}
