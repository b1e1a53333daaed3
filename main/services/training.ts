import path from 'node:path';
import type { Id } from '../../common/contract';
import { DISK_FULL_MESSAGE, GraftError, isDiskFull } from '../../common/errors';
import type { FinalMetrics, TrainConfig, TrainingPreflight, TrainingProgress } from '../../common/training';
import { readRegularFile } from '../imaging/regular-file';
import type { PreparedBackbone } from '../ml/backbones/backbone-spec';
import { DEFAULT_BACKBONE_ID } from '../ml/backbones/bundled-backbones';
import { Embedder, EmbeddingCancelledError, type EmbedRunResult } from '../ml/embedding/embedder';
import { DEFAULT_HEAD_CONFIG, type HeadConfig } from '../ml/head/head-config';
import { predictWithHead } from '../ml/head/head-model';
import { trainHeadInWorker } from '../ml/head/train-in-worker';
import type { BackboneService } from './backbones';
import type { ServiceContext } from './context';
import { SqliteEmbeddingCache } from './embedding-store';
import { evaluateSplit } from './evaluation';
import { writeRunArtefacts } from './experiment-artefacts';
import type { ExperimentStore, ItemPrediction } from './experiments';
import type { ImageService } from './images';
import { requireProject } from './lookups';
import { unavailablePhotosWarning } from './photo-availability';
import type { SplitService } from './splits';
import { collectTrainingData, namedFailures, type TrainingData, trainingWarnings } from './training-data';
import { buildHeadDataset, type EmbeddedItem } from './training-dataset';

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  backboneId: DEFAULT_BACKBONE_ID,
  technique: 'feature-extraction',
  seed: DEFAULT_HEAD_CONFIG.seed,
  hiddenUnits: DEFAULT_HEAD_CONFIG.hiddenUnits,
  dropout: DEFAULT_HEAD_CONFIG.dropout,
  l2: DEFAULT_HEAD_CONFIG.l2,
  labelSmoothing: DEFAULT_HEAD_CONFIG.labelSmoothing,
  classWeighting: DEFAULT_HEAD_CONFIG.classWeighting,
  learningRate: DEFAULT_HEAD_CONFIG.learningRate,
  schedule: DEFAULT_HEAD_CONFIG.schedule,
  maxEpochs: DEFAULT_HEAD_CONFIG.maxEpochs,
  batchSize: DEFAULT_HEAD_CONFIG.batchSize,
  patience: DEFAULT_HEAD_CONFIG.patience,
  augmentFlip: true,
  flipTestTime: true,
};

const CONFIG_KEYS = Object.keys(DEFAULT_TRAIN_CONFIG) as (keyof TrainConfig)[];

function mergeConfig(partial: Partial<TrainConfig> | undefined): TrainConfig {
  const config = { ...DEFAULT_TRAIN_CONFIG };
  for (const key of Object.keys(partial ?? {})) {
    if (!CONFIG_KEYS.includes(key as keyof TrainConfig)) {
      throw new GraftError('BAD_REQUEST', `“${key}” is not a training setting.`);
    }
    const value = (partial as Record<string, unknown>)[key];
    if (typeof value !== typeof DEFAULT_TRAIN_CONFIG[key as keyof TrainConfig]) {
      throw new GraftError('BAD_REQUEST', `The training setting “${key}” has the wrong type.`);
    }
    (config as Record<string, unknown>)[key] = value;
  }
  return config;
}

function headConfigOf(config: TrainConfig): HeadConfig {
  return {
    seed: config.seed,
    hiddenUnits: config.hiddenUnits,
    dropout: config.dropout,
    l2: config.l2,
    labelSmoothing: config.labelSmoothing,
    classWeighting: config.classWeighting,
    learningRate: config.learningRate,
    schedule: config.schedule,
    maxEpochs: config.maxEpochs,
    batchSize: config.batchSize,
    patience: config.patience,
  };
}

interface RunHandle {
  projectId: Id;
  controller: AbortController;
}

/** Train: snapshot the labels, embed with the frozen backbone (cached), fit a head off-thread, evaluate, keep it all. */
export class TrainingService {
  private readonly running = new Map<Id, RunHandle>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly experiments: ExperimentStore,
    private readonly splits: SplitService,
    private readonly images: ImageService,
    private readonly backbones: BackboneService,
  ) {}

  /**
   * The warnings a run would start with, judged on the split it would use, plus the photos whose
   * file changed or went away since their import; changes nothing.
   */
  async preflight(projectId: Id, partial?: Partial<TrainConfig>): Promise<TrainingPreflight> {
    requireProject(this.ctx.db, projectId);
    const config = mergeConfig(partial);
    this.backbones.spec(config.backboneId);
    const { unassigned } = this.splits.summary(projectId);
    const warnings = this.splits.whatIfAssigned(projectId, config.seed, () =>
      trainingWarnings(this.ctx, projectId, collectTrainingData(this.ctx, projectId)),
    );
    const unavailable = await unavailablePhotosWarning(this.ctx, projectId);
    if (unavailable) warnings.push(unavailable);
    if (unassigned > 0) {
      warnings.push({
        level: 'info',
        code: 'NO_SPLIT',
        message: `${unassigned} photos have no split yet; training gives them one (stratified, seed ${config.seed}).`,
      });
    }
    return { warnings, canTrain: !warnings.some((w) => w.level === 'error'), defaults: DEFAULT_TRAIN_CONFIG };
  }

  start(projectId: Id, partial?: Partial<TrainConfig>): { experimentId: Id; done: Promise<void> } {
    requireProject(this.ctx.db, projectId);
    const config = mergeConfig(partial);
    this.backbones.spec(config.backboneId);
    if ([...this.running.values()].some((run) => run.projectId === projectId)) {
      throw new GraftError('JOB_RUNNING', 'A training run is already in progress for this project.');
    }
    this.splits.assignMissing(projectId, config.seed);
    const data = collectTrainingData(this.ctx, projectId);
    const errors = trainingWarnings(this.ctx, projectId, data).filter((w) => w.level === 'error');
    if (errors.length > 0) throw new GraftError('BAD_REQUEST', errors.map((e) => e.message).join(' '));

    const experimentId = this.experiments.create(projectId, config, data.snapshot, data.items);
    const controller = new AbortController();
    const done = this.run(experimentId, projectId, config, data, controller.signal).finally(() =>
      this.running.delete(experimentId),
    );
    this.running.set(experimentId, { projectId, controller });
    return { experimentId, done };
  }

  cancel(experimentId: Id): boolean {
    const run = this.running.get(experimentId);
    if (!run) return false;
    run.controller.abort();
    return true;
  }

  private progress(p: TrainingProgress): void {
    this.ctx.events.emit('training:progress', p);
  }

  private async run(
    experimentId: Id,
    projectId: Id,
    config: TrainConfig,
    data: TrainingData,
    signal: AbortSignal,
  ): Promise<void> {
    try {
      const prepared = await this.backbones.prepare(config.backboneId);
      const embedded = await this.embed(experimentId, projectId, prepared, data, config, signal);
      const vectors = new Map<string, EmbeddedItem['vectors']>();
      for (const r of embedded.results) if (r.ok) vectors.set(r.id, r.vectors);
      const dataset = buildHeadDataset(data, vectors, prepared.featureDim, config);

      this.progress({
        experimentId,
        projectId,
        phase: 'training',
        done: 0,
        total: config.maxEpochs,
        imagesPerSecond: null,
        etaSeconds: null,
      });
      const result = await trainHeadInWorker(dataset.head, headConfigOf(config), {
        signal,
        onEpoch: (m) => {
          const epoch = {
            epoch: m.epoch,
            trainLoss: m.trainLoss,
            trainAccuracy: m.trainAccuracy,
            valLoss: m.valLossFlip ?? m.valLoss,
            valAccuracy: m.valAccuracyFlip ?? m.valAccuracy,
            learningRate: m.learningRate,
            seconds: m.seconds,
          };
          this.experiments.addEpoch(experimentId, epoch);
          this.ctx.events.emit('training:epoch', { experimentId, projectId, epoch });
        },
      });

      this.progress({
        experimentId,
        projectId,
        phase: 'evaluating',
        done: 0,
        total: 1,
        imagesPerSecond: null,
        etaSeconds: null,
      });
      const classIds = data.snapshot.classes.map((c) => c.id);
      const predictions: ItemPrediction[] = [];
      const val = evaluateSplit(
        'val',
        dataset.val.items,
        dataset.head.val.y,
        result.valProbabilities,
        classIds,
        predictions,
      );
      let test: FinalMetrics['test'] = null;
      if (dataset.test.items.length > 0) {
        const probabilities = await predictWithHead(
          result.artifacts,
          dataset.test.x,
          dataset.test.items.length,
          dataset.test.xFlip,
        );
        test = evaluateSplit('test', dataset.test.items, dataset.test.y, probabilities, classIds, predictions);
      }

      const artefactDir = path.join(this.ctx.paths.root, 'experiments', String(experimentId));
      await writeRunArtefacts(artefactDir, {
        config,
        snapshot: data.snapshot,
        backbone: prepared.spec,
        head: result.artifacts,
      });
      const metrics: FinalMetrics = {
        bestEpoch: result.bestEpoch,
        stoppedEarly: result.stoppedEarly,
        val,
        test,
        embeddedImages: embedded.embedded,
        cachedImages: embedded.fromCache,
        skippedImages: embedded.failed,
        skipped: namedFailures(
          data,
          embedded.results.flatMap((r) => (r.ok ? [] : [{ id: r.id, message: r.error.message }])),
        ),
        embeddingImagesPerSecond: embedded.imagesPerSecond,
        backend: result.backend,
      };
      this.experiments.finish(experimentId, { status: 'finished', metrics, artefactDir, predictions });
      this.finished(experimentId, projectId, 'finished', null);
    } catch (err) {
      const cancelled = signal.aborted || err instanceof EmbeddingCancelledError;
      const message = cancelled ? 'Cancelled.' : isDiskFull(err) ? DISK_FULL_MESSAGE : (err as Error).message;
      this.experiments.finish(experimentId, { status: cancelled ? 'cancelled' : 'failed', error: message });
      this.finished(experimentId, projectId, cancelled ? 'cancelled' : 'failed', message);
    }
  }

  /** Frozen work: every photo of the snapshot through the backbone, cached by content. */
  private async embed(
    experimentId: Id,
    projectId: Id,
    prepared: PreparedBackbone,
    data: TrainingData,
    config: TrainConfig,
    signal: AbortSignal,
  ): Promise<EmbedRunResult> {
    const embedder = await Embedder.open(prepared);
    try {
      return await embedder.embed(
        data.items.map((item) => ({
          id: item.contentHash,
          contentHash: item.contentHash,
          read: async () => (await readRegularFile(this.images.absolutePath(item.imageId))).buffer,
        })),
        {
          views: config.augmentFlip || config.flipTestTime ? ['original', 'hflip'] : ['original'],
          signal,
          cache: new SqliteEmbeddingCache(this.ctx.db),
          onProgress: (p) =>
            this.progress({
              experimentId,
              projectId,
              phase: 'embedding',
              done: p.done,
              total: p.total,
              imagesPerSecond: p.imagesPerSecond,
              etaSeconds: p.etaSeconds,
            }),
        },
      );
    } finally {
      await embedder.close();
    }
  }

  private finished(experimentId: Id, projectId: Id, status: 'finished' | 'failed' | 'cancelled', error: string | null) {
    this.ctx.events.emit('training:finished', { experimentId, projectId, status, error });
  }
}
