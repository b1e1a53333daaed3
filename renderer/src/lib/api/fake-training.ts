// The training and experiment calls of the fake Graft: a deterministic run that streams the
// same events as the real one (embedding, epochs, finished) and keeps an experiment record
// with metrics, predictions and a confusion matrix that agree with each other.

import type { CallName, Calls, ClassInfo, EventName, Events, Id, ImageRow, Split } from '../../../../common/contract';
import { GraftError } from '../../../../common/errors';
import { compareExperiments } from '../../../../common/experiment-comparison';
import type {
  BackboneInfo,
  ClassSnapshot,
  EpochMetrics,
  ExperimentDetail,
  ExperimentSummary,
  FinalMetrics,
  FineTuneMetrics,
  Prediction,
  SplitEvaluation,
  TrainConfig,
  TrainingWarning,
} from '../../../../common/training';

export type FakeHandlers<N extends CallName> = { [K in N]: (args: Calls[K]['args']) => Calls[K]['result'] };

type TrainingCall =
  | 'training:preflight'
  | 'training:start'
  | 'training:cancel'
  | 'experiments:list'
  | 'experiments:get'
  | 'experiments:rename'
  | 'experiments:annotate'
  | 'experiments:delete'
  | 'experiments:compare'
  | 'experiments:predictions'
  | 'experiments:mistakes';

export interface FakeTrainingDeps {
  requireProject(projectId: Id): void;
  /** A backbone Graft knows (bundled or imported). */
  backbone(backboneId: string): BackboneInfo | undefined;
  /** The project's photos as live objects: a run gives a split to labelled photos without one. */
  images(projectId: Id): Omit<ImageRow, 'newDomain'>[];
  /** The project's classes in their order. */
  classes(projectId: Id): Omit<ClassInfo, 'count'>[];
  dispatch<E extends EventName>(event: E, payload: Events[E]): void;
  now(): string;
  newId(): Id;
  /** Milliseconds between two steps of a run (0: as fast as timers allow). */
  stepMs: number;
  /** When set, every run fails with this message after embedding. */
  failure: string | null;
}

export const FAKE_DEFAULT_CONFIG: TrainConfig = {
  backboneId: 'fake-mobilenet',
  technique: 'feature-extraction',
  seed: 42,
  hiddenUnits: 0,
  dropout: 0.2,
  l2: 1e-4,
  labelSmoothing: 0.1,
  classWeighting: true,
  learningRate: 1e-3,
  schedule: 'plateau',
  maxEpochs: 100,
  batchSize: 32,
  patience: 10,
  augmentFlip: true,
  flipTestTime: true,
  unfreezeBlocks: 2,
  blockLearningRate: 1e-5,
  fineTuneHeadLearningRate: 1e-4,
  fineTuneEpochs: 10,
};

/** A fake run stops "early" after this many epochs. */
export const FAKE_EPOCHS = 6;
const MIN_PHOTOS_PER_CLASS = 5;
const IMBALANCE_RATIO = 3;
const EMBEDDING_STEPS = 3;
const IMAGES_PER_SECOND = 40;

interface Item {
  imageId: Id;
  name: string;
  classId: Id;
  split: Split;
}

interface FakeExperiment extends ExperimentDetail {
  predictions: Prediction[];
}

const total = (c: ClassSnapshot) => c.counts.train + c.counts.val + c.counts.test;
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

export function fakeHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0').repeat(8);
}

function epochMetrics(epoch: number, config: TrainConfig): EpochMetrics {
  const decay = 0.7 ** (epoch - 1);
  return {
    epoch,
    trainLoss: 0.15 + 1.1 * decay,
    trainAccuracy: 0.97 - 0.5 * decay,
    valLoss: 0.25 + 1.0 * decay,
    valAccuracy: 0.9 - 0.45 * decay,
    learningRate: config.learningRate,
    seconds: 0.2,
  };
}

/**
 * A fine-tuning run's stages as the fake reports them: the run's epochs are stage 1, then none of
 * stage 2 counts; an odd seed keeps stage 2, an even one (the default 42) keeps stage 1.
 */
function fakeFineTune(config: TrainConfig, epochs: number): FineTuneMetrics | undefined {
  if (config.technique !== 'fine-tune') return undefined;
  return {
    unfrozenBlocks: Array.from({ length: config.unfreezeBlocks }, (_, i) => 16 - config.unfreezeBlocks + 1 + i),
    cutLayer: 'block_13_expand_relu',
    keptStage: config.seed % 2 === 1 ? 2 : 1,
    stage1BestEpoch: epochs,
    stage1Epochs: epochs,
    stage2BestEpoch: 1,
    stage2Epochs: config.fineTuneEpochs,
  };
}

/** Every fourth photo (shifted by the seed) is mistaken for the next class. */
function predict(items: Item[], classIds: Id[], seed: number): Prediction[] {
  return items.map((item, k) => {
    const t = classIds.indexOf(item.classId);
    const p = (k + seed) % 4 === 0 ? (t + 1) % classIds.length : t;
    const confidence = 0.5 + ((item.imageId * 37 + seed) % 45) / 100;
    const rest = (1 - confidence) / Math.max(1, classIds.length - 1);
    return {
      imageId: item.imageId,
      name: item.name,
      split: item.split,
      trueClassId: item.classId,
      predictedClassId: classIds[p],
      confidence,
      probabilities: classIds.map((_, i) => (i === p ? confidence : rest)),
    };
  });
}

function evaluate(split: Split, predictions: Prediction[], classIds: Id[]): SplitEvaluation | null {
  const own = predictions.filter((p) => p.split === split);
  if (own.length === 0) return null;
  const confusion = classIds.map(() => classIds.map(() => 0));
  for (const p of own) confusion[classIds.indexOf(p.trueClassId)][classIds.indexOf(p.predictedClassId)]++;
  const perClass = classIds.map((classId, i) => {
    const support = sum(confusion[i]);
    const predicted = sum(confusion.map((row) => row[i]));
    if (support === 0) return { classId, precision: null, recall: null, f1: null, support };
    const precision = predicted ? confusion[i][i] / predicted : 0;
    const recall = confusion[i][i] / support;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { classId, precision, recall, f1, support };
  });
  return {
    split,
    accuracy: sum(classIds.map((_, i) => confusion[i][i])) / own.length,
    macroF1: sum(perClass.map((c) => c.f1 ?? 0)) / Math.max(1, perClass.filter((c) => c.f1 !== null).length),
    logLoss:
      -sum(own.map((p) => Math.log(Math.max(1e-7, p.probabilities[classIds.indexOf(p.trueClassId)])))) / own.length,
    perClass,
    confusion,
    count: own.length,
  };
}

function summaryOf({ config: _c, snapshot: _s, epochs: _e, metrics: _m, predictions: _p, ...summary }: FakeExperiment) {
  return summary satisfies ExperimentSummary;
}

function detailOf({ predictions: _, ...detail }: FakeExperiment): ExperimentDetail {
  return detail;
}

export function createFakeTraining(deps: FakeTrainingDeps): FakeHandlers<TrainingCall> {
  const experiments: FakeExperiment[] = [];
  const cancelled = new Set<Id>();

  function experiment(experimentId: Id): FakeExperiment {
    const found = experiments.find((e) => e.id === experimentId);
    if (!found) throw new GraftError('NOT_FOUND', `Experiment ${experimentId} does not exist.`);
    return found;
  }

  function mergeConfig(partial: Partial<TrainConfig> = {}): TrainConfig {
    const config = { ...FAKE_DEFAULT_CONFIG, ...partial };
    if (!deps.backbone(config.backboneId)) {
      throw new GraftError('NOT_FOUND', `There is no backbone “${config.backboneId}”.`);
    }
    return config;
  }

  const labelled = (projectId: Id) => deps.images(projectId).filter((i) => i.status === 'ok' && i.classId !== null);

  /** The split training gives each labelled photo that has none: stratified, in id order. */
  function plannedSplits(projectId: Id): Map<Id, Split> {
    const open = labelled(projectId).filter((i) => i.split === null);
    const planned = new Map<Id, Split>();
    for (const c of deps.classes(projectId)) {
      open
        .filter((i) => i.classId === c.id)
        .forEach((image, k) => {
          planned.set(image.id, k % 5 === 1 ? 'val' : k % 5 === 3 ? 'test' : 'train');
        });
    }
    return planned;
  }

  /** What a run would see: photos without a split count with the split training gives them. */
  function collect(projectId: Id) {
    const planned = plannedSplits(projectId);
    const items: Item[] = labelled(projectId).map((i) => ({
      imageId: i.id,
      name: i.name,
      classId: i.classId as Id,
      split: i.split ?? (planned.get(i.id) as Split),
    }));
    const classes: ClassSnapshot[] = deps
      .classes(projectId)
      .map(({ id, name, colour }) => {
        const own = items.filter((i) => i.classId === id);
        const count = (split: Split) => own.filter((i) => i.split === split).length;
        return { id, name, colour, counts: { train: count('train'), val: count('val'), test: count('test') } };
      })
      .filter((c) => total(c) > 0);
    const hash = fakeHash(items.map((i) => `${i.imageId}\t${i.classId}\t${i.split}`).join('\n'));
    return { items, snapshot: { classes, hash, imageCount: items.length } };
  }

  /** The real service's checks, made on the photos as training would split them. */
  function warnings(projectId: Id, seed: number): { warnings: TrainingWarning[]; blocking: boolean } {
    const { classes } = collect(projectId).snapshot;
    const list: TrainingWarning[] = [];
    if (classes.length < 2) {
      list.push({
        level: 'error',
        code: 'TOO_FEW_CLASSES',
        message: 'Label photos of at least two classes to train a classifier.',
      });
    }
    for (const c of classes) {
      if (c.counts.train === 0) {
        list.push({
          level: 'error',
          code: 'TOO_FEW_PHOTOS',
          message: `“${c.name}” has no photos in the training split.`,
        });
      } else if (total(c) < MIN_PHOTOS_PER_CLASS) {
        list.push({
          level: 'warning',
          code: 'TOO_FEW_PHOTOS',
          message: `“${c.name}” has only ${total(c)} photos; ${MIN_PHOTOS_PER_CLASS * 4} or more make it much more reliable.`,
        });
      }
    }
    if (classes.length >= 2 && classes.every((c) => c.counts.val === 0)) {
      list.push({
        level: 'error',
        code: 'NO_VALIDATION',
        message:
          'No labelled photo is in the validation split, so the model cannot be evaluated. Generate a split first.',
      });
    }
    const sizes = classes.map(total);
    if (sizes.length >= 2 && Math.max(...sizes) / Math.min(...sizes) > IMBALANCE_RATIO) {
      const big = classes[sizes.indexOf(Math.max(...sizes))];
      const small = classes[sizes.indexOf(Math.min(...sizes))];
      list.push({
        level: 'warning',
        code: 'IMBALANCED',
        message: `Classes are imbalanced: “${big.name}” has ${total(big)} photos, “${small.name}” ${total(small)}.`,
      });
    }
    const unlabelled = deps.images(projectId).filter((i) => i.status === 'ok' && i.classId === null).length;
    if (unlabelled > 0) {
      list.push({ level: 'info', code: 'UNLABELLED', message: `${unlabelled} unlabelled photos will not be used.` });
    }
    const unassigned = labelled(projectId).filter((i) => i.split === null).length;
    if (unassigned > 0) {
      list.push({
        level: 'info',
        code: 'NO_SPLIT',
        message: `${unassigned} photos have no split yet; training gives them one (stratified, seed ${seed}).`,
      });
    }
    return { warnings: list, blocking: list.some((w) => w.level === 'error') };
  }

  function assignMissingSplits(projectId: Id): void {
    const planned = plannedSplits(projectId);
    if (planned.size === 0) return;
    for (const image of labelled(projectId)) image.split ??= planned.get(image.id) ?? null;
    deps.dispatch('labels:changed', { projectId });
  }

  function run(exp: FakeExperiment, items: Item[]): void {
    const { id: experimentId, projectId, config } = exp;
    const ids = { experimentId, projectId };
    const epochs = Math.min(config.maxEpochs, FAKE_EPOCHS);
    const steps: (() => void)[] = [];
    for (let s = 0; s <= EMBEDDING_STEPS; s++) {
      const done = Math.round((items.length * s) / EMBEDDING_STEPS);
      steps.push(() =>
        deps.dispatch('training:progress', {
          ...ids,
          phase: 'embedding',
          done,
          total: items.length,
          imagesPerSecond: IMAGES_PER_SECOND,
          etaSeconds: (items.length - done) / IMAGES_PER_SECOND,
        }),
      );
    }
    if (deps.failure) {
      const error = deps.failure;
      steps.push(() => finish(exp, { status: 'failed', error }));
    } else {
      for (let epoch = 1; epoch <= epochs; epoch++) {
        steps.push(() => {
          const metrics = epochMetrics(epoch, config);
          exp.epochs.push(metrics);
          deps.dispatch('training:epoch', { ...ids, epoch: metrics });
          deps.dispatch('training:progress', {
            ...ids,
            phase: 'training',
            done: epoch,
            total: config.maxEpochs,
            imagesPerSecond: null,
            etaSeconds: null,
          });
        });
      }
      steps.push(() =>
        deps.dispatch('training:progress', {
          ...ids,
          phase: 'evaluating',
          done: 0,
          total: 1,
          imagesPerSecond: null,
          etaSeconds: null,
        }),
      );
      steps.push(() => {
        const classIds = exp.snapshot.classes.map((c) => c.id);
        exp.predictions = predict(items, classIds, config.seed).filter((p) => p.split !== 'train');
        exp.predictions.sort((a, b) => b.confidence - a.confidence);
        const metrics: FinalMetrics = {
          bestEpoch: epochs,
          stoppedEarly: config.maxEpochs > epochs,
          val: evaluate('val', exp.predictions, classIds),
          test: evaluate('test', exp.predictions, classIds),
          embeddedImages: items.length,
          cachedImages: 0,
          skippedImages: 0,
          embeddingImagesPerSecond: IMAGES_PER_SECOND,
          backend: 'wasm',
          fineTune: fakeFineTune(config, epochs),
        };
        finish(exp, { status: 'finished', metrics });
      });
    }
    const step = (index: number) => {
      if (cancelled.has(experimentId)) return finish(exp, { status: 'cancelled', error: 'Cancelled.' });
      steps[index]();
      if (index + 1 < steps.length) setTimeout(() => step(index + 1), deps.stepMs);
    };
    setTimeout(() => step(0), deps.stepMs);
  }

  function finish(
    exp: FakeExperiment,
    outcome: { status: 'finished' | 'failed' | 'cancelled'; metrics?: FinalMetrics; error?: string },
  ): void {
    exp.status = outcome.status;
    exp.metrics = outcome.metrics ?? null;
    exp.error = outcome.error ?? null;
    exp.valAccuracy = exp.metrics?.val?.accuracy ?? null;
    exp.keptStage = exp.metrics?.fineTune?.keptStage ?? null;
    exp.finishedAt = deps.now();
    exp.durationSeconds = (Date.parse(exp.finishedAt) - Date.parse(exp.startedAt)) / 1000;
    deps.dispatch('training:finished', {
      experimentId: exp.id,
      projectId: exp.projectId,
      status: exp.status,
      error: exp.error,
    });
  }

  return {
    'training:preflight': ({ projectId, config }) => {
      deps.requireProject(projectId);
      const merged = mergeConfig(config);
      const { warnings: list, blocking } = warnings(projectId, merged.seed);
      const plannedCounts =
        plannedSplits(projectId).size > 0
          ? collect(projectId).snapshot.classes.map((c) => ({ classId: c.id, ...c.counts }))
          : null;
      return { warnings: list, canTrain: !blocking, defaults: FAKE_DEFAULT_CONFIG, plannedSplits: plannedCounts };
    },
    'training:start': ({ projectId, config: partial }) => {
      deps.requireProject(projectId);
      const config = mergeConfig(partial);
      if (experiments.some((e) => e.projectId === projectId && e.status === 'running')) {
        throw new GraftError('JOB_RUNNING', 'A training run is already in progress for this project.');
      }
      assignMissingSplits(projectId);
      const errors = warnings(projectId, config.seed).warnings.filter((w) => w.level === 'error');
      if (errors.length > 0) throw new GraftError('BAD_REQUEST', errors.map((e) => e.message).join(' '));
      const { items, snapshot } = collect(projectId);
      const exp: FakeExperiment = {
        id: deps.newId(),
        projectId,
        name: `Run ${experiments.filter((e) => e.projectId === projectId).length + 1}`,
        note: '',
        status: 'running',
        backboneId: config.backboneId,
        technique: config.technique,
        startedAt: deps.now(),
        finishedAt: null,
        durationSeconds: null,
        valAccuracy: null,
        keptStage: null,
        error: null,
        config,
        snapshot,
        epochs: [],
        metrics: null,
        predictions: [],
      };
      experiments.push(exp);
      run(exp, items);
      return { experimentId: exp.id };
    },
    'training:cancel': ({ experimentId }) => {
      const running = experiment(experimentId).status === 'running';
      if (running) cancelled.add(experimentId);
      return { cancelling: running };
    },

    'experiments:list': ({ projectId }) =>
      experiments
        .filter((e) => e.projectId === projectId)
        .sort((a, b) => b.id - a.id)
        .map(summaryOf),
    'experiments:get': ({ experimentId }) => detailOf(experiment(experimentId)),
    'experiments:rename': ({ experimentId, name }) => {
      const exp = experiment(experimentId);
      const clean = name.trim();
      if (!clean) throw new GraftError('BAD_REQUEST', 'An experiment needs a name.');
      const name120 = clean.slice(0, 120);
      if (experiments.some((e) => e.projectId === exp.projectId && e.id !== exp.id && e.name === name120)) {
        throw new GraftError('NAME_TAKEN', `Another run is already called “${name120}”.`);
      }
      exp.name = name120;
      return summaryOf(exp);
    },
    'experiments:annotate': ({ experimentId, note }) => {
      const exp = experiment(experimentId);
      exp.note = note.slice(0, 5000);
      return summaryOf(exp);
    },
    'experiments:delete': ({ experimentId }) => {
      const exp = experiment(experimentId);
      if (exp.status === 'running') throw new GraftError('JOB_RUNNING', 'Cancel the run before deleting it.');
      experiments.splice(experiments.indexOf(exp), 1);
      return { deleted: true };
    },
    'experiments:compare': ({ a, b }) =>
      compareExperiments(detailOf(experiment(a)), detailOf(experiment(b)), {
        a: experiment(a).predictions,
        b: experiment(b).predictions,
      }),
    'experiments:predictions': ({ experimentId, split, trueClassId, predictedClassId }) =>
      experiment(experimentId).predictions.filter(
        (p) =>
          (split === undefined || p.split === split) &&
          (trueClassId === undefined || p.trueClassId === trueClassId) &&
          (predictedClassId === undefined || p.predictedClassId === predictedClassId),
      ),
    'experiments:mistakes': ({ experimentId, split, limit = 24 }) =>
      experiment(experimentId)
        .predictions.filter((p) => p.predictedClassId !== p.trueClassId && (split === undefined || p.split === split))
        .slice(0, limit),
  };
}
