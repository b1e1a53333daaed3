import fs from 'node:fs/promises';
import path from 'node:path';
import type { BatchPredictSummary, Id, PredictModel } from '../../common/contract';
import { GraftError, isDiskFull } from '../../common/errors';
import type { PredictionResult } from '../../common/training';
import { readRegularFile } from '../imaging/regular-file';
import type { ServiceContext } from './context';
import { walkPhotoFolder } from './folder-walk';
import type { ImageService } from './images';
import { JobStore } from './jobs';
import { PREDICTION_CSV_HEADER, predictionCsvRow } from './prediction-csv';
import type { PhotoSource, Predictions } from './predictor';

/** A model that classifies photos: a finished experiment as the app runs it, or an exported file. */
export interface PhotoClassifier {
  classNames: string[];
  predict(photos: PhotoSource[], options?: { topK?: number; signal?: AbortSignal }): Promise<Predictions>;
  close(): Promise<void>;
}

export type ClassifierOpener = (model: PredictModel) => Promise<PhotoClassifier>;

const BATCH_CHUNK = 32;
const MAX_UPLOAD_PHOTOS = 200;

function modelKey(model: PredictModel): string {
  return model.kind === 'experiment' ? `experiment:${model.experimentId}` : `export:${model.exportId}`;
}

/** Predictions on photos in or outside the project, one at a time or a whole folder to CSV. */
export class PredictionService {
  private open: { key: string; classifier: Promise<PhotoClassifier> } | null = null;
  private readonly batches = new Map<Id, AbortController>();
  private readonly jobs: JobStore;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly images: ImageService,
    private readonly opener: ClassifierOpener,
  ) {
    this.jobs = new JobStore(ctx);
  }

  /** The last used model stays loaded: predicting photo after photo should not reload it. */
  private classifier(model: PredictModel): Promise<PhotoClassifier> {
    const key = modelKey(model);
    if (this.open?.key !== key) {
      const previous = this.open;
      this.open = { key, classifier: this.opener(model) };
      this.open.classifier.catch(() => {
        if (this.open?.key === key) this.open = null;
      });
      void previous?.classifier.then((c) => c.close()).catch(() => {});
    }
    return this.open.classifier;
  }

  async photos(
    model: PredictModel,
    photos: { name: string; dataBase64: string }[],
    topK = 5,
  ): Promise<PredictionResult[]> {
    if (!Array.isArray(photos) || photos.length === 0) throw new GraftError('BAD_REQUEST', 'Send at least one photo.');
    if (photos.length > MAX_UPLOAD_PHOTOS) {
      throw new GraftError('BAD_REQUEST', `Send at most ${MAX_UPLOAD_PHOTOS} photos at once, or predict a folder.`);
    }
    const sources = photos.map((p) => ({
      name: String(p.name),
      read: async () => Buffer.from(String(p.dataBase64), 'base64'),
    }));
    return (await (await this.classifier(model)).predict(sources, { topK })).results;
  }

  async projectImages(model: PredictModel, imageIds: Id[], topK = 5): Promise<PredictionResult[]> {
    const sources = imageIds.map((id) => ({
      name: this.images.get(id).name,
      read: async () => (await readRegularFile(this.images.absolutePath(id))).buffer,
    }));
    return (await (await this.classifier(model)).predict(sources, { topK })).results;
  }

  /** Predicts every photo below `sourceDir` into a CSV written to `destinationDir`. */
  startBatch(
    model: PredictModel,
    sourceDir: string,
    destinationDir: string,
    topK = 3,
  ): { jobId: Id; done: Promise<BatchPredictSummary> } {
    const projectId = this.projectOf(model);
    const jobId = this.jobs.begin(projectId, 'batch-predict', null);
    const controller = new AbortController();
    this.batches.set(jobId, controller);
    const done = this.runBatch(jobId, model, sourceDir, destinationDir, topK, controller.signal).finally(() =>
      this.batches.delete(jobId),
    );
    return { jobId, done };
  }

  cancelBatch(jobId: Id): boolean {
    const controller = this.batches.get(jobId);
    controller?.abort();
    return controller !== undefined;
  }

  private projectOf(model: PredictModel): Id {
    const row =
      model.kind === 'experiment'
        ? this.ctx.db.prepare('SELECT project_id AS p FROM experiments WHERE id = ?').get(model.experimentId)
        : this.ctx.db
            .prepare(
              'SELECT e.project_id AS p FROM exports x JOIN experiments e ON e.id = x.experiment_id WHERE x.id = ?',
            )
            .get(model.exportId);
    if (!row) throw new GraftError('NOT_FOUND', 'That model does not exist.');
    return (row as { p: Id }).p;
  }

  private async runBatch(
    jobId: Id,
    model: PredictModel,
    sourceDir: string,
    destinationDir: string,
    topK: number,
    signal: AbortSignal,
  ): Promise<BatchPredictSummary> {
    const started = Date.now();
    let predicted = 0;
    let unreadable = 0;
    /** Photos the model calls unlike its training photos; null while none was scored (no statistics). */
    let unlike: number | null = null;
    let summary: BatchPredictSummary;
    const csv = path.join(destinationDir, `graft-predictions-${new Date().toISOString().replace(/[:.]/g, '-')}.csv`);
    const temp = `${csv}.partial`;
    try {
      const classifier = await this.classifier(model);
      const { files } = await walkPhotoFolder(sourceDir, signal);
      const rows = [PREDICTION_CSV_HEADER];
      for (let start = 0; start < files.length && !signal.aborted; start += BATCH_CHUNK) {
        const chunk = files.slice(start, start + BATCH_CHUNK);
        const { results } = await classifier.predict(
          chunk.map((f) => ({ name: f.relPath, read: async () => (await readRegularFile(f.absPath)).buffer })),
          { topK, signal },
        );
        for (const r of results) {
          if (r.error) unreadable++;
          else predicted++;
          if (r.oodScore !== undefined && r.oodScore !== null) unlike = (unlike ?? 0) + (r.unlikeTraining ? 1 : 0);
          rows.push(predictionCsvRow(r));
        }
        const done = Math.min(files.length, start + chunk.length);
        const rate = done / Math.max(0.001, (Date.now() - started) / 1000);
        this.ctx.events.emit('predict:progress', {
          jobId,
          done,
          total: files.length,
          photosPerSecond: Math.round(rate * 10) / 10,
          etaSeconds: rate > 0 ? Math.round((files.length - done) / rate) : null,
        });
      }
      if (signal.aborted) {
        summary = {
          jobId,
          status: 'cancelled',
          csvPath: null,
          predicted,
          unreadable,
          unlikeTraining: unlike,
          error: null,
        };
      } else {
        await fs.writeFile(temp, `${rows.join('\n')}\n`);
        await fs.rename(temp, csv);
        summary = {
          jobId,
          status: 'finished',
          csvPath: csv,
          predicted,
          unreadable,
          unlikeTraining: unlike,
          error: null,
        };
      }
    } catch (err) {
      await fs.rm(temp, { force: true });
      const code = (err as { code?: string }).code;
      const message = isDiskFull(err)
        ? 'The disk is full: the CSV could not be written. Free some space and try again.'
        : code === 'EACCES' || code === 'EROFS'
          ? `Graft may not write to ${destinationDir}.`
          : (err as Error).message;
      summary = {
        jobId,
        status: signal.aborted ? 'cancelled' : 'failed',
        csvPath: null,
        predicted,
        unreadable,
        error: message,
      };
    }
    this.jobs.end(jobId, summary.status, summary, summary.error);
    this.ctx.events.emit('predict:finished', summary);
    return summary;
  }
}
