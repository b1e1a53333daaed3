import path from 'node:path';
import type { Id, ImageDetail, ImageFilter, ImageProblem, ImageRow } from '../../common/contract';
import { GraftError } from '../../common/errors';
import { orientedPhoto, readPhotoBytes } from '../imaging/photo-file';
import type { ServiceContext } from './context';
import { IN_SOURCE_DOMAIN } from './domains';
import { requireProject } from './lookups';
import { openConflictsSql } from './same-content';
import { PREVIEW_SIZE, thumbnailPath } from './thumbnails';

const ROW_COLUMNS = `i.id, i.rel_path AS relPath, i.status, l.class_id AS classId, s.split,
  NOT (${IN_SOURCE_DOMAIN}) AS newDomain`;
const ROW_JOINS = `FROM images i LEFT JOIN labels l ON l.image_id = i.id LEFT JOIN splits s ON s.image_id = i.id`;

const SPLITS = new Set(['train', 'val', 'test']);

function filterClause(projectId: Id, filter: ImageFilter): { sql: string; params: unknown[] } {
  if (filter?.kind === 'problems') {
    // As `problems` lists them: unreadable and missing files, and photos in an open label conflict.
    return {
      sql: `(i.status IN ('unreadable', 'missing') OR i.id IN (SELECT imageId FROM (${openConflictsSql('?')})))`,
      params: [projectId],
    };
  }
  const byLabel = labelClause(filter);
  const { split, domain } = filter as { split?: unknown; domain?: unknown };
  let sql = `${byLabel.sql}${domainClause(domain)}`;
  const params = [...byLabel.params];
  if (split !== undefined) {
    if (typeof split !== 'string' || !SPLITS.has(split)) throw new GraftError('BAD_REQUEST', 'Unknown split.');
    sql += ' AND s.split = ?';
    params.push(split);
  }
  return { sql, params };
}

/** ` AND …` narrowing to training photos (`source`) or new-domain photos (`target`); '' for any domain. */
function domainClause(domain: unknown): string {
  if (domain === undefined) return '';
  if (domain === 'source') return ` AND ${IN_SOURCE_DOMAIN}`;
  if (domain === 'target') return ` AND NOT (${IN_SOURCE_DOMAIN})`;
  throw new GraftError('BAD_REQUEST', 'Unknown domain.');
}

function labelClause(filter: ImageFilter): { sql: string; params: unknown[] } {
  switch (filter?.kind) {
    case 'all':
      return { sql: `i.status = 'ok'`, params: [] };
    case 'unlabelled':
      return { sql: `i.status = 'ok' AND l.class_id IS NULL`, params: [] };
    case 'class':
      return { sql: `i.status = 'ok' AND l.class_id = ?`, params: [filter.classId] };
    default:
      throw new GraftError('BAD_REQUEST', 'Unknown image filter.');
  }
}

function displayName(relPath: string): string {
  return path.posix.basename(relPath);
}

export interface MediaFile {
  contentType: string;
  body: Buffer;
}

export class ImageService {
  constructor(private readonly ctx: ServiceContext) {}

  list(projectId: Id, filter: ImageFilter): ImageRow[] {
    requireProject(this.ctx.db, projectId);
    const where = filterClause(projectId, filter);
    const rows = this.ctx.db
      .prepare(
        `SELECT ${ROW_COLUMNS} ${ROW_JOINS} WHERE i.project_id = ? AND ${where.sql} ORDER BY i.folder_id, i.rel_path`,
      )
      .all(projectId, ...where.params) as (Omit<ImageRow, 'name' | 'newDomain'> & {
      relPath: string;
      newDomain: number;
    })[];
    // Built field by field: at 20,000 rows a rest-and-spread copy of each row took about as long
    // as the query itself (npm run bench -- scale).
    return rows.map((r) => ({
      id: r.id,
      name: displayName(r.relPath),
      status: r.status,
      classId: r.classId,
      split: r.split,
      newDomain: r.newDomain === 1,
    }));
  }

  get(imageId: Id): ImageDetail {
    const row = this.ctx.db
      .prepare(
        `SELECT ${ROW_COLUMNS}, i.folder_id AS folderId, i.width, i.height, i.size_bytes AS sizeBytes,
           i.content_hash AS contentHash, i.error_code AS errorCode, i.error, l.origin AS labelOrigin,
           l.labelled_at AS labelledAt,
           EXISTS(SELECT 1 FROM training_exclusions x WHERE x.image_id = i.id) AS excluded
         ${ROW_JOINS} WHERE i.id = ?`,
      )
      .get(imageId) as
      | (Omit<ImageDetail, 'name' | 'excluded' | 'newDomain'> & {
          relPath: string;
          excluded: number;
          newDomain: number;
        })
      | undefined;
    if (!row) throw new GraftError('IMAGE_NOT_FOUND', `Photo ${imageId} does not exist.`);
    return { ...row, excluded: row.excluded === 1, newDomain: row.newDomain === 1, name: displayName(row.relPath) };
  }

  /**
   * Unreadable and missing files, then photos in an open label conflict (errorCode LABEL_CONFLICT,
   * resolved in Health or with labels:resolveConflict), each by path.
   */
  problems(projectId: Id): ImageProblem[] {
    requireProject(this.ctx.db, projectId);
    const files = this.ctx.db
      .prepare(
        `SELECT id, rel_path AS relPath, status, error_code AS errorCode, error FROM images
         WHERE project_id = ? AND status IN ('unreadable', 'missing') ORDER BY rel_path`,
      )
      .all(projectId) as ImageProblem[];
    const conflicts = this.ctx.db
      .prepare(
        `SELECT i.id, i.rel_path AS relPath, i.status, o.classNames FROM (${openConflictsSql('?')}) o
         JOIN images i ON i.id = o.imageId ORDER BY i.rel_path`,
      )
      .all(projectId) as (Omit<ImageProblem, 'errorCode' | 'error'> & { classNames: string })[];
    return [
      ...files,
      ...conflicts.map(({ classNames, ...photo }) => ({
        ...photo,
        errorCode: 'LABEL_CONFLICT',
        error: `The same photo is in the folders of ${classNames.split(',').join(' and ')}: choose its class in Health (Label conflicts).`,
      })),
    ];
  }

  /** The absolute path of a photo, resolved from its id: paths never come from the renderer. */
  absolutePath(imageId: Id): string {
    const row = this.ctx.db
      .prepare(
        `SELECT f.path AS root, i.rel_path AS relPath FROM images i JOIN source_folders f ON f.id = i.folder_id WHERE i.id = ?`,
      )
      .get(imageId) as { root: string; relPath: string } | undefined;
    if (!row) throw new GraftError('IMAGE_NOT_FOUND', `Photo ${imageId} does not exist.`);
    return path.join(row.root, ...row.relPath.split('/'));
  }

  async thumbnail(imageId: Id): Promise<string> {
    const row = this.ctx.db.prepare(`SELECT content_hash AS hash, status FROM images WHERE id = ?`).get(imageId) as
      | { hash: string | null; status: string }
      | undefined;
    if (!row) throw new GraftError('IMAGE_NOT_FOUND', `Photo ${imageId} does not exist.`);
    if (!row.hash || row.status === 'unreadable') {
      throw new GraftError('IMAGE_UNREADABLE', 'This photo could not be read, so it has no thumbnail.');
    }
    return thumbnailPath(this.ctx.paths.thumbnails, row.hash);
  }

  /** A display-sized JPEG of the photo, oriented; formats browsers lack (TIFF, BMP) work too. */
  async preview(imageId: Id): Promise<MediaFile> {
    const file = this.absolutePath(imageId);
    try {
      const bytes = await readPhotoBytes(file);
      const body = await (await orientedPhoto(bytes.buffer))
        .resize(PREVIEW_SIZE, PREVIEW_SIZE, { fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: 88 })
        .toBuffer();
      return { contentType: 'image/jpeg', body };
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'VANISHED' || code === 'DANGLING_LINK') {
        throw new GraftError(
          'IMAGE_NOT_FOUND',
          `Photo ${imageId} is no longer at ${file}; scan its folder again to update the library.`,
        );
      }
      throw new GraftError('IMAGE_UNREADABLE', `This photo cannot be shown: ${(err as Error).message}`);
    }
  }
}
