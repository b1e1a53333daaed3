import type { Id } from '../../common/contract';
import { recordDespiteFullDisk } from '../db/connection';
import type { ServiceContext } from './context';

export type JobStatus = 'running' | 'finished' | 'cancelled' | 'failed' | 'interrupted';

/** Long jobs are rows, so a crash leaves a visible 'interrupted' job rather than nothing. */
export class JobStore {
  constructor(private readonly ctx: ServiceContext) {}

  begin(projectId: Id, kind: string, folderId: Id | null): Id {
    const info = this.ctx.db
      .prepare(`INSERT INTO jobs (project_id, folder_id, kind, status, started_at) VALUES (?, ?, ?, 'running', ?)`)
      .run(projectId, folderId, kind, this.ctx.now());
    return Number(info.lastInsertRowid);
  }

  end(jobId: Id, status: JobStatus, summary: unknown, error: string | null): void {
    recordDespiteFullDisk(this.ctx.db, () =>
      this.ctx.db
        .prepare('UPDATE jobs SET status = ?, finished_at = ?, summary = ?, error = ? WHERE id = ?')
        .run(status, this.ctx.now(), JSON.stringify(summary), error, jobId),
    );
  }

  lastSummary<T>(folderId: Id, kind: string): T | null {
    const row = this.ctx.db
      .prepare(
        `SELECT summary FROM jobs WHERE folder_id = ? AND kind = ? AND summary IS NOT NULL ORDER BY id DESC LIMIT 1`,
      )
      .get(folderId, kind) as { summary: string } | undefined;
    return row ? (JSON.parse(row.summary) as T) : null;
  }

  /** Jobs still 'running' when the process starts were cut off by a crash or a kill. */
  static markInterrupted(ctx: ServiceContext): number {
    return ctx.db
      .prepare(
        `UPDATE jobs SET status = 'interrupted', finished_at = ?,
           error = 'Graft stopped while this job was running.' WHERE status = 'running'`,
      )
      .run(ctx.now()).changes;
  }
}
