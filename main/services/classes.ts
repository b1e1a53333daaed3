import { paletteColour } from '../../common/class-palette';
import type { ClassInfo, Id } from '../../common/contract';
import { GraftError } from '../../common/errors';
import { classNameKey } from '../../common/folder-layout';
import type { ServiceContext } from './context';
import { requireClass, requireProject } from './lookups';

const COLOUR_PATTERN = /^#[0-9a-fA-F]{6}$/;

const CLASS_SQL = `
  SELECT c.id, c.project_id AS projectId, c.name, c.colour, c.shortcut, c.sort_order AS "order",
    (SELECT COUNT(*) FROM labels l JOIN images i ON i.id = l.image_id
       WHERE l.class_id = c.id AND i.status = 'ok') AS count,
    (SELECT COUNT(*) FROM labels l JOIN images i ON i.id = l.image_id JOIN source_folders f ON f.id = i.folder_id
       WHERE l.class_id = c.id AND i.status = 'ok' AND f.domain = 'target') AS newDomainCount
  FROM classes c`;

/**
 * A class name as stored: trimmed and in Unicode NFC, so a folder name macOS wrote decomposed
 * (“e” + U+0301) and one typed composed (“é”) are the same text. Throws BAD_REQUEST when empty
 * or longer than 80 characters.
 */
export function cleanClassName(name: unknown): string {
  const clean = typeof name === 'string' ? name.normalize('NFC').trim() : '';
  if (!clean) throw new GraftError('BAD_REQUEST', 'A class needs a name.');
  if (clean.length > 80) throw new GraftError('BAD_REQUEST', 'Class names are at most 80 characters.');
  return clean;
}

export class ClassService {
  constructor(private readonly ctx: ServiceContext) {}

  list(projectId: Id): ClassInfo[] {
    requireProject(this.ctx.db, projectId);
    return this.ctx.db
      .prepare(`${CLASS_SQL} WHERE c.project_id = ? ORDER BY c.sort_order, c.id`)
      .all(projectId) as ClassInfo[];
  }

  get(classId: Id): ClassInfo {
    requireClass(this.ctx.db, classId);
    return this.ctx.db.prepare(`${CLASS_SQL} WHERE c.id = ?`).get(classId) as ClassInfo;
  }

  create(projectId: Id, name: string, colour?: string): ClassInfo {
    requireProject(this.ctx.db, projectId);
    const clean = cleanClassName(name);
    if (this.findId(projectId, clean) !== null) {
      throw new GraftError('NAME_TAKEN', `There is already a class named “${clean}”.`);
    }
    return this.get(this.insert(projectId, clean, colour));
  }

  /** The id of the named class, creating it if needed (used when labels come from folder names). */
  ensure(projectId: Id, name: string): Id {
    const clean = cleanClassName(name);
    return this.findId(projectId, clean) ?? this.insert(projectId, clean);
  }

  update(classId: Id, changes: { name?: string; colour?: string; shortcut?: string | null }): ClassInfo {
    const current = requireClass(this.ctx.db, classId);
    if (changes.name !== undefined) {
      const clean = cleanClassName(changes.name);
      const other = this.findId(current.projectId, clean);
      if (other !== null && other !== classId)
        throw new GraftError('NAME_TAKEN', `There is already a class named “${clean}”.`);
      this.ctx.db.prepare('UPDATE classes SET name = ? WHERE id = ?').run(clean, classId);
    }
    if (changes.colour !== undefined) {
      if (!COLOUR_PATTERN.test(changes.colour)) throw new GraftError('BAD_REQUEST', 'Colours are written #rrggbb.');
      this.ctx.db.prepare('UPDATE classes SET colour = ? WHERE id = ?').run(changes.colour, classId);
    }
    if (changes.shortcut !== undefined) this.setShortcut(current.projectId, classId, changes.shortcut);
    this.changed(current.projectId);
    return this.get(classId);
  }

  reorder(projectId: Id, classIds: Id[]): ClassInfo[] {
    const existing = this.list(projectId).map((c) => c.id);
    const sameSet = classIds.length === existing.length && existing.every((id) => classIds.includes(id));
    if (!sameSet) throw new GraftError('BAD_REQUEST', 'A new order must list every class of the project once.');
    const set = this.ctx.db.prepare('UPDATE classes SET sort_order = ? WHERE id = ?');
    this.ctx.db.transaction(() => {
      classIds.forEach((id, index) => {
        set.run(index, id);
      });
    })();
    this.changed(projectId);
    return this.list(projectId);
  }

  /** Moves every label of `sourceId` to `targetId`, then removes the source class. */
  merge(sourceId: Id, targetId: Id): ClassInfo {
    const source = requireClass(this.ctx.db, sourceId);
    const target = requireClass(this.ctx.db, targetId);
    if (source.projectId !== target.projectId || sourceId === targetId) {
      throw new GraftError('BAD_REQUEST', 'Merge two different classes of the same project.');
    }
    this.ctx.db.transaction(() => {
      this.ctx.db.prepare('UPDATE labels SET class_id = ? WHERE class_id = ?').run(targetId, sourceId);
      this.ctx.db.prepare('UPDATE label_changes SET old_class_id = ? WHERE old_class_id = ?').run(targetId, sourceId);
      this.ctx.db.prepare('UPDATE label_changes SET new_class_id = ? WHERE new_class_id = ?').run(targetId, sourceId);
      // A copy's folder now names the merged class: a conflict between the two classes ends.
      this.ctx.db.prepare('UPDATE label_conflict_claims SET class_id = ? WHERE class_id = ?').run(targetId, sourceId);
      this.ctx.db.prepare('DELETE FROM classes WHERE id = ?').run(sourceId);
    })();
    this.changed(source.projectId);
    this.ctx.events.emit('labels:changed', { projectId: source.projectId });
    return this.get(targetId);
  }

  /** Deletes the class; its photos become unlabelled (label history pointing at it is dropped). */
  delete(classId: Id): number {
    const cls = requireClass(this.ctx.db, classId);
    const unlabelled = this.ctx.db.transaction(() => {
      const n = this.ctx.db.prepare('DELETE FROM labels WHERE class_id = ?').run(classId).changes;
      this.ctx.db
        .prepare('DELETE FROM label_changes WHERE project_id = ? AND (old_class_id = ? OR new_class_id = ?)')
        .run(cls.projectId, classId, classId);
      this.ctx.db.prepare('DELETE FROM classes WHERE id = ?').run(classId);
      return n;
    })();
    this.changed(cls.projectId);
    this.ctx.events.emit('labels:changed', { projectId: cls.projectId });
    return unlabelled;
  }

  /** The class whose name equals `name` by classNameKey; a project has tens of classes, not thousands. */
  private findId(projectId: Id, name: string): Id | null {
    const key = classNameKey(name);
    const rows = this.ctx.db.prepare('SELECT id, name FROM classes WHERE project_id = ?').all(projectId) as {
      id: Id;
      name: string;
    }[];
    return rows.find((r) => classNameKey(r.name) === key)?.id ?? null;
  }

  private insert(projectId: Id, name: string, colour?: string): Id {
    if (colour !== undefined && !COLOUR_PATTERN.test(colour)) {
      throw new GraftError('BAD_REQUEST', 'Colours are written #rrggbb.');
    }
    const { n, maxOrder } = this.ctx.db
      .prepare('SELECT COUNT(*) AS n, COALESCE(MAX(sort_order), -1) AS maxOrder FROM classes WHERE project_id = ?')
      .get(projectId) as { n: number; maxOrder: number };
    const used = new Set(
      (
        this.ctx.db.prepare('SELECT shortcut FROM classes WHERE project_id = ?').all(projectId) as {
          shortcut: string | null;
        }[]
      ).map((r) => r.shortcut),
    );
    const shortcut = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].find((k) => !used.has(k)) ?? null;
    const info = this.ctx.db
      .prepare('INSERT INTO classes (project_id, name, colour, shortcut, sort_order) VALUES (?, ?, ?, ?, ?)')
      .run(projectId, name, colour ?? paletteColour(n), shortcut, maxOrder + 1);
    this.changed(projectId);
    return Number(info.lastInsertRowid);
  }

  private setShortcut(projectId: Id, classId: Id, shortcut: string | null): void {
    if (shortcut !== null && !/^[a-y1-9]$/i.test(shortcut)) {
      throw new GraftError('BAD_REQUEST', 'A shortcut is one key: 1–9 or a letter other than Z (Z is undo).');
    }
    const key = shortcut?.toLowerCase() ?? null;
    this.ctx.db.transaction(() => {
      if (key)
        this.ctx.db
          .prepare('UPDATE classes SET shortcut = NULL WHERE project_id = ? AND shortcut = ?')
          .run(projectId, key);
      this.ctx.db.prepare('UPDATE classes SET shortcut = ? WHERE id = ?').run(key, classId);
    })();
  }

  private changed(projectId: Id): void {
    this.ctx.events.emit('classes:changed', { projectId });
  }
}
