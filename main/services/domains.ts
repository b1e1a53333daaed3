import type { Domain, DomainCount } from '../../common/adaptation';
import type { Id } from '../../common/contract';
import { GraftError } from '../../common/errors';
import type { ServiceContext } from './context';
import { requireProject } from './lookups';

/**
 * SQL condition, for a query over `images i`, that holds for photos of the source domain only:
 * target-domain photos never get a split and never enter a training run (issue 8).
 */
export const IN_SOURCE_DOMAIN = `NOT EXISTS (SELECT 1 FROM source_folders df WHERE df.id = i.folder_id AND df.domain = 'target')`;

/** Which folders are the new domain a model is adapted to; counts per domain. */
export class DomainService {
  constructor(private readonly ctx: ServiceContext) {}

  /**
   * Marks a source folder's photos as one domain. A folder becoming `target` loses the splits its
   * photos had (they are no longer training photos); its labels stay and only measure.
   * Throws NOT_FOUND for an unknown folder.
   */
  setFolderDomain(folderId: Id, domain: Domain): void {
    const db = this.ctx.db;
    db.transaction(() => {
      const changed = db.prepare('UPDATE source_folders SET domain = ? WHERE id = ?').run(domain, folderId).changes;
      if (changed === 0) throw new GraftError('NOT_FOUND', 'That folder is not in the project.');
      if (domain === 'target') {
        db.prepare('DELETE FROM splits WHERE image_id IN (SELECT id FROM images WHERE folder_id = ?)').run(folderId);
      }
    })();
  }

  /**
   * Folders, readable photos and labelled photos of each domain of a project, source first.
   * @throws GraftError PROJECT_NOT_FOUND for an unknown project (never two empty domains)
   */
  counts(projectId: Id): DomainCount[] {
    requireProject(this.ctx.db, projectId);
    const rows = this.ctx.db
      .prepare(
        `SELECT f.domain AS domain, GROUP_CONCAT(DISTINCT f.id) AS ids, COUNT(DISTINCT f.id) AS folders,
           COUNT(i.id) AS photos, COUNT(l.image_id) AS labelled
         FROM source_folders f
         LEFT JOIN images i ON i.folder_id = f.id AND i.status = 'ok'
         LEFT JOIN labels l ON l.image_id = i.id
         WHERE f.project_id = ? GROUP BY f.domain`,
      )
      .all(projectId) as (Omit<DomainCount, 'folderIds'> & { ids: string | null })[];
    return (['source', 'target'] as const).map((domain) => {
      const row = rows.find((r) => r.domain === domain);
      const folderIds = (row?.ids ?? '')
        .split(',')
        .filter(Boolean)
        .map(Number)
        .sort((a, b) => a - b);
      return { domain, folderIds, folders: row?.folders ?? 0, photos: row?.photos ?? 0, labelled: row?.labelled ?? 0 };
    });
  }

  /** The readable target-domain photos of a project, by content, with a label where one was given. */
  targetPhotos(projectId: Id): { imageId: Id; contentHash: string; relPath: string; classId: Id | null }[] {
    return this.ctx.db
      .prepare(
        `SELECT i.id AS imageId, i.content_hash AS contentHash, i.rel_path AS relPath, l.class_id AS classId
         FROM images i JOIN source_folders f ON f.id = i.folder_id AND f.domain = 'target'
         LEFT JOIN labels l ON l.image_id = i.id
         WHERE i.project_id = ? AND i.status = 'ok' AND i.content_hash IS NOT NULL
         ORDER BY i.content_hash, i.id`,
      )
      .all(projectId) as { imageId: Id; contentHash: string; relPath: string; classId: Id | null }[];
  }
}

/** The paths of a project's new-domain (target) folders, sorted; empty when none is marked. */
export function targetFolderPaths(db: ServiceContext['db'], projectId: Id): string[] {
  const rows = db
    .prepare(`SELECT path FROM source_folders WHERE project_id = ? AND domain = 'target' ORDER BY path`)
    .all(projectId) as { path: string }[];
  return rows.map((r) => r.path);
}
