import type { Id } from '../../../common/contract';
import { GraftError } from '../../../common/errors';
import type { HealthFinding, HealthReport } from '../../../common/health';
import type { TrainingWarning } from '../../../common/training';
import { readRegularFile } from '../../imaging/regular-file';
import { DEFAULT_BACKBONE_ID } from '../../ml/backbones/bundled-backbones';
import { Embedder, EmbeddingCancelledError, embeddingKeyOf } from '../../ml/embedding/embedder';
import { PHOTO_HASH_DIGITS, photoHash } from '../../ml/health/perceptual-hash';
import type { BackboneService } from '../backbones';
import type { ServiceContext } from '../context';
import { SqliteEmbeddingCache } from '../embedding-store';
import type { ImageService } from '../images';
import { JobStore } from '../jobs';
import { requireProject } from '../lookups';
import type { SameContentService } from '../same-content';
import type { SplitService } from '../splits';
import { DEFAULT_TRAIN_CONFIG, frozenViews } from '../training';
import { NAMED_PHOTOS } from '../training-data';
import { healthFindings } from './health-findings';
import { type HealthPhotoRow, healthPhotos } from './health-photos';

/**
 * Most labelled photos for which a training preflight computes health afresh (well under a
 * second from the caches); above it, the preflight uses the project's last report.
 */
export const PREFLIGHT_FRESH_PHOTOS = 5_000;

/**
 * Dataset health: findings about a project's labelled photos (label conflicts, leakage and near
 * copies, likely mislabels, imbalance, odd photos, outliers), computed from cached perceptual
 * hashes and embeddings; a check job fills those caches. Fixes other than keep/exclude are the
 * ordinary label, split and conflict calls.
 */
export class HealthService {
  private readonly running = new Map<Id, { projectId: Id; controller: AbortController }>();
  private readonly jobs: JobStore;
  private readonly lastReports = new Map<Id, HealthReport>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly splits: SplitService,
    private readonly images: ImageService,
    private readonly backbones: BackboneService,
    private readonly sameContent: SameContentService,
  ) {
    this.jobs = new JobStore(ctx);
  }

  /**
   * The findings from what is cached now (nothing is computed from photo files). `missing`
   * counts photos without a hash or an embedding of `backboneId` (default: the bundled
   * default); run `check` to fill them.
   */
  async report(projectId: Id, backboneId = DEFAULT_BACKBONE_ID): Promise<HealthReport> {
    requireProject(this.ctx.db, projectId);
    const prepared = await this.backbones.prepare(backboneId);
    const started = performance.now();
    const photos = healthPhotos(this.ctx, this.splits, projectId);
    const hashes = this.cachedHashes(photos);
    const vectors = new SqliteEmbeddingCache(this.ctx.db).vectorsFor(
      new Set(photos.map((p) => p.contentHash)),
      embeddingKeyOf(prepared, 'original'),
    );
    const classes = this.ctx.db
      .prepare('SELECT id, name FROM classes WHERE project_id = ? ORDER BY sort_order, id')
      .all(projectId) as { id: Id; name: string }[];
    const keptKeys = new Set(
      (
        this.ctx.db.prepare('SELECT finding_key AS key FROM health_kept WHERE project_id = ?').all(projectId) as {
          key: string;
        }[]
      ).map((r) => r.key),
    );
    const all = healthFindings(
      { photos, conflicts: this.sameContent.conflicts(projectId), hashes, vectors, classes },
      new Set(),
    );
    const findings = all.filter((f) => !keptKeys.has(f.key));
    const { excluded } = this.ctx.db
      .prepare(
        `SELECT COUNT(*) AS excluded FROM training_exclusions x JOIN images i ON i.id = x.image_id WHERE i.project_id = ?`,
      )
      .get(projectId) as { excluded: number };
    const report: HealthReport = {
      projectId,
      backboneId,
      photos: photos.length,
      missing: photos.filter((p) => !hashes.has(p.contentHash) || !vectors.has(p.contentHash)).length,
      excluded,
      kept: all.length - findings.length,
      findings,
      seconds: (performance.now() - started) / 1000,
    };
    this.lastReports.set(projectId, report);
    return report;
  }

  /**
   * What a training run should know from dataset health, counted, with leaking photos named; null
   * when there is nothing. Leakage is a `warning` (the score would be wrong); labels the model
   * doubts and imbalance are an `info` suggestion to look (a doubted label is often a hard photo,
   * not a wrong one). Findings the person kept are left out, so a reviewed project stays quiet.
   * Label conflicts have their own preflight warning. Fresh up to PREFLIGHT_FRESH_PHOTOS photos,
   * else the last report (or null).
   */
  async preflightWarning(projectId: Id): Promise<TrainingWarning | null> {
    const { n } = this.ctx.db
      .prepare(
        `SELECT COUNT(*) AS n FROM images i JOIN labels l ON l.image_id = i.id WHERE i.project_id = ? AND i.status = 'ok'`,
      )
      .get(projectId) as { n: number };
    const report = n <= PREFLIGHT_FRESH_PHOTOS ? await this.report(projectId) : this.lastReports.get(projectId);
    const findings = report?.findings ?? [];
    const count = (kind: HealthFinding['kind']) => findings.filter((f) => f.kind === kind).length;
    const leaks = findings.filter((f) => f.kind === 'leakage');
    const doubted = count('likely-mislabel');
    const suggestions = [
      doubted && `${doubted} ${doubted === 1 ? 'photo whose label' : 'photos whose labels'} the model doubts`,
      count('class-imbalance') && 'imbalanced classes',
    ].filter(Boolean);
    if (leaks.length === 0 && suggestions.length === 0) return null;
    const message = [
      leaks.length > 0 &&
        `Dataset health found ${leaks.length} ${leaks.length === 1 ? 'group' : 'groups'} of near copies across training and validation/test (leakage: the score would look better than it is).`,
      suggestions.length > 0 && `Worth a second look in Health: ${suggestions.join(' and ')}.`,
    ]
      .filter(Boolean)
      .join(' ');
    return {
      level: leaks.length > 0 ? 'warning' : 'info',
      code: 'DATASET_HEALTH',
      message,
      photos: leaks
        .flatMap((f) => f.photos.map((p) => ({ imageId: p.imageId, relPath: p.relPath, reason: f.title })))
        .slice(0, NAMED_PHOTOS),
    };
  }

  /**
   * Starts filling the caches health needs: a dHash and embeddings for each photo without them,
   * through the training pipeline's embedder and cache, of the views a default training run
   * embeds (health reads `original`; the mirror makes that run find every photo cached). Progress arrives as
   * `health:progress`, the end as `health:finished`; photos that cannot be read are skipped
   * (their findings are simply absent). Throws JOB_RUNNING while a check of the project runs.
   */
  check(projectId: Id, backboneId = DEFAULT_BACKBONE_ID): { jobId: Id; done: Promise<void> } {
    requireProject(this.ctx.db, projectId);
    this.backbones.spec(backboneId);
    if ([...this.running.values()].some((r) => r.projectId === projectId)) {
      throw new GraftError('JOB_RUNNING', 'A health check is already running for this project.');
    }
    const jobId = this.jobs.begin(projectId, 'health', null);
    const controller = new AbortController();
    this.running.set(jobId, { projectId, controller });
    const done = this.fill(jobId, projectId, backboneId, controller.signal).finally(() => this.running.delete(jobId));
    return { jobId, done };
  }

  cancel(jobId: Id): boolean {
    const run = this.running.get(jobId);
    run?.controller.abort();
    return run !== undefined;
  }

  /** Stops listing the finding `findingKey` (it stays kept while its photos and labels stay the same). */
  keep(projectId: Id, findingKey: string): void {
    requireProject(this.ctx.db, projectId);
    this.ctx.db
      .prepare('INSERT OR IGNORE INTO health_kept (project_id, finding_key, kept_at) VALUES (?, ?, ?)')
      .run(projectId, findingKey, this.ctx.now());
  }

  /** Leaves photos out of training (or takes them back); returns how many changed. Throws IMAGE_NOT_FOUND for another project's photo. */
  setExcluded(projectId: Id, imageIds: Id[], excluded: boolean): number {
    requireProject(this.ctx.db, projectId);
    const db = this.ctx.db;
    const changed = db.transaction(() => {
      const owner = db.prepare('SELECT project_id AS projectId FROM images WHERE id = ?');
      const add = db.prepare('INSERT OR IGNORE INTO training_exclusions (image_id, excluded_at) VALUES (?, ?)');
      const remove = db.prepare('DELETE FROM training_exclusions WHERE image_id = ?');
      let n = 0;
      for (const id of new Set(imageIds)) {
        const row = owner.get(id) as { projectId: Id } | undefined;
        if (row?.projectId !== projectId)
          throw new GraftError('IMAGE_NOT_FOUND', `Photo ${id} is not in this project.`);
        n += (excluded ? add.run(id, this.ctx.now()) : remove.run(id)).changes;
      }
      return n;
    })();
    if (changed > 0) this.ctx.events.emit('labels:changed', { projectId });
    return changed;
  }

  private cachedHashes(photos: HealthPhotoRow[]): Map<string, string> {
    const select = this.ctx.db.prepare('SELECT dhash FROM perceptual_hashes WHERE content_hash = ?');
    const hashes = new Map<string, string>();
    for (const p of photos) {
      const row = select.get(p.contentHash) as { dhash: string } | undefined;
      // A hash of another form (an earlier version's) is computed again.
      if (row?.dhash.length === PHOTO_HASH_DIGITS) hashes.set(p.contentHash, row.dhash);
    }
    return hashes;
  }

  private async fill(jobId: Id, projectId: Id, backboneId: string, signal: AbortSignal): Promise<void> {
    const progress = (phase: 'hashing' | 'embedding', done: number, total: number) =>
      this.ctx.events.emit('health:progress', { jobId, projectId, phase, done, total });
    try {
      const photos = healthPhotos(this.ctx, this.splits, projectId);
      const hashes = this.cachedHashes(photos);
      const unhashed = photos.filter((p) => !hashes.has(p.contentHash));
      const store = this.ctx.db.prepare('INSERT OR REPLACE INTO perceptual_hashes (content_hash, dhash) VALUES (?, ?)');
      for (const [i, p] of unhashed.entries()) {
        if (signal.aborted) throw new EmbeddingCancelledError();
        try {
          const bytes = (await readRegularFile(this.images.absolutePath(p.imageId))).buffer;
          store.run(p.contentHash, await photoHash(bytes));
        } catch {
          // An unreadable photo gets no hash; training names it when it skips it.
        }
        if (i % 20 === 19 || i === unhashed.length - 1) progress('hashing', i + 1, unhashed.length);
      }
      const embedder = await Embedder.open(await this.backbones.prepare(backboneId));
      try {
        await embedder.embed(
          photos.map((p) => ({
            id: p.contentHash,
            contentHash: p.contentHash,
            read: async () => (await readRegularFile(this.images.absolutePath(p.imageId))).buffer,
          })),
          {
            // The views a default training run embeds, so that run finds them all cached.
            views: frozenViews(DEFAULT_TRAIN_CONFIG),
            signal,
            cache: new SqliteEmbeddingCache(this.ctx.db),
            onProgress: (p) => progress('embedding', p.done, p.total),
          },
        );
      } finally {
        await embedder.close();
      }
      this.finish(jobId, projectId, 'finished', null);
    } catch (err) {
      const cancelled = signal.aborted || err instanceof EmbeddingCancelledError;
      this.finish(jobId, projectId, cancelled ? 'cancelled' : 'failed', cancelled ? null : (err as Error).message);
    }
  }

  private finish(jobId: Id, projectId: Id, status: 'finished' | 'cancelled' | 'failed', error: string | null) {
    this.jobs.end(jobId, status, null, error);
    this.ctx.events.emit('health:finished', { jobId, projectId, status, error });
  }
}
