import type { BackboneCompareProgress, BackboneComparison, BackboneComparisonRow } from '../../common/backbone-compare';
import type { Id } from '../../common/contract';
import { GraftError } from '../../common/errors';
import type { BackboneInfo } from '../../common/training';
import { readRegularFile } from '../imaging/regular-file';
import { Embedder, EmbeddingCancelledError } from '../ml/embedding/embedder';
import { crossValidateProbe, ProbeCancelledError, ProbeDataError, probeFolds } from '../ml/head/linear-probe';
import type { BackboneService } from './backbones';
import type { ServiceContext } from './context';
import { SqliteEmbeddingCache } from './embedding-store';
import { healthPhotos } from './health/health-photos';
import type { ImageService } from './images';
import { JobStore } from './jobs';
import { requireProject } from './lookups';
import type { SplitService } from './splits';

/** The job kind of a comparison; its summary column holds the BackboneComparison. */
export const COMPARE_JOB_KIND = 'backbone-compare';

/** Folds are drawn with this seed, so two compares of the same photos score the same folds. */
export const COMPARE_SEED = 42;

interface ComparePhotos {
  items: { imageId: Id; contentHash: string }[];
  labels: Int32Array;
  classCount: number;
}

/**
 * "Compare backbones": for a project's labelled photos (every split: the probe makes its own
 * folds), each backbone Graft offers embeds them through the embedding cache and a linear probe
 * is scored by stratified k-fold cross-validation (main/ml/head/linear-probe.ts). The result is
 * a ranked table kept as the job's summary. Progress arrives as `backbones:compareProgress`, the
 * end as `backbones:compareFinished`.
 */
export class BackboneCompareService {
  private readonly running = new Map<Id, { projectId: Id; controller: AbortController }>();
  private readonly jobs: JobStore;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly splits: SplitService,
    private readonly images: ImageService,
    private readonly backbones: BackboneService,
  ) {
    this.jobs = new JobStore(ctx);
  }

  /**
   * Starts a comparison of `backboneIds` (default: every backbone listed).
   * @throws GraftError PROJECT_NOT_FOUND; TOO_FEW_PHOTOS when fewer than two classes or a class
   *   with fewer than two photos; JOB_RUNNING while a comparison of the project runs; NOT_FOUND
   *   for an unknown backbone id
   */
  start(projectId: Id, backboneIds?: string[]): { jobId: Id; done: Promise<BackboneComparison | null> } {
    requireProject(this.ctx.db, projectId);
    const named = backboneIds?.map((id) => this.backbones.find(id));
    // A backbone named twice (by id and by name) is compared once.
    const chosen = named ? [...new Map(named.map((b) => [b.id, b])).values()] : this.backbones.list();
    const photos = this.photos(projectId);
    try {
      probeFolds(photos.labels, photos.classCount);
    } catch (err) {
      if (err instanceof ProbeDataError) throw new GraftError('TOO_FEW_PHOTOS', err.message);
      throw err;
    }
    if ([...this.running.values()].some((r) => r.projectId === projectId)) {
      throw new GraftError('JOB_RUNNING', 'Backbones are already being compared for this project.');
    }
    const jobId = this.jobs.begin(projectId, COMPARE_JOB_KIND, null);
    const controller = new AbortController();
    this.running.set(jobId, { projectId, controller });
    const done = this.run(jobId, projectId, chosen, photos, controller.signal).finally(() =>
      this.running.delete(jobId),
    );
    return { jobId, done };
  }

  /** Asks a running comparison to stop; it ends `cancelled` within one embedding batch or probe fit. */
  cancel(jobId: Id): boolean {
    const run = this.running.get(jobId);
    run?.controller.abort();
    return run !== undefined;
  }

  /** The project's most recent finished comparison, or null. */
  last(projectId: Id): BackboneComparison | null {
    requireProject(this.ctx.db, projectId);
    const row = this.ctx.db
      .prepare(
        `SELECT summary FROM jobs WHERE project_id = ? AND kind = ? AND status = 'finished' AND summary IS NOT NULL
         ORDER BY id DESC LIMIT 1`,
      )
      .get(projectId, COMPARE_JOB_KIND) as { summary: string } | undefined;
    return row ? (JSON.parse(row.summary) as BackboneComparison) : null;
  }

  /** The photos a training run would use (healthPhotos: photos without a split included, nothing written). */
  private photos(projectId: Id): ComparePhotos {
    const rows = healthPhotos(this.ctx, this.splits, projectId);
    const classIds = [...new Set(rows.map((r) => r.classId))].sort((a, b) => a - b);
    return {
      items: rows.map((r) => ({ imageId: r.imageId, contentHash: r.contentHash })),
      labels: Int32Array.from(rows, (r) => classIds.indexOf(r.classId)),
      classCount: classIds.length,
    };
  }

  private async run(
    jobId: Id,
    projectId: Id,
    chosen: BackboneInfo[],
    photos: ComparePhotos,
    signal: AbortSignal,
  ): Promise<BackboneComparison | null> {
    const started = performance.now();
    try {
      const { folds, fewerFoldsReason, smallestClass } = probeFolds(photos.labels, photos.classCount);
      const rows: BackboneComparisonRow[] = [];
      for (const [index, backbone] of chosen.entries()) {
        const progress = (phase: BackboneCompareProgress['phase'], done: number, total: number) =>
          this.ctx.events.emit('backbones:compareProgress', {
            jobId,
            projectId,
            backboneId: backbone.id,
            backboneName: backbone.name,
            backboneIndex: index + 1,
            backboneCount: chosen.length,
            phase,
            done,
            total,
          });
        rows.push(await this.score(backbone, photos, signal, progress));
      }
      const comparison: BackboneComparison = {
        projectId,
        photos: photos.items.length,
        classes: photos.classCount,
        folds,
        foldsNote: fewerFoldsReason,
        smallestClass,
        seed: COMPARE_SEED,
        rows: rankRows(rows),
        seconds: (performance.now() - started) / 1000,
        finishedAt: this.ctx.now(),
      };
      this.finish(jobId, projectId, 'finished', null, comparison);
      return comparison;
    } catch (err) {
      const cancelled = signal.aborted || err instanceof EmbeddingCancelledError || err instanceof ProbeCancelledError;
      this.finish(
        jobId,
        projectId,
        cancelled ? 'cancelled' : 'failed',
        cancelled ? null : (err as Error).message,
        null,
      );
      return null;
    }
  }

  /** One backbone's row: embedded (cache first), then probed; a backbone that cannot run is skipped with its reason. */
  private async score(
    backbone: BackboneInfo,
    photos: ComparePhotos,
    signal: AbortSignal,
    progress: (phase: BackboneCompareProgress['phase'], done: number, total: number) => void,
  ): Promise<BackboneComparisonRow> {
    const base = {
      backboneId: backbone.id,
      name: backbone.name,
      source: backbone.source,
      featureDim: backbone.featureDim,
      isDefault: backbone.isDefault,
    };
    const skipped = (reason: string, failed = 0): BackboneComparisonRow => ({
      ...base,
      status: 'skipped',
      accuracy: null,
      spread: null,
      photosPerSecond: null,
      cached: 0,
      failed,
      reason,
    });
    let embedder: Embedder;
    try {
      embedder = await Embedder.open(await this.backbones.prepare(backbone.id));
    } catch (err) {
      return skipped(`It cannot be loaded: ${(err as Error).message}`);
    }
    let run: Awaited<ReturnType<Embedder['embed']>>;
    try {
      run = await embedder.embed(
        photos.items.map((p) => ({
          id: p.contentHash,
          contentHash: p.contentHash,
          read: async () => (await readRegularFile(this.images.absolutePath(p.imageId))).buffer,
        })),
        {
          views: ['original'],
          signal,
          cache: new SqliteEmbeddingCache(this.ctx.db),
          onProgress: (p) => progress('embedding', p.done, p.total),
        },
      );
    } catch (err) {
      if (signal.aborted || err instanceof EmbeddingCancelledError) throw err;
      return skipped(`It failed while embedding: ${(err as Error).message}`);
    } finally {
      await embedder.close();
    }
    const kept: number[] = [];
    const vectors: Float32Array[] = [];
    run.results.forEach((r, i) => {
      if (r.ok && r.vectors.original) {
        kept.push(i);
        vectors.push(r.vectors.original);
      }
    });
    const dim = vectors[0]?.length ?? backbone.featureDim;
    const x = new Float32Array(kept.length * dim);
    vectors.forEach((v, i) => {
      x.set(v, i * dim);
    });
    const data = { x, y: Int32Array.from(kept, (i) => photos.labels[i]), dim, classCount: photos.classCount };
    try {
      const cv = await crossValidateProbe(data, {
        seed: COMPARE_SEED,
        signal,
        onFold: (done, total) => progress('probing', done, total),
      });
      return {
        ...base,
        status: 'ok',
        accuracy: cv.mean,
        spread: cv.std,
        photosPerSecond: run.embedded > 0 ? run.imagesPerSecond : null,
        cached: run.fromCache,
        failed: run.failed,
        reason: null,
      };
    } catch (err) {
      // Photos it could not read can leave a class too small for this backbone alone.
      if (err instanceof ProbeDataError) return skipped(err.message, run.failed);
      throw err;
    }
  }

  private finish(
    jobId: Id,
    projectId: Id,
    status: 'finished' | 'cancelled' | 'failed',
    error: string | null,
    comparison: BackboneComparison | null,
  ): void {
    this.jobs.end(jobId, status, comparison, error);
    this.ctx.events.emit('backbones:compareFinished', { jobId, projectId, status, error, comparison });
  }
}

/** Scored rows by accuracy (then the smaller spread), skipped rows after them in their order. */
export function rankRows(rows: BackboneComparisonRow[]): BackboneComparisonRow[] {
  const scored = rows
    .filter((r) => r.status === 'ok')
    .sort((a, b) => (b.accuracy ?? 0) - (a.accuracy ?? 0) || (a.spread ?? 0) - (b.spread ?? 0));
  return [...scored, ...rows.filter((r) => r.status !== 'ok')];
}
