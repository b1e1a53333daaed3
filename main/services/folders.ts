import fs from 'node:fs';
import path from 'node:path';
import type { Id, SourceFolder } from '../../common/contract';
import { GraftError } from '../../common/errors';
import type { ServiceContext } from './context';
import { requireFolder, requireProject } from './lookups';

interface FolderRow {
  id: Id;
  projectId: Id;
  path: string;
  lfs: number;
  lastScannedAt: string | null;
}

function toFolder(row: FolderRow): SourceFolder {
  return {
    id: row.id,
    projectId: row.projectId,
    path: row.path,
    labelsFromSubfolders: row.lfs === 1,
    lastScannedAt: row.lastScannedAt,
    present: fs.existsSync(row.path),
  };
}

const FOLDER_SQL = `SELECT id, project_id AS projectId, path, labels_from_subfolders AS lfs,
  last_scanned_at AS lastScannedAt FROM source_folders`;

/** The photo folders a project reads from. Only main-side code ever supplies a path here. */
export class FolderService {
  constructor(private readonly ctx: ServiceContext) {}

  list(projectId: Id): SourceFolder[] {
    requireProject(this.ctx.db, projectId);
    return (this.ctx.db.prepare(`${FOLDER_SQL} WHERE project_id = ? ORDER BY path`).all(projectId) as FolderRow[]).map(
      toFolder,
    );
  }

  get(folderId: Id): SourceFolder {
    requireFolder(this.ctx.db, folderId);
    return toFolder(this.ctx.db.prepare(`${FOLDER_SQL} WHERE id = ?`).get(folderId) as FolderRow);
  }

  /** Adds a folder (or returns the one already added), after checking it is a readable directory. */
  add(projectId: Id, folderPath: string, labelsFromSubfolders: boolean): SourceFolder {
    requireProject(this.ctx.db, projectId);
    const resolved = path.resolve(folderPath);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(resolved);
      fs.accessSync(resolved, fs.constants.R_OK);
    } catch {
      throw new GraftError('FOLDER_UNREADABLE', `The folder ${resolved} does not exist or cannot be read.`);
    }
    if (!stat.isDirectory()) throw new GraftError('FOLDER_UNREADABLE', `${resolved} is not a folder.`);
    this.ctx.db
      .prepare(
        `INSERT INTO source_folders (project_id, path, labels_from_subfolders) VALUES (?, ?, ?)
         ON CONFLICT(project_id, path) DO UPDATE SET labels_from_subfolders = excluded.labels_from_subfolders`,
      )
      .run(projectId, resolved, labelsFromSubfolders ? 1 : 0);
    const row = this.ctx.db
      .prepare(`${FOLDER_SQL} WHERE project_id = ? AND path = ?`)
      .get(projectId, resolved) as FolderRow;
    return toFolder(row);
  }

  /** Forgets a folder and its photos' records; the files themselves are not touched. */
  remove(folderId: Id): void {
    const folder = requireFolder(this.ctx.db, folderId);
    this.ctx.db.prepare('DELETE FROM source_folders WHERE id = ?').run(folderId);
    this.ctx.events.emit('labels:changed', { projectId: folder.projectId });
    this.ctx.events.emit('projects:changed', {});
  }
}
