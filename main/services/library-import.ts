import fs from 'node:fs';
import {
  type Id,
  type ImportProgress,
  type ImportSummary,
  MAX_CLASS_LEVEL,
  type SkippedEntry,
} from '../../common/contract';
import { GraftError, isDiskFull } from '../../common/errors';
import { describeLayout, type FolderLayout, folderLabel, unlabelledReason } from '../../common/folder-layout';
import { asPhotoError, inspectPhoto, orientedPhoto, readPhotoBytes } from '../imaging/photo-file';
import type { ClassService } from './classes';
import type { ServiceContext } from './context';
import { type WalkedFile, walkPhotoFolder } from './folder-walk';
import { JobStore } from './jobs';
import { requireFolder } from './lookups';
import type { SameContentService } from './same-content';
import { writeThumbnail } from './thumbnails';

/** Photos decoded at once: sharp already spreads each decode over libuv's pool. */
const IMPORT_CONCURRENCY = 4;
const PROGRESS_INTERVAL_MS = 250;
/** Skipped entries listed by name in a summary; all of them are counted in skippedTotal. */
const SKIPPED_LISTED = 500;

interface ExistingImage {
  id: Id;
  relPath: string;
  sizeBytes: number;
  mtimeMs: number;
  status: string;
}

type Outcome = 'added' | 'updated' | 'unchanged' | 'duplicate' | 'conflict' | 'unreadable';

interface RunState {
  jobId: Id;
  folderId: Id;
  projectId: Id;
  root: string;
  labelsFromSubfolders: boolean;
  /** Which folder level below the root names the class (1 = the first; see folderLabel). */
  classLevel: number;
  /** Why photos got no class from their folders, when some did not. */
  labelNote: string | null;
  controller: AbortController;
  startedAt: number;
  counts: Omit<ImportSummary, 'jobId' | 'folderId' | 'status' | 'seconds' | 'error' | 'skipped' | 'labelNote'>;
  skipped: SkippedEntry[];
}

export class LibraryImporter {
  private readonly running = new Map<Id, RunState>();
  /** When each job last sent progress, so events go out at most every PROGRESS_INTERVAL_MS. */
  private readonly lastEmit = new Map<Id, number>();
  private readonly jobs: JobStore;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly classes: ClassService,
    private readonly sameContent: SameContentService,
  ) {
    this.jobs = new JobStore(ctx);
  }

  /** Starts scanning a source folder in the background and returns its job id at once. */
  start(folderId: Id): { jobId: Id; done: Promise<ImportSummary> } {
    const folder = requireFolder(this.ctx.db, folderId);
    for (const run of this.running.values()) {
      if (run.folderId === folderId) {
        throw new GraftError('JOB_RUNNING', 'This folder is already being imported.');
      }
    }
    if (!fs.existsSync(folder.path)) {
      this.markFolderMissing(folderId);
      throw new GraftError(
        'FOLDER_MISSING',
        `The folder ${folder.path} no longer exists. If you moved or renamed it, add it again from its new place; labels of photos found there are kept.`,
      );
    }
    const jobId = this.jobs.begin(folder.projectId, 'import', folderId);
    const state: RunState = {
      jobId,
      folderId,
      projectId: folder.projectId,
      root: folder.path,
      labelsFromSubfolders: folder.labelsFromSubfolders,
      classLevel: this.classLevel(folderId),
      labelNote: null,
      controller: new AbortController(),
      startedAt: Date.now(),
      counts: {
        scanned: 0,
        added: 0,
        updated: 0,
        unchanged: 0,
        duplicates: 0,
        unreadable: 0,
        missing: 0,
        labelled: 0,
        conflicts: 0,
        skippedTotal: 0,
        hidden: 0,
      },
      skipped: [],
    };
    this.running.set(jobId, state);
    const done = this.run(state).finally(() => this.running.delete(jobId));
    return { jobId, done };
  }

  /**
   * Sets which folder level below a source folder names its photos' classes (1 = the first
   * level; split folders are not counted, see folderLabel); kept for later re-scans.
   */
  setClassLevel(folderId: Id, classLevel: number): void {
    requireFolder(this.ctx.db, folderId);
    if (!Number.isInteger(classLevel) || classLevel < 1 || classLevel > MAX_CLASS_LEVEL) {
      throw new GraftError('BAD_REQUEST', `The class level is a whole number from 1 to ${MAX_CLASS_LEVEL}.`);
    }
    this.ctx.db.prepare('UPDATE source_folders SET class_level = ? WHERE id = ?').run(classLevel, folderId);
  }

  private classLevel(folderId: Id): number {
    const row = this.ctx.db.prepare('SELECT class_level AS level FROM source_folders WHERE id = ?').get(folderId) as {
      level: number;
    };
    return row.level;
  }

  cancel(jobId: Id): boolean {
    const run = this.running.get(jobId);
    if (!run) return false;
    run.controller.abort();
    return true;
  }

  last(folderId: Id): ImportSummary | null {
    const summary = this.jobs.lastSummary<ImportSummary>(folderId, 'import');
    // Summaries stored before skipped entries were reported lack these fields.
    return (
      summary && {
        ...summary,
        skipped: summary.skipped ?? [],
        skippedTotal: summary.skippedTotal ?? 0,
        labelNote: summary.labelNote ?? null,
        conflicts: summary.conflicts ?? 0,
        hidden: summary.hidden ?? 0,
      }
    );
  }

  private async run(state: RunState): Promise<ImportSummary> {
    let status: ImportSummary['status'] = 'finished';
    let error: string | null = null;
    try {
      this.progress(state, 'scanning', 0, 0, true);
      const { files, skipped, hidden } = await walkPhotoFolder(state.root, state.controller.signal);
      state.skipped = skipped.slice(0, SKIPPED_LISTED);
      state.counts.skippedTotal = skipped.length;
      state.counts.hidden = hidden;
      // Marking vanished files first lets a moved photo find its old record among them.
      const markedMissing = state.controller.signal.aborted ? [] : this.markUnseenMissing(state.folderId, files);
      if (state.labelsFromSubfolders) {
        const layout = describeLayout(
          files.map((f) => f.relPath),
          state.classLevel,
        );
        state.labelNote = unlabelledReason(layout);
        this.createFolderClasses(state.projectId, layout);
      }
      await this.importFiles(state, files);
      state.counts.missing = this.countStillMissing(markedMissing);
      if (state.controller.signal.aborted) status = 'cancelled';
      else {
        this.ctx.db
          .prepare('UPDATE source_folders SET last_scanned_at = ? WHERE id = ?')
          .run(this.ctx.now(), state.folderId);
      }
    } catch (err) {
      status = 'failed';
      error = isDiskFull(err)
        ? 'The disk is full: the import stopped. Free some space and scan the folder again; nothing already imported was lost.'
        : `The import stopped: ${(err as Error).message}`;
    }
    const summary: ImportSummary = {
      jobId: state.jobId,
      folderId: state.folderId,
      status,
      ...state.counts,
      skipped: state.skipped,
      labelNote: state.labelNote,
      seconds: (Date.now() - state.startedAt) / 1000,
      error,
    };
    this.jobs.end(state.jobId, status, summary, error);
    this.lastEmit.delete(state.jobId);
    this.ctx.events.emit('import:finished', { ...summary, projectId: state.projectId });
    if (state.counts.labelled > 0) this.ctx.events.emit('classes:changed', { projectId: state.projectId });
    this.ctx.events.emit('labels:changed', { projectId: state.projectId });
    this.ctx.events.emit('projects:changed', {});
    return summary;
  }

  private async importFiles(state: RunState, files: WalkedFile[]): Promise<void> {
    const existing = new Map<string, ExistingImage>();
    const rows = this.ctx.db
      .prepare(
        `SELECT id, rel_path AS relPath, size_bytes AS sizeBytes, mtime_ms AS mtimeMs, status
         FROM images WHERE folder_id = ?`,
      )
      .all(state.folderId) as ExistingImage[];
    for (const row of rows) existing.set(row.relPath, row);

    let next = 0;
    let done = 0;
    // The first failure (a full disk) stops every worker before the job is recorded as failed:
    // none may go on writing rows for a job that is over.
    let failure: { error: unknown } | null = null;
    const worker = async () => {
      while (next < files.length && !state.controller.signal.aborted && !failure) {
        const file = files[next++];
        const outcome = await this.importOne(state, file, existing.get(file.relPath));
        state.counts.scanned++;
        if (outcome === 'duplicate') state.counts.duplicates++;
        else if (outcome === 'conflict') state.counts.conflicts++;
        else state.counts[outcome]++;
        done++;
        this.progress(state, 'importing', done, files.length, done === 1 || done === files.length);
      }
    };
    await Promise.all(
      Array.from({ length: IMPORT_CONCURRENCY }, () =>
        worker().catch((error: unknown) => {
          failure ??= { error };
        }),
      ),
    );
    if (failure) throw (failure as { error: unknown }).error;
  }

  private async importOne(state: RunState, file: WalkedFile, known: ExistingImage | undefined): Promise<Outcome> {
    if (known && (known.status === 'ok' || known.status === 'duplicate')) {
      try {
        const stat = await fs.promises.stat(file.absPath);
        if (stat.size === known.sizeBytes && Math.trunc(stat.mtimeMs) === known.mtimeMs) return 'unchanged';
      } catch {
        // Vanished between the scan and now: the full read below reports it.
      }
    }
    let bytes: Awaited<ReturnType<typeof readPhotoBytes>> | null = null;
    try {
      bytes = await readPhotoBytes(file.absPath);
      const info = await inspectPhoto(bytes.buffer);
      await writeThumbnail(this.ctx.paths.thumbnails, bytes.contentHash, await orientedPhoto(bytes.buffer));
      return this.recordReadable(state, file, known, bytes, info.width, info.height);
    } catch (err) {
      // A full disk (thumbnail or database write) is never the photo's fault: the import stops.
      if (isDiskFull(err)) throw err;
      const problem = asPhotoError(err, bytes?.buffer);
      this.recordUnreadable(state, file, known, bytes, problem.code, problem.message);
      return 'unreadable';
    }
  }

  private recordReadable(
    state: RunState,
    file: WalkedFile,
    known: ExistingImage | undefined,
    bytes: { sizeBytes: number; mtimeMs: number; contentHash: string },
    width: number,
    height: number,
  ): Outcome {
    const db = this.ctx.db;
    return db.transaction((): Outcome => {
      const twin = db
        .prepare(
          `SELECT id, status FROM images WHERE project_id = ? AND content_hash = ? AND id IS NOT ?
           ORDER BY (status = 'missing') DESC, id LIMIT 1`,
        )
        .get(state.projectId, bytes.contentHash, known?.id ?? null) as { id: Id; status: string } | undefined;

      let imageId: Id;
      let outcome: Outcome;
      if (!known && twin?.status === 'missing') {
        // The same photo, moved: keep its record (and its label) under the new path.
        db.prepare(
          `UPDATE images SET folder_id = ?, rel_path = ?, size_bytes = ?, mtime_ms = ?, width = ?, height = ?,
             status = 'ok', error_code = NULL, error = NULL, duplicate_of = NULL WHERE id = ?`,
        ).run(state.folderId, file.relPath, bytes.sizeBytes, bytes.mtimeMs, width, height, twin.id);
        imageId = twin.id;
        outcome = 'updated';
      } else {
        const duplicateOf = twin && twin.status !== 'missing' && twin.status !== 'unreadable' ? twin.id : null;
        const status = duplicateOf ? 'duplicate' : 'ok';
        imageId = this.upsert(state, file, known, bytes, {
          width,
          height,
          status,
          duplicateOf,
          errorCode: null,
          error: null,
        });
        outcome = duplicateOf ? 'duplicate' : known ? 'updated' : 'added';
      }
      const { className, split } = folderLabel(file.relPath, state.classLevel);
      if (state.labelsFromSubfolders && className) {
        if (outcome !== 'duplicate') this.labelFromFolder(state, imageId, className);
        else {
          const classId = this.classes.ensure(state.projectId, className);
          const copy = this.sameContent.recordCopy(state.projectId, bytes.contentHash, imageId, classId);
          if (copy === 'labelled') state.counts.labelled++;
          if (copy === 'conflict') outcome = 'conflict';
        }
      }
      if (split && outcome !== 'duplicate' && outcome !== 'conflict') {
        db.prepare(
          `INSERT INTO splits (image_id, split, origin) VALUES (?, ?, 'user')
           ON CONFLICT(image_id) DO UPDATE SET split = excluded.split, origin = 'user'`,
        ).run(imageId, split);
      }
      return outcome;
    })();
  }

  private recordUnreadable(
    state: RunState,
    file: WalkedFile,
    known: ExistingImage | undefined,
    bytes: { sizeBytes: number; mtimeMs: number; contentHash: string } | null,
    errorCode: string,
    error: string,
  ): void {
    let sizeBytes = bytes?.sizeBytes ?? 0;
    let mtimeMs = bytes?.mtimeMs ?? 0;
    if (!bytes) {
      try {
        const stat = fs.statSync(file.absPath);
        sizeBytes = stat.size;
        mtimeMs = Math.trunc(stat.mtimeMs);
      } catch {
        // The file is gone or unreadable: its size stays unknown.
      }
    }
    this.upsert(
      state,
      file,
      known,
      { sizeBytes, mtimeMs, contentHash: bytes?.contentHash ?? null },
      { width: null, height: null, status: 'unreadable', duplicateOf: null, errorCode, error },
    );
  }

  private upsert(
    state: RunState,
    file: WalkedFile,
    known: ExistingImage | undefined,
    bytes: { sizeBytes: number; mtimeMs: number; contentHash: string | null },
    fields: {
      width: number | null;
      height: number | null;
      status: string;
      duplicateOf: Id | null;
      errorCode: string | null;
      error: string | null;
    },
  ): Id {
    const values = [
      bytes.sizeBytes,
      bytes.mtimeMs,
      bytes.contentHash,
      fields.width,
      fields.height,
      fields.status,
      fields.errorCode,
      fields.error,
      fields.duplicateOf,
    ];
    if (known) {
      this.ctx.db
        .prepare(
          `UPDATE images SET size_bytes = ?, mtime_ms = ?, content_hash = ?, width = ?, height = ?, status = ?,
             error_code = ?, error = ?, duplicate_of = ? WHERE id = ?`,
        )
        .run(...values, known.id);
      return known.id;
    }
    const info = this.ctx.db
      .prepare(
        `INSERT INTO images (size_bytes, mtime_ms, content_hash, width, height, status, error_code, error,
           duplicate_of, project_id, folder_id, rel_path, added_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(...values, state.projectId, state.folderId, file.relPath, this.ctx.now());
    return Number(info.lastInsertRowid);
  }

  /** Classes named after sub-folders are created up front, in name order, not in decode order. */
  private createFolderClasses(projectId: Id, layout: FolderLayout): void {
    for (const c of layout.classes) this.classes.ensure(projectId, c.name);
  }

  private labelFromFolder(state: RunState, imageId: Id, className: string): void {
    const classId = this.classes.ensure(state.projectId, className);
    const info = this.ctx.db
      .prepare(
        `INSERT INTO labels (image_id, class_id, origin, labelled_at) VALUES (?, ?, 'folder-name', ?)
         ON CONFLICT(image_id) DO NOTHING`,
      )
      .run(imageId, classId, this.ctx.now());
    state.counts.labelled += info.changes;
  }

  private countStillMissing(ids: Id[]): number {
    const status = this.ctx.db.prepare('SELECT status FROM images WHERE id = ?');
    return ids.filter((id) => (status.get(id) as { status: string } | undefined)?.status === 'missing').length;
  }

  private markUnseenMissing(folderId: Id, seen: WalkedFile[]): Id[] {
    const seenPaths = new Set(seen.map((f) => f.relPath));
    const rows = this.ctx.db
      .prepare(`SELECT id, rel_path AS relPath FROM images WHERE folder_id = ? AND status != 'missing'`)
      .all(folderId) as { id: Id; relPath: string }[];
    const gone = rows.filter((r) => !seenPaths.has(r.relPath));
    const mark = this.ctx.db.prepare(
      `UPDATE images SET status = 'missing', error_code = 'FILE_MISSING',
         error = 'The file is no longer in its folder (moved, renamed or deleted).' WHERE id = ?`,
    );
    this.ctx.db.transaction(() => {
      for (const r of gone) mark.run(r.id);
    })();
    return gone.map((r) => r.id);
  }

  private markFolderMissing(folderId: Id): void {
    this.ctx.db
      .prepare(
        `UPDATE images SET status = 'missing', error_code = 'FOLDER_MISSING',
           error = 'Its folder no longer exists (moved, renamed or on a disconnected drive).'
         WHERE folder_id = ? AND status != 'missing'`,
      )
      .run(folderId);
    this.ctx.events.emit('labels:changed', { projectId: requireFolder(this.ctx.db, folderId).projectId });
  }

  private progress(state: RunState, phase: ImportProgress['phase'], done: number, total: number, force: boolean) {
    const now = Date.now();
    if (!force && now - (this.lastEmit.get(state.jobId) ?? 0) < PROGRESS_INTERVAL_MS) return;
    this.lastEmit.set(state.jobId, now);
    const seconds = (now - state.startedAt) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    this.ctx.events.emit('import:progress', {
      jobId: state.jobId,
      projectId: state.projectId,
      folderId: state.folderId,
      phase,
      done,
      total,
      unreadable: state.counts.unreadable,
      photosPerSecond: Math.round(rate * 10) / 10,
      etaSeconds: rate > 0 && total > 0 ? Math.round((total - done) / rate) : null,
    });
  }
}
