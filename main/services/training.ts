import path from 'node:path';
import type { Id } from '../../common/contract';
import { DISK_FULL_MESSAGE, GraftError, isDiskFull } from '../../common/errors';
import type {
  EpochMetrics,
  FinalMetrics,
  TrainConfig,
  TrainingPreflight,
  TrainingProgress,
} from '../../common/training';
import { readRegularFile } from '../imaging/regular-file';
import { fitRunOodStatistics, writeOodStatistics } from '../ml/adaptation/ood-artefact';
import { type BackboneSpec, embeddingModelId, type PreparedBackbone } from '../ml/backbones/backbone-spec';
import { DEFAULT_BACKBONE_ID } from '../ml/backbones/bundled-backbones';
import { sha256 } from '../ml/backbones/prepare-backbone';
import { Embedder, EmbeddingCancelledError, type EmbedRunResult } from '../ml/embedding/embedder';
import { FineTuneError } from '../ml/finetune/finetune-error';
import { DEFAULT_HEAD_CONFIG, type HeadConfig } from '../ml/head/head-config';
import { predictWithHead } from '../ml/head/head-model';
import type { HeadEpochMetrics } from '../ml/head/train-head';
import { trainHeadInWorker } from '../ml/head/train-in-worker';
import type { Preprocessing, View } from '../ml/preprocess';
import type { BackboneService } from './backbones';
import type { ServiceContext } from './context';
import { SqliteEmbeddingCache } from './embedding-store';
import { evaluateSplit } from './evaluation';
import { FINE_TUNED_BACKBONE, writeRunArtefacts } from './experiment-artefacts';
import type { ExperimentStore, ItemPrediction } from './experiments';
import { fineTuneInWorker, type WorkerPhoto } from './fine-tune-in-worker';
import type { FineTuneOutcome } from './fine-tuning';
import type { ImageService } from './images';
import { requireProject } from './lookups';
import { unavailablePhotosWarning } from './photo-availability';
import type { SplitService } from './splits';
import { fineTuneSupportIn, loadTrainableBackbone } from './trainable-backbone';
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
  // Rates: those whose stage 2 came closest to stage 1 on hymenoptera (docs/BENCHMARKS.md,
  // fine-tuning stage 2). Blocks: 2 had the largest mean test gain over hymenoptera and PACS
  // photo of 1, 2 and 3 blocks, though every difference was within one photo (docs/BENCHMARKS.md,
  // fine-tuning vs feature extraction).
  unfreezeBlocks: 2,
  blockLearningRate: 1e-5,
  fineTuneHeadLearningRate: 1e-4,
  fineTuneEpochs: 10,
};

/** The views a feature-extraction run embeds under `config`: the mirror too when it trains or predicts on it. */
export function frozenViews(config: Pick<TrainConfig, 'augmentFlip' | 'flipTestTime'>): View[] {
  return config.augmentFlip || config.flipTestTime ? ['original', 'hflip'] : ['original'];
}

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

/** The head settings of a run (stage 1 of fine-tuning uses them too). */
export function headConfigOf(config: TrainConfig): HeadConfig {
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

/**
 * The name of a fine-tuning run's own backbone, as Evaluate, Export and the model card show it:
 * "fine-tuned" only where stage 2 was kept; where it was not, the weights are `name`'s own.
 */
export function fineTunedBackboneName(name: string, experimentId: Id, keptStage: 1 | 2): string {
  return keptStage === 2
    ? `${name}, fine-tuned (run ${experimentId})`
    : `${name} (unchanged: run ${experimentId}'s fine-tuning did not improve on it)`;
}

/**
 * The run's own backbone: the whole network kept in its artefact folder, described as
 * an imported ONNX backbone so Predict, Evaluate and export run it as they run any backbone.
 */
function fineTunedSpec(
  spec: BackboneSpec,
  pre: Preprocessing,
  experimentId: Id,
  artefactDir: string,
  outcome: FineTuneOutcome,
): BackboneSpec {
  const { bytes, tapTensor, tapLayout, featureDim } = outcome.backboneOnnx;
  const hash = sha256(bytes);
  const blocks = outcome.unfrozen.join(', ');
  return {
    ...spec,
    id: `${spec.id}-fine-tuned-${experimentId}`,
    version: hash.slice(0, 16),
    name: fineTunedBackboneName(spec.name, experimentId, outcome.keptStage),
    source: { kind: 'imported', path: path.join(artefactDir, FINE_TUNED_BACKBONE), sha256: hash, origin: 'tfjs' },
    inputSize: pre.inputSize,
    resize: { shortSide: pre.resizeShortSide, crop: 'centre' },
    normalisation: pre.normalisation,
    taps: [
      { node: tapTensor, reduce: tapLayout === 'NHWC' ? 'spatial-mean-nhwc' : 'spatial-mean-nchw', dim: featureDim },
    ],
    featureDim,
    notes: `${spec.notes} Fine-tuned by Graft: blocks ${blocks} trained (stage ${outcome.keptStage} kept).`,
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
    const { warnings, plannedSplits } = this.splits.whatIfAssigned(projectId, config.seed, () => ({
      warnings: trainingWarnings(this.ctx, projectId, collectTrainingData(this.ctx, projectId)),
      plannedSplits: unassigned > 0 ? this.splits.summary(projectId).perClass : null,
    }));
    const unavailable = await unavailablePhotosWarning(this.ctx, projectId);
    if (unavailable) warnings.push(unavailable);
    if (unassigned > 0) {
      warnings.push({
        level: 'info',
        code: 'NO_SPLIT',
        message: `${unassigned} photos have no split yet; training gives them one (stratified, seed ${config.seed}).`,
      });
    }
    return {
      warnings,
      canTrain: !warnings.some((w) => w.level === 'error'),
      defaults: DEFAULT_TRAIN_CONFIG,
      plannedSplits,
    };
  }

  start(projectId: Id, partial?: Partial<TrainConfig>): { experimentId: Id; done: Promise<void> } {
    requireProject(this.ctx.db, projectId);
    const config = mergeConfig(partial);
    this.requireTechnique(config);
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

  /**
   * The backbone exists and, for fine-tuning, can be fine-tuned with as many blocks as asked.
   * @throws GraftError NOT_FOUND (backbone), BAD_REQUEST saying why a backbone's top cannot be trained
   */
  private requireTechnique(config: TrainConfig): void {
    const spec = this.backbones.spec(config.backboneId);
    if (config.technique !== 'fine-tune') return;
    const support = fineTuneSupportIn(spec, this.ctx.paths.root);
    if (!support.supported)
      throw new GraftError('BAD_REQUEST', support.reason ?? 'This backbone cannot be fine-tuned.');
    if (support.maxBlocks !== null && config.unfreezeBlocks > support.maxBlocks) {
      throw new GraftError(
        'BAD_REQUEST',
        `${spec.name} can retrain at most ${support.maxBlocks} block${support.maxBlocks === 1 ? '' : 's'}; ${config.unfreezeBlocks} were asked. ${support.limit ?? ''}`.trim(),
      );
    }
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

  private evaluating(experimentId: Id, projectId: Id): void {
    this.progress({
      experimentId,
      projectId,
      phase: 'evaluating',
      done: 0,
      total: 1,
      imagesPerSecond: null,
      etaSeconds: null,
    });
  }

  /** One epoch kept and announced; validation figures mirror-averaged where the run averages. */
  private recordEpoch(
    experimentId: Id,
    projectId: Id,
    m: Omit<HeadEpochMetrics, 'learningRate'>,
    learningRate: number,
    stage?: 1 | 2,
  ): void {
    const epoch: EpochMetrics = {
      epoch: m.epoch,
      ...(stage ? { stage } : {}),
      trainLoss: m.trainLoss,
      trainAccuracy: m.trainAccuracy,
      valLoss: m.valLossFlip ?? m.valLoss,
      valAccuracy: m.valAccuracyFlip ?? m.valAccuracy,
      learningRate,
      seconds: m.seconds,
    };
    this.experiments.addEpoch(experimentId, epoch);
    this.ctx.events.emit('training:epoch', { experimentId, projectId, epoch });
  }

  private async run(
    experimentId: Id,
    projectId: Id,
    config: TrainConfig,
    data: TrainingData,
    signal: AbortSignal,
  ): Promise<void> {
    try {
      if (config.technique === 'fine-tune') {
        await this.runFineTune(experimentId, projectId, config, data, signal);
        return;
      }
      const prepared = await this.backbones.prepare(config.backboneId);
      const embedded = await this.embed(experimentId, projectId, prepared, data, config, signal);
      const vectors = new Map<string, EmbeddedItem['vectors']>();
      for (const r of embedded.results) if (r.ok) vectors.set(r.id, r.vectors);
      const dataset = buildHeadDataset(data, vectors, prepared.featureDim, config);
      // Fitted before training: the worker takes the embeddings' buffers.
      const ood = fitRunOodStatistics(dataset.head, prepared.featureDim, data.snapshot.classes.length);

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
        onEpoch: (m) => this.recordEpoch(experimentId, projectId, m, m.learningRate),
      });

      this.evaluating(experimentId, projectId);
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
      if (ood) await writeOodStatistics(artefactDir, ood);
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
      const unsupported = err instanceof FineTuneError && err.code === 'FINETUNE_UNSUPPORTED';
      const message = cancelled
        ? 'Cancelled.'
        : isDiskFull(err)
          ? DISK_FULL_MESSAGE
          : unsupported
            ? `This backbone cannot be fine-tuned: ${(err as Error).message}`
            : (err as Error).message;
      this.experiments.finish(experimentId, { status: cancelled ? 'cancelled' : 'failed', error: message });
      this.finished(experimentId, projectId, cancelled ? 'cancelled' : 'failed', message);
    }
  }

  /** Both fine-tuning stages (fine-tuning.ts), then the same evaluation and records as feature extraction. */
  private async runFineTune(
    experimentId: Id,
    projectId: Id,
    config: TrainConfig,
    data: TrainingData,
    signal: AbortSignal,
  ): Promise<void> {
    const spec = this.backbones.spec(config.backboneId);
    const backbone = await loadTrainableBackbone(spec, this.ctx.paths.root);
    const classIndex = new Map(data.snapshot.classes.map((c, i) => [c.id, i]));
    const photos: WorkerPhoto[] = data.items.map((item) => ({
      key: item.contentHash,
      path: this.images.absolutePath(item.imageId),
      label: classIndex.get(item.classId) as number,
      split: item.split,
    }));
    let lastStage1 = 0;
    const start = {
      backbone,
      photos,
      classCount: classIndex.size,
      config,
      headConfig: headConfigOf(config),
      cacheDir: path.join(this.ctx.paths.root, 'cut-activations'),
      modelKey: embeddingModelId(spec),
    };
    const outcome = await fineTuneInWorker(start, {
      signal,
      onProgress: (p) => this.progress({ experimentId, projectId, ...p }),
      onEpoch: (stage, m) => {
        if (stage === 1) lastStage1 = m.epoch;
        const rate = 'learningRate' in m ? m.learningRate : config.fineTuneHeadLearningRate;
        const numbered = { ...m, epoch: stage === 1 ? m.epoch : lastStage1 + m.epoch };
        this.recordEpoch(experimentId, projectId, numbered, rate, stage);
      },
    });
    this.evaluating(experimentId, projectId);
    const classIds = data.snapshot.classes.map((c) => c.id);
    const predictions: ItemPrediction[] = [];
    const held = (split: 'val' | 'test', part: FineTuneOutcome['val']) => {
      const byKey = new Map(data.items.filter((i) => i.split === split).map((i) => [i.contentHash, i]));
      const items = part.keys.map((k) => byKey.get(k) as (typeof data.items)[number]);
      const y = Int32Array.from(items, (i) => classIndex.get(i.classId) as number);
      return items.length > 0 ? evaluateSplit(split, items, y, part.probabilities, classIds, predictions) : null;
    };
    const val = held('val', outcome.val);
    const test = held('test', outcome.test);
    const artefactDir = path.join(this.ctx.paths.root, 'experiments', String(experimentId));
    await writeRunArtefacts(artefactDir, {
      config,
      snapshot: data.snapshot,
      backbone: fineTunedSpec(
        spec,
        backbone.preprocessing,
        experimentId,
        path.relative(this.ctx.paths.root, artefactDir),
        outcome,
      ),
      head: outcome.head,
      top: outcome.topWeights,
      backboneOnnx: outcome.backboneOnnx.bytes,
    });
    if (outcome.ood) await writeOodStatistics(artefactDir, outcome.ood);
    const stage1Epochs = outcome.stage1.epochs.length;
    const metrics: FinalMetrics = {
      bestEpoch: outcome.keptStage === 1 ? outcome.stage1.bestEpoch : stage1Epochs + outcome.stage2.bestEpoch,
      stoppedEarly: outcome.stage2.stoppedEarly,
      val,
      test,
      embeddedImages: outcome.computedPhotos,
      cachedImages: outcome.cachedPhotos,
      skippedImages: outcome.skipped.length,
      skipped: namedFailures(
        data,
        outcome.skipped.map((s) => ({ id: s.key, message: s.message })),
      ),
      embeddingImagesPerSecond: outcome.photosPerSecond,
      backend: outcome.backend,
      fineTune: {
        unfrozenBlocks: outcome.unfrozen,
        cutLayer: outcome.cutLayer,
        keptStage: outcome.keptStage,
        stage1BestEpoch: outcome.stage1.bestEpoch,
        stage1Epochs,
        stage2BestEpoch: outcome.stage2.bestEpoch,
        stage2Epochs: outcome.stage2.epochs.length,
      },
    };
    this.experiments.finish(experimentId, { status: 'finished', metrics, artefactDir, predictions });
    this.finished(experimentId, projectId, 'finished', null);
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
          views: frozenViews(config),
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
