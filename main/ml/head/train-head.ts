// The head's training loop: seeded shuffling, initialisation and dropout; class-weighted,
// label-smoothed cross-entropy plus L2; Adam on a learning-rate schedule; early stopping on
// validation loss that keeps the best epoch's weights. Same seed and data, same numbers.
import * as tf from '@tensorflow/tfjs';
import { nextSeed, permutation, seededRandom } from '../../../common/seeded-random';
import { accuracy, argmaxRows, logLoss } from '../metrics';
import { initTfjs, type TfjsBackendName } from '../tfjs-backend';
import { checkHeadConfig, DEFAULT_HEAD_CONFIG, type HeadConfig } from './head-config';
import { checkHeadDataset, type HeadDataset, inverseFrequencyWeights, rows } from './head-dataset';
import { HeadTrainingError } from './head-errors';
import {
  averageProbabilities,
  buildHead,
  type HeadArtifacts,
  type HeadNetwork,
  predictProbabilities,
  saveHead,
  trainingLogits,
} from './head-model';
import { createScheduler, MIN_IMPROVEMENT } from './lr-schedule';
import { ScheduledAdam } from './scheduled-adam';

export interface HeadEpochMetrics {
  /** 1-based. */
  epoch: number;
  /** Mean training objective over the epoch's batches (smoothed, class-weighted; without L2). */
  trainLoss: number;
  /** Accuracy of those same training-mode (dropout) predictions. */
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
  /** With mirror-image averaging; null without `val.xFlip`. */
  valLossFlip: number | null;
  valAccuracyFlip: number | null;
  learningRate: number;
  seconds: number;
}

export interface TrainHeadOptions {
  onEpoch?: (metrics: HeadEpochMetrics) => void;
  signal?: AbortSignal;
}

export interface TrainHeadResult {
  backend: TfjsBackendName;
  config: HeadConfig;
  epochs: HeadEpochMetrics[];
  /** The epoch whose weights were kept: lowest validation loss (mirror-averaged when given). */
  bestEpoch: number;
  stoppedEarly: boolean;
  artifacts: HeadArtifacts;
  /** The kept weights' validation probabilities, n * classCount, mirror-averaged when given. */
  valProbabilities: Float32Array;
}

interface EpochTotals {
  loss: number;
  correct: number;
}

export async function trainHead(
  data: HeadDataset,
  settings: Partial<HeadConfig> = {},
  options: TrainHeadOptions = {},
): Promise<TrainHeadResult> {
  const config: HeadConfig = { ...DEFAULT_HEAD_CONFIG, ...settings };
  checkHeadConfig(config);
  checkHeadDataset(data);
  const { backend } = await initTfjs();
  try {
    return { backend, ...(await runTraining(data, config, options)) };
  } catch (err) {
    if (err instanceof HeadTrainingError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new HeadTrainingError('TRAINING_FAILED', `Training failed: ${message}`);
  }
}

async function runTraining(
  data: HeadDataset,
  config: HeadConfig,
  { onEpoch, signal }: TrainHeadOptions,
): Promise<Omit<TrainHeadResult, 'backend'>> {
  const random = seededRandom(config.seed);
  const net = buildHead(data, config, random);
  const optimizer = new ScheduledAdam(config.learningRate);
  const scheduler = createScheduler(config);
  const classWeights = config.classWeighting ? inverseFrequencyWeights(data.train.y, data.classCount) : null;
  const epochs: HeadEpochMetrics[] = [];
  let best: { epoch: number; loss: number; weights: tf.Tensor[]; probabilities: Float32Array } | null = null;
  try {
    for (let epoch = 1; epoch <= config.maxEpochs; epoch++) {
      const started = performance.now();
      const learningRate = scheduler.rate;
      optimizer.setLearningRate(learningRate);
      const totals = await trainEpoch(net, optimizer, data, config, classWeights, random, signal);
      const val = evaluate(net.model, data);
      const metrics: HeadEpochMetrics = {
        epoch,
        trainLoss: totals.loss / rows(data.train),
        trainAccuracy: totals.correct / rows(data.train),
        ...val.metrics,
        learningRate,
        seconds: (performance.now() - started) / 1000,
      };
      epochs.push(metrics);
      const improved = best === null || val.monitored < best.loss - MIN_IMPROVEMENT;
      if (improved) {
        if (best) tf.dispose(best.weights);
        best = {
          epoch,
          loss: val.monitored,
          weights: net.model.getWeights().map((w) => w.clone()),
          probabilities: val.probabilities,
        };
      }
      onEpoch?.(metrics);
      if (best && epoch - best.epoch >= config.patience) break;
      scheduler.endEpoch(improved);
    }
    if (!best) throw new Error('no epoch ran');
    net.model.setWeights(best.weights);
    return {
      config,
      epochs,
      bestEpoch: best.epoch,
      stoppedEarly: epochs.length < config.maxEpochs,
      artifacts: await saveHead(net.model),
      valProbabilities: best.probabilities,
    };
  } finally {
    if (best) tf.dispose(best.weights);
    optimizer.dispose();
    net.model.dispose();
  }
}

async function trainEpoch(
  net: HeadNetwork,
  optimizer: ScheduledAdam,
  data: HeadDataset,
  config: HeadConfig,
  classWeights: Float32Array | null,
  random: () => number,
  signal: AbortSignal | undefined,
): Promise<EpochTotals> {
  const { y } = data.train;
  const n = rows(data.train);
  const order = permutation(n, random);
  const totals: EpochTotals = { loss: 0, correct: 0 };
  for (let start = 0; start < n; start += config.batchSize) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (signal?.aborted) throw new HeadTrainingError('CANCELLED', 'Training was cancelled.');
    const batch = order.subarray(start, Math.min(start + config.batchSize, n));
    const dropoutSeed = nextSeed(random);
    const { loss, logits } = tf.tidy(() =>
      trainStep(net, optimizer, config.l2, dropoutSeed, batchTensors(data, batch, classWeights, config.labelSmoothing)),
    );
    totals.loss += loss.dataSync()[0] * batch.length;
    const predicted = argmaxRows(logits.dataSync() as Float32Array, data.classCount);
    batch.forEach((row, i) => {
      if (predicted[i] === y[row]) totals.correct++;
    });
    tf.dispose([loss, logits]);
  }
  return totals;
}

interface Batch {
  x: tf.Tensor2D;
  /** Label-smoothed one-hot rows. */
  targets: tf.Tensor2D;
  /** Each example's class weight. */
  weights: tf.Tensor1D;
}

function batchTensors(
  data: HeadDataset,
  batch: Int32Array,
  classWeights: Float32Array | null,
  smoothing: number,
): Batch {
  const { dim, classCount } = data;
  const { x, y } = data.train;
  const b = batch.length;
  const batchX = new Float32Array(b * dim);
  const targets = new Float32Array(b * classCount).fill(smoothing / classCount);
  const weights = new Float32Array(b);
  batch.forEach((row, i) => {
    batchX.set(x.subarray(row * dim, (row + 1) * dim), i * dim);
    targets[i * classCount + y[row]] += 1 - smoothing;
    weights[i] = classWeights ? classWeights[y[row]] : 1;
  });
  return {
    x: tf.tensor2d(batchX, [b, dim]),
    targets: tf.tensor2d(targets, [b, classCount]),
    weights: tf.tensor1d(weights),
  };
}

/** One Adam step; returns the batch's data loss and logits, kept out of any enclosing tidy. */
function trainStep(
  net: HeadNetwork,
  optimizer: ScheduledAdam,
  l2: number,
  dropoutSeed: number,
  batch: Batch,
): { loss: tf.Scalar; logits: tf.Tensor2D } {
  const kept: { loss?: tf.Scalar; logits?: tf.Tensor2D } = {};
  optimizer.minimize(() => {
    const logits = trainingLogits(net, batch.x, dropoutSeed);
    const perExample = tf.neg(tf.sum(tf.mul(batch.targets, tf.logSoftmax(logits)), 1));
    const loss = tf.mean(tf.mul(perExample, batch.weights)) as tf.Scalar;
    // minimize() disposes the tensor returned, which may be `loss` itself.
    kept.loss = tf.keep(tf.clone(loss));
    kept.logits = tf.keep(logits);
    return l2 > 0 ? tf.add(loss, tf.mul(l2, sumOfSquaredKernels(net))) : loss;
  });
  return { loss: kept.loss!, logits: kept.logits! };
}

function sumOfSquaredKernels(net: HeadNetwork): tf.Scalar {
  const kernels = [net.hidden, net.logits]
    .flatMap((layer) => layer?.trainableWeights ?? [])
    .filter((w) => w.originalName.endsWith('/kernel'))
    .map((w) => tf.sum(tf.square(w.read())));
  return tf.addN(kernels) as tf.Scalar;
}

interface ValidationResult {
  metrics: Pick<HeadEpochMetrics, 'valLoss' | 'valAccuracy' | 'valLossFlip' | 'valAccuracyFlip'>;
  /** The loss early stopping watches. */
  monitored: number;
  probabilities: Float32Array;
}

function evaluate(model: tf.LayersModel, data: HeadDataset): ValidationResult {
  const { x, y, xFlip } = data.val;
  const n = rows(data.val);
  const k = data.classCount;
  const plain = predictProbabilities(model, x, n);
  const valLoss = logLoss(y, plain, k);
  const valAccuracy = accuracy(y, plain, k);
  if (!xFlip) {
    return {
      metrics: { valLoss, valAccuracy, valLossFlip: null, valAccuracyFlip: null },
      monitored: valLoss,
      probabilities: plain,
    };
  }
  const averaged = averageProbabilities(plain, predictProbabilities(model, xFlip, n));
  const valLossFlip = logLoss(y, averaged, k);
  return {
    metrics: { valLoss, valAccuracy, valLossFlip, valAccuracyFlip: accuracy(y, averaged, k) },
    monitored: valLossFlip,
    probabilities: averaged,
  };
}
