import type { Id, LabelChangeResult } from '../../common/contract';
import type { LabelSuggestion, SuggestionsFinished } from '../../common/suggestions';
import { type UncertaintyMeasure, uncertainty } from '../../common/uncertainty';
import { readRegularFile } from '../imaging/regular-file';
import { EmbeddingCancelledError } from '../ml/embedding/embedder';
import type { BackboneService } from './backbones';
import type { ServiceContext } from './context';
import { SqliteEmbeddingCache } from './embedding-store';
import type { ExperimentStore } from './experiments';
import type { ImageService } from './images';
import { JobStore } from './jobs';
import type { LabelService } from './labels';
import { ExperimentModel } from './predictor';

/**
 * Which photos the Library offers first: the measure with the best mean accuracy over the
 * rounds after the first, on hymenoptera and PACS photo together, averaged over the bundled
 * and the ImageNet backbone (`npm run bench -- active-learning`, docs/BENCHMARKS.md). The
 * three measures were within 0.3 points of each other; with two classes they order alike.
 */
export const SUGGESTION_UNCERTAINTY: UncertaintyMeasure = 'least-confidence';

/**
 * Label suggestions: a finished run's head applied to the project's unlabelled photos (their
 * embeddings from the shared cache, computed with the run's backbone where missing), kept in
 * `label_suggestions`, never in `labels`, so nothing counts them until a person accepts one.
 */
export class SuggestionService {
  private readonly jobs: JobStore;
  private readonly running = new Map<Id, AbortController>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly experiments: ExperimentStore,
    private readonly backbones: BackboneService,
    private readonly images: ImageService,
    private readonly labels: LabelService,
  ) {
    this.jobs = new JobStore(ctx);
  }

  /**
   * Starts a job suggesting a class for every readable unlabelled photo of the run's project;
   * the job's suggestions replace the project's earlier ones when it finishes. Throws NOT_FOUND
   * for an unknown run, BAD_REQUEST for one without a model (from ExperimentModel.open, in `done`).
   */
  start(experimentId: Id): { jobId: Id; done: Promise<SuggestionsFinished> } {
    const projectId = this.experiments.get(experimentId).projectId;
    const jobId = this.jobs.begin(projectId, 'suggestions', null);
    const controller = new AbortController();
    this.running.set(jobId, controller);
    const done = this.run(jobId, projectId, experimentId, controller.signal).finally(() => this.running.delete(jobId));
    return { jobId, done };
  }

  cancel(jobId: Id): boolean {
    const controller = this.running.get(jobId);
    controller?.abort();
    return controller !== undefined;
  }

  /** Suggestions of the project's photos that still have no label, most uncertain first. */
  list(projectId: Id): LabelSuggestion[] {
    return this.ctx.db
      .prepare(
        `SELECT s.image_id AS imageId, s.class_id AS classId, s.confidence, s.uncertainty, s.experiment_id AS experimentId
         FROM label_suggestions s JOIN images i ON i.id = s.image_id
         WHERE i.project_id = ? AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.image_id = s.image_id)
         ORDER BY s.uncertainty DESC, s.image_id`,
      )
      .all(projectId) as LabelSuggestion[];
  }

  /** Labels each still-unlabelled photo with its suggested class (origin 'suggested'), as one undoable action. */
  accept(projectId: Id, imageIds: Id[]): LabelChangeResult {
    const wanted = new Set(imageIds);
    const chosen = this.list(projectId)
      .filter((s) => wanted.has(s.imageId))
      .map((s) => ({ imageId: s.imageId, classId: s.classId }));
    return this.labels.assignEach(projectId, chosen, 'suggested');
  }

  private unlabelled(projectId: Id): { imageId: Id }[] {
    return this.ctx.db
      .prepare(
        `SELECT i.id AS imageId FROM images i
         WHERE i.project_id = ? AND i.status = 'ok' AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.image_id = i.id)
         ORDER BY i.id`,
      )
      .all(projectId) as { imageId: Id }[];
  }

  private async run(jobId: Id, projectId: Id, experimentId: Id, signal: AbortSignal): Promise<SuggestionsFinished> {
    const photos = this.unlabelled(projectId);
    const base = { jobId, projectId, experimentId };
    let summary: SuggestionsFinished;
    try {
      const model = await ExperimentModel.open(this.experiments, this.backbones, experimentId);
      try {
        const predictions = await model.predict(
          photos.map((p) => ({
            name: String(p.imageId),
            read: async () => (await readRegularFile(this.images.absolutePath(p.imageId))).buffer,
          })),
          {
            signal,
            cache: new SqliteEmbeddingCache(this.ctx.db),
            onProgress: (p) => this.ctx.events.emit('suggestions:progress', { ...base, done: p.done, total: p.total }),
          },
        );
        // All from the cache, the embedder never looks at the signal: a cancel must still store nothing.
        if (signal.aborted) throw new EmbeddingCancelledError();
        const classIds = model.artefacts.snapshot.classes.map((c) => c.id);
        summary = { ...base, status: 'finished', suggested: 0, skipped: [], error: null };
        const rows: Omit<LabelSuggestion, 'experimentId'>[] = [];
        const k = classIds.length;
        predictions.results.forEach((r, i) => {
          if (r.error !== null) {
            summary.skipped.push({ imageId: photos[i].imageId, message: r.error });
            return;
          }
          const p = predictions.probabilities.subarray(i * k, (i + 1) * k);
          let best = 0;
          for (let c = 1; c < k; c++) if (p[c] > p[best]) best = c;
          rows.push({
            imageId: photos[i].imageId,
            classId: classIds[best],
            confidence: p[best],
            uncertainty: uncertainty(p, SUGGESTION_UNCERTAINTY),
          });
        });
        summary.suggested = this.store(projectId, experimentId, rows);
      } finally {
        await model.close();
      }
    } catch (err) {
      const cancelled = signal.aborted;
      const message = err instanceof Error ? err.message : String(err);
      summary = {
        ...base,
        status: cancelled ? 'cancelled' : 'failed',
        suggested: 0,
        skipped: [],
        error: cancelled ? null : message,
      };
    }
    this.jobs.end(jobId, summary.status, summary, summary.error);
    this.ctx.events.emit('suggestions:finished', summary);
    return summary;
  }

  /** Replaces the project's suggestions; classes deleted since the run are not suggested. Returns how many were kept. */
  private store(projectId: Id, experimentId: Id, rows: Omit<LabelSuggestion, 'experimentId'>[]): number {
    const db = this.ctx.db;
    return db.transaction(() => {
      db.prepare('DELETE FROM label_suggestions WHERE image_id IN (SELECT id FROM images WHERE project_id = ?)').run(
        projectId,
      );
      const insert = db.prepare(
        `INSERT INTO label_suggestions (image_id, experiment_id, class_id, confidence, uncertainty, computed_at)
         SELECT ?, ?, c.id, ?, ?, ? FROM classes c WHERE c.id = ? AND c.project_id = ?`,
      );
      let kept = 0;
      for (const r of rows) {
        kept += insert.run(
          r.imageId,
          experimentId,
          r.confidence,
          r.uncertainty,
          this.ctx.now(),
          r.classId,
          projectId,
        ).changes;
      }
      return kept;
    })();
  }
}
