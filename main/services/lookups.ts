import type { Id } from '../../common/contract';
import { GraftError } from '../../common/errors';
import type { Db } from '../db/connection';

function requireRow<T>(row: T | undefined, code: GraftError['code'], message: string): T {
  if (row === undefined) throw new GraftError(code, message);
  return row;
}

export function requireProject(db: Db, projectId: Id): { id: Id; name: string } {
  const row = db.prepare('SELECT id, name FROM projects WHERE id = ?').get(projectId) as
    | { id: Id; name: string }
    | undefined;
  return requireRow(row, 'PROJECT_NOT_FOUND', `Project ${projectId} does not exist.`);
}

export function requireClass(db: Db, classId: Id): { id: Id; projectId: Id; name: string } {
  const row = db.prepare('SELECT id, project_id AS projectId, name FROM classes WHERE id = ?').get(classId) as
    | { id: Id; projectId: Id; name: string }
    | undefined;
  return requireRow(row, 'CLASS_NOT_FOUND', `Class ${classId} does not exist.`);
}

export function requireFolder(
  db: Db,
  folderId: Id,
): { id: Id; projectId: Id; path: string; labelsFromSubfolders: boolean } {
  const row = db
    .prepare(
      `SELECT id, project_id AS projectId, path, labels_from_subfolders AS lfs
       FROM source_folders WHERE id = ?`,
    )
    .get(folderId) as { id: Id; projectId: Id; path: string; lfs: number } | undefined;
  const f = requireRow(row, 'FOLDER_NOT_FOUND', `Folder ${folderId} is not part of any project.`);
  return { id: f.id, projectId: f.projectId, path: f.path, labelsFromSubfolders: f.lfs === 1 };
}
