import type { Id, ProjectSummary } from '../../common/contract';
import { GraftError } from '../../common/errors';
import type { ServiceContext } from './context';
import { requireProject } from './lookups';
import { openConflictsSql } from './same-content';

const SUMMARY_SQL = `
  SELECT p.id, p.name, p.created_at AS createdAt, p.last_opened_at AS lastOpenedAt,
    (SELECT COUNT(*) FROM images i WHERE i.project_id = p.id AND i.status = 'ok') AS imageCount,
    (SELECT COUNT(*) FROM labels l JOIN images i ON i.id = l.image_id
       WHERE i.project_id = p.id AND i.status = 'ok') AS labelledCount,
    (SELECT COUNT(*) FROM images i WHERE i.project_id = p.id AND i.status IN ('unreadable', 'missing'))
      + (SELECT COUNT(*) FROM (${openConflictsSql('p.id')})) AS problemCount
  FROM projects p`;

function cleanName(name: string): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (!trimmed) throw new GraftError('BAD_REQUEST', 'A project needs a name.');
  if (trimmed.length > 120) throw new GraftError('BAD_REQUEST', 'Project names are at most 120 characters.');
  return trimmed;
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export class ProjectService {
  constructor(private readonly ctx: ServiceContext) {}

  list(): ProjectSummary[] {
    return this.ctx.db
      .prepare(`${SUMMARY_SQL} ORDER BY COALESCE(p.last_opened_at, p.created_at) DESC, p.id DESC`)
      .all() as ProjectSummary[];
  }

  get(projectId: Id): ProjectSummary {
    requireProject(this.ctx.db, projectId);
    return this.ctx.db.prepare(`${SUMMARY_SQL} WHERE p.id = ?`).get(projectId) as ProjectSummary;
  }

  findByName(name: string): ProjectSummary | null {
    const row = this.ctx.db.prepare('SELECT id FROM projects WHERE name = ?').get(name.trim()) as
      | { id: Id }
      | undefined;
    return row ? this.get(row.id) : null;
  }

  create(name: string): ProjectSummary {
    const clean = cleanName(name);
    try {
      const info = this.ctx.db
        .prepare('INSERT INTO projects (name, created_at) VALUES (?, ?)')
        .run(clean, this.ctx.now());
      this.ctx.events.emit('projects:changed', {});
      return this.get(Number(info.lastInsertRowid));
    } catch (err) {
      if (isUniqueViolation(err)) throw new GraftError('NAME_TAKEN', `A project named “${clean}” already exists.`);
      throw err;
    }
  }

  rename(projectId: Id, name: string): ProjectSummary {
    const clean = cleanName(name);
    requireProject(this.ctx.db, projectId);
    try {
      this.ctx.db.prepare('UPDATE projects SET name = ? WHERE id = ?').run(clean, projectId);
    } catch (err) {
      if (isUniqueViolation(err)) throw new GraftError('NAME_TAKEN', `A project named “${clean}” already exists.`);
      throw err;
    }
    this.ctx.events.emit('projects:changed', {});
    return this.get(projectId);
  }

  /** Removes the project's records; the user's photos on disk are never touched. */
  delete(projectId: Id): void {
    requireProject(this.ctx.db, projectId);
    this.ctx.db.prepare('DELETE FROM projects WHERE id = ?').run(projectId);
    this.ctx.events.emit('projects:changed', {});
  }

  open(projectId: Id): ProjectSummary {
    requireProject(this.ctx.db, projectId);
    this.ctx.db.prepare('UPDATE projects SET last_opened_at = ? WHERE id = ?').run(this.ctx.now(), projectId);
    return this.get(projectId);
  }

  lastOpened(): ProjectSummary | null {
    const row = this.ctx.db
      .prepare('SELECT id FROM projects WHERE last_opened_at IS NOT NULL ORDER BY last_opened_at DESC, id DESC LIMIT 1')
      .get() as { id: Id } | undefined;
    return row ? this.get(row.id) : null;
  }
}
