import fs from 'node:fs';
import path from 'node:path';
import type { Id, Split } from '../../common/contract';
import { GraftError } from '../../common/errors';
import { compareExperiments } from '../../common/experiment-comparison';
import type {
  DatasetSnapshot,
  EpochMetrics,
  ExperimentComparison,
  ExperimentDetail,
  ExperimentStatus,
  ExperimentSummary,
  FinalMetrics,
  Prediction,
  TrainConfig,
} from '../../common/training';
import { recordDespiteFullDisk } from '../db/connection';
import type { ServiceContext } from './context';
import { nextRunName, requireFreeRunName } from './run-names';
import { removeUnusedPreparedBackbones, runsReadingBackboneIn } from './run-owned-files';

export interface SnapshotItem {
  imageId: Id;
  contentHash: string;
  name: string;
  classId: Id;
  split: Split;
}

export interface ItemPrediction {
  contentHash: string;
  predictedClassId: Id;
  confidence: number;
  probabilities: number[];
}

interface ExperimentRow {
  id: Id;
  projectId: Id;
  name: string;
  note: string;
  status: ExperimentStatus;
  backboneId: string;
  technique: string;
  config: string;
  snapshot: string;
  metrics: string | null;
  artefactDir: string | null;
  startedAt: string;
  finishedAt: string | null;
  durationSeconds: number | null;
  error: string | null;
}

const EXPERIMENT_SQL = `SELECT id, project_id AS projectId, name, note, status, backbone_id AS backboneId, technique,
  config, snapshot, metrics, artefact_dir AS artefactDir, started_at AS startedAt, finished_at AS finishedAt,
  duration_s AS durationSeconds, error FROM experiments`;

function summaryOf(row: ExperimentRow): ExperimentSummary {
  const metrics = row.metrics ? (JSON.parse(row.metrics) as FinalMetrics) : null;
  return {
    id: row.id,
    projectId: row.projectId,
    name: row.name,
    note: row.note,
    status: row.status,
    backboneId: row.backboneId,
    technique: row.technique as ExperimentSummary['technique'],
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    durationSeconds: row.durationSeconds,
    valAccuracy: metrics?.val?.accuracy ?? null,
    keptStage: metrics?.fineTune?.keptStage ?? null,
    adaptation: metrics?.adaptation ?? null,
    error: row.error,
  };
}

/** Experiment records: everything a run saw and produced, kept as it was. */
export class ExperimentStore {
  constructor(private readonly ctx: ServiceContext) {}

  create(projectId: Id, config: TrainConfig, snapshot: DatasetSnapshot, items: SnapshotItem[]): Id {
    const db = this.ctx.db;
    return db.transaction(() => {
      const info = db
        .prepare(
          `INSERT INTO experiments (project_id, name, status, backbone_id, technique, config, snapshot, started_at)
           VALUES (?, ?, 'running', ?, ?, ?, ?, ?)`,
        )
        .run(
          projectId,
          nextRunName(db, projectId),
          config.backboneId,
          config.technique,
          JSON.stringify(config),
          JSON.stringify(snapshot),
          this.ctx.now(),
        );
      const id = Number(info.lastInsertRowid);
      const insert = db.prepare(
        `INSERT OR IGNORE INTO experiment_items (experiment_id, image_id, content_hash, name, class_id, split) VALUES (?, ?, ?, ?, ?, ?)`,
      );
      for (const item of items) insert.run(id, item.imageId, item.contentHash, item.name, item.classId, item.split);
      return id;
    })();
  }

  addEpoch(experimentId: Id, metrics: EpochMetrics): void {
    this.ctx.db
      .prepare('INSERT OR REPLACE INTO experiment_epochs (experiment_id, epoch, metrics) VALUES (?, ?, ?)')
      .run(experimentId, metrics.epoch, JSON.stringify(metrics));
  }

  finish(
    experimentId: Id,
    outcome: {
      status: ExperimentStatus;
      metrics?: FinalMetrics;
      error?: string;
      artefactDir?: string;
      predictions?: ItemPrediction[];
    },
  ): void {
    const db = this.ctx.db;
    const row = this.row(experimentId);
    const seconds = (Date.now() - Date.parse(row.startedAt)) / 1000;
    const record = db.transaction(() => {
      const put = db.prepare(
        `UPDATE experiment_items SET predicted_class_id = ?, confidence = ?, probabilities = ?
         WHERE experiment_id = ? AND content_hash = ?`,
      );
      for (const p of outcome.predictions ?? []) {
        put.run(p.predictedClassId, p.confidence, JSON.stringify(p.probabilities), experimentId, p.contentHash);
      }
      db.prepare(
        `UPDATE experiments SET status = ?, metrics = ?, error = ?, artefact_dir = ?, finished_at = ?, duration_s = ? WHERE id = ?`,
      ).run(
        outcome.status,
        outcome.metrics ? JSON.stringify(outcome.metrics) : null,
        outcome.error ?? null,
        outcome.artefactDir ?? null,
        this.ctx.now(),
        seconds,
        experimentId,
      );
    });
    recordDespiteFullDisk(db, record);
  }

  list(projectId: Id): ExperimentSummary[] {
    return (
      this.ctx.db.prepare(`${EXPERIMENT_SQL} WHERE project_id = ? ORDER BY id DESC`).all(projectId) as ExperimentRow[]
    ).map(summaryOf);
  }

  get(experimentId: Id): ExperimentDetail {
    const row = this.row(experimentId);
    const epochs = (
      this.ctx.db
        .prepare('SELECT metrics FROM experiment_epochs WHERE experiment_id = ? ORDER BY epoch')
        .all(experimentId) as {
        metrics: string;
      }[]
    ).map((e) => JSON.parse(e.metrics) as EpochMetrics);
    return {
      ...summaryOf(row),
      config: JSON.parse(row.config) as TrainConfig,
      snapshot: JSON.parse(row.snapshot) as DatasetSnapshot,
      epochs,
      metrics: row.metrics ? (JSON.parse(row.metrics) as FinalMetrics) : null,
    };
  }

  artefactDir(experimentId: Id): string | null {
    return this.row(experimentId).artefactDir;
  }

  rename(experimentId: Id, name: string): ExperimentSummary {
    const clean = name.trim();
    if (!clean) throw new GraftError('BAD_REQUEST', 'An experiment needs a name.');
    const { projectId } = this.row(experimentId);
    requireFreeRunName(this.ctx.db, projectId, clean.slice(0, 120), experimentId);
    this.ctx.db.prepare('UPDATE experiments SET name = ? WHERE id = ?').run(clean.slice(0, 120), experimentId);
    return summaryOf(this.row(experimentId));
  }

  annotate(experimentId: Id, note: string): ExperimentSummary {
    this.row(experimentId);
    this.ctx.db.prepare('UPDATE experiments SET note = ? WHERE id = ?').run(note.slice(0, 5000), experimentId);
    return summaryOf(this.row(experimentId));
  }

  /**
   * Deletes a run with the files it owns (run-owned-files.ts).
   * @throws GraftError JOB_RUNNING while it runs; CONFLICT naming the runs whose backbone file lies
   * in this run's folder (adapted from it before each adapted run got its own copy), which would break
   */
  delete(experimentId: Id): void {
    const row = this.row(experimentId);
    if (row.status === 'running') throw new GraftError('JOB_RUNNING', 'Cancel the run before deleting it.');
    const dependents = row.artefactDir
      ? runsReadingBackboneIn(this.ctx.db, this.ctx.paths.root, row.artefactDir, experimentId)
      : [];
    if (dependents.length > 0) {
      throw new GraftError(
        'CONFLICT',
        `${row.name} cannot be deleted: ${dependents.map((d) => `${d.name} (run ${d.id})`).join(', ')} use${dependents.length === 1 ? 's' : ''} the backbone file in its folder. Delete ${dependents.length === 1 ? 'that run' : 'those runs'} first.`,
      );
    }
    this.ctx.db.prepare('DELETE FROM experiments WHERE id = ?').run(experimentId);
    if (row.artefactDir && this.isOwnArtefactDir(row.artefactDir)) {
      fs.rmSync(row.artefactDir, { recursive: true, force: true });
    }
    removeUnusedPreparedBackbones(this.ctx.db, this.ctx.paths.root);
  }

  /** Whether `dir` lies inside this data directory's experiments folder: the only place a run's files are deleted from, whatever the database says. */
  private isOwnArtefactDir(dir: string): boolean {
    const rel = path.relative(path.join(this.ctx.paths.root, 'experiments'), path.resolve(dir));
    return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  }

  /** Predictions on the held-out photos, optionally only those of one confusion-matrix cell. */
  predictions(experimentId: Id, filter: { split?: Split; trueClassId?: Id; predictedClassId?: Id } = {}): Prediction[] {
    this.row(experimentId);
    const rows = this.ctx.db
      .prepare(
        `SELECT image_id AS imageId, name, split, class_id AS trueClassId, predicted_class_id AS predictedClassId,
           confidence, probabilities FROM experiment_items
         WHERE experiment_id = ? AND predicted_class_id IS NOT NULL
           AND (? IS NULL OR split = ?) AND (? IS NULL OR class_id = ?) AND (? IS NULL OR predicted_class_id = ?)
         ORDER BY confidence DESC`,
      )
      .all(
        experimentId,
        filter.split ?? null,
        filter.split ?? null,
        filter.trueClassId ?? null,
        filter.trueClassId ?? null,
        filter.predictedClassId ?? null,
        filter.predictedClassId ?? null,
      ) as (Omit<Prediction, 'probabilities'> & { probabilities: string })[];
    return rows.map((r) => ({ ...r, probabilities: JSON.parse(r.probabilities) as number[] }));
  }

  /** Wrong predictions, most confident first: the photos most worth a second look; of `split` only when given. */
  mistakes(experimentId: Id, split?: Split, limit = 24): Prediction[] {
    return this.predictions(experimentId, { split })
      .filter((p) => p.predictedClassId !== p.trueClassId)
      .slice(0, limit);
  }

  compare(aId: Id, bId: Id): ExperimentComparison {
    return compareExperiments(this.get(aId), this.get(bId), { a: this.predictions(aId), b: this.predictions(bId) });
  }

  /** Runs still 'running' at start-up were cut off when the process died. */
  static markInterrupted(ctx: ServiceContext): number {
    return ctx.db
      .prepare(
        `UPDATE experiments SET status = 'interrupted', finished_at = ?,
           error = 'Graft stopped while this run was in progress.' WHERE status = 'running'`,
      )
      .run(ctx.now()).changes;
  }

  private row(experimentId: Id): ExperimentRow {
    const row = this.ctx.db.prepare(`${EXPERIMENT_SQL} WHERE id = ?`).get(experimentId) as ExperimentRow | undefined;
    if (!row) throw new GraftError('NOT_FOUND', `Experiment ${experimentId} does not exist.`);
    return row;
  }
}
