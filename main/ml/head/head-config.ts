import { HeadTrainingError } from './head-errors';

/**
 * How the learning rate moves over epochs: held; cosine-annealed from the initial rate
 * towards zero at maxEpochs; or halved whenever validation loss stalls for a few epochs.
 */
export type LearningRateSchedule = 'constant' | 'cosine' | 'plateau';

export interface HeadConfig {
  seed: number;
  /** 0: a linear softmax classifier; otherwise one Dense+ReLU layer of this width before it. */
  hiddenUnits: number;
  /** Dropout rate on the classifier's input (the embedding, or the hidden layer's output). */
  dropout: number;
  /** Weight decay: l2 * sum of squared kernel weights is added to the training loss. */
  l2: number;
  /** Share of each target's probability mass spread evenly over all classes. */
  labelSmoothing: number;
  /** Weights each example by the inverse frequency of its class in the training set. */
  classWeighting: boolean;
  /** Adam's initial step size. */
  learningRate: number;
  schedule: LearningRateSchedule;
  maxEpochs: number;
  batchSize: number;
  /** Epochs without a better validation loss before stopping; the best epoch's weights are kept. */
  patience: number;
}

/**
 * Chosen on synthetic clusters (2-20 classes, 120-1280-d, 120-2000 examples, one imbalanced)
 * and MobileNetV2 embeddings of real photos: a linear head at Adam 0.1 matched a 256-unit
 * hidden layer in accuracy and log loss at a tenth of the time, and any L2 or label
 * smoothing made held-out log loss worse without raising accuracy.
 */
export const DEFAULT_HEAD_CONFIG: Readonly<HeadConfig> = Object.freeze({
  seed: 42,
  hiddenUnits: 0,
  dropout: 0.1,
  l2: 0,
  labelSmoothing: 0,
  classWeighting: true,
  learningRate: 0.1,
  schedule: 'plateau',
  maxEpochs: 100,
  batchSize: 32,
  patience: 10,
});

const SCHEDULES: readonly LearningRateSchedule[] = ['constant', 'cosine', 'plateau'];

/** Throws CONFIG_INVALID naming the first setting out of range. */
export function checkHeadConfig(config: HeadConfig): void {
  const fail = (what: string): never => {
    throw new HeadTrainingError('CONFIG_INVALID', `Training setting ${what}.`);
  };
  const isInt = (v: number, min: number) => Number.isInteger(v) && v >= min;
  if (!Number.isInteger(config.seed)) fail('"seed" must be a whole number');
  if (!isInt(config.hiddenUnits, 0)) fail('"hiddenUnits" must be a whole number, 0 or more');
  if (!(config.dropout >= 0 && config.dropout < 1)) fail('"dropout" must be from 0 up to (not including) 1');
  if (!(config.l2 >= 0 && Number.isFinite(config.l2))) fail('"l2" must be 0 or more');
  if (!(config.labelSmoothing >= 0 && config.labelSmoothing < 1)) fail('"labelSmoothing" must be from 0 up to 1');
  if (typeof config.classWeighting !== 'boolean') fail('"classWeighting" must be true or false');
  if (!(config.learningRate >= 0 && Number.isFinite(config.learningRate))) fail('"learningRate" must be 0 or more');
  if (!SCHEDULES.includes(config.schedule)) fail(`"schedule" must be one of ${SCHEDULES.join(', ')}`);
  if (!isInt(config.maxEpochs, 1)) fail('"maxEpochs" must be a whole number, 1 or more');
  if (!isInt(config.batchSize, 1)) fail('"batchSize" must be a whole number, 1 or more');
  if (!isInt(config.patience, 1)) fail('"patience" must be a whole number, 1 or more');
}
