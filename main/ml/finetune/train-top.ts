// Stage 2 of fine-tuning: the unfrozen top blocks and the head trained together on cut
// activations the frozen trunk computed once per photo and augmentation view. Two Adam
// optimizers give the blocks a learning rate well below the head's (a pretrained block moved
// at the head's rate forgets what it knew: TensorFlow's transfer-learning tutorial fine-tunes
// at a tenth of the base rate); BatchNormalization stays in inference mode (TrainableTop.run); each epoch
// draws one view per photo; early stopping on validation loss restores the best epoch. Same
// seed, data and backend: same numbers.
import * as tf from '@tensorflow/tfjs';
import { nextSeed, permutation, seededRandom } from '../../../common/seeded-random';
import { inverseFrequencyWeights } from '../head/head-dataset';
import {
  averageProbabilities,
  type HeadArtifacts,
  type HeadNetwork,
  saveHead,
  trainingLogits,
} from '../head/head-model';
import { MIN_IMPROVEMENT } from '../head/lr-schedule';
import type { HeadEpochMetrics } from '../head/train-head';
import { accuracy, argmaxRows, logLoss } from '../metrics';
import { FineTuneError } from './finetune-error';
import type { TrainableTop } from './trainable-top';

/** Cut activations of n photos, v views each: `data` holds n*v activations of `shape`, photo-major. */
export interface CutActivations {
  /** One activation, channels-last [H, W, C]. */
  shape: [number, number, number];
  views: number;
  data: Float32Array;
  /** n class indices. */
  y: Int32Array;
}

export interface TopDataset {
  classCount: number;
  /** Each epoch trains on one randomly drawn view of each photo. */
  train: CutActivations;
  /** Scored on view 0; with `flipView`, on the mean of view 0's and that view's probabilities. */
  val: CutActivations & { flipView?: number };
}

export interface TopTrainingConfig {
  seed: number;
  /** Adam step size for the unfrozen blocks' convolutions. */
  blockLearningRate: number;
  /** Adam step size for the head. */
  headLearningRate: number;
  batchSize: number;
  maxEpochs: number;
  /** Epochs without a better validation loss before stopping; the best epoch's weights are kept. */
  patience: number;
  /** Weights each example by the inverse frequency of its class, as the head's stage 1 does. */
  classWeighting: boolean;
}

/**
 * The head's per-epoch figures (trainLoss: class-weighted cross-entropy with head dropout on;
 * the Flip figures null without `val.flipView`), less its single learning rate.
 */
export type TopEpochMetrics = Omit<HeadEpochMetrics, 'learningRate'>;

export interface TrainTopResult {
  epochs: TopEpochMetrics[];
  bestEpoch: number;
  stoppedEarly: boolean;
  /** The head at the best epoch (the top's layers hold the best epoch's weights in place). */
  head: HeadArtifacts;
  /** The kept weights' validation probabilities, n * classCount, mirror-averaged when given. */
  valProbabilities: Float32Array;
}

/**
 * Trains `split`'s trainable variables and `head` (a head built by buildHead or loaded from its
 * artefacts: layers `hidden`?, `dropout`?, `logits`) on `data`, changing both in place and
 * leaving them at the best epoch. Features are the app's: the tap averaged over H and W, then
 * L2-normalised (combineTaps for one tap). Throws FineTuneError DATASET_INVALID, FINETUNE_INVALID
 * (a setting out of range), CANCELLED (checked before every batch) or TRAINING_FAILED.
 */
export async function trainTop(
  split: TrainableTop,
  head: tf.LayersModel,
  data: TopDataset,
  config: TopTrainingConfig,
  options: { onEpoch?: (m: TopEpochMetrics) => void; signal?: AbortSignal } = {},
): Promise<TrainTopResult> {
  checkConfig(config);
  checkDataset(split, data);
  const net = headNetworkOf(head);
  const random = seededRandom(config.seed);
  const blockOptimizer = tf.train.adam(config.blockLearningRate);
  const headOptimizer = tf.train.adam(config.headLearningRate);
  const headVars = head.trainableWeights.map((w) => w.read() as tf.Variable);
  const classWeights = config.classWeighting ? inverseFrequencyWeights(data.train.y, data.classCount) : null;
  const snapshot = () => [...split.trainable, ...headVars].map((v) => tf.keep(v.clone()));
  const epochs: TopEpochMetrics[] = [];
  let best: { epoch: number; loss: number; weights: tf.Tensor[]; probabilities: Float32Array } | null = null;
  try {
    for (let epoch = 1; epoch <= config.maxEpochs; epoch++) {
      const started = performance.now();
      const totals = { loss: 0, correct: 0 };
      const n = data.train.y.length;
      const order = permutation(n, random);
      for (let start = 0; start < n; start += config.batchSize) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (options.signal?.aborted) throw new FineTuneError('CANCELLED', 'Fine-tuning was cancelled.');
        const rows = order.subarray(start, Math.min(start + config.batchSize, n));
        const views = Int32Array.from(rows, () => Math.floor(random() * data.train.views));
        const dropoutSeed = nextSeed(random);
        const kept: { logits?: tf.Tensor } = {};
        const loss = tf.tidy(() => {
          const x = gather(data.train, rows, views);
          const { targets, weights } = targetsOf(data, rows, classWeights);
          const { value, grads } = tf.variableGrads(() => {
            const logits = trainingLogits(net, topFeatures(split, x), dropoutSeed);
            kept.logits = tf.keep(logits);
            const perExample = tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1));
            return tf.mean(tf.mul(perExample, weights)) as tf.Scalar;
          }, [...split.trainable, ...headVars]);
          blockOptimizer.applyGradients(pick(grads, split.trainable));
          headOptimizer.applyGradients(pick(grads, headVars));
          return value;
        });
        totals.loss += loss.dataSync()[0] * rows.length;
        loss.dispose();
        const predicted = argmaxRows(kept.logits?.dataSync() as Float32Array, data.classCount);
        tf.dispose(kept.logits);
        rows.forEach((row, i) => {
          if (predicted[i] === data.train.y[row]) totals.correct++;
        });
      }
      const val = evaluate(split, head, data);
      const metrics: TopEpochMetrics = {
        epoch,
        trainLoss: totals.loss / n,
        trainAccuracy: totals.correct / n,
        ...val.metrics,
        seconds: (performance.now() - started) / 1000,
      };
      epochs.push(metrics);
      if (best === null || val.monitored < best.loss - MIN_IMPROVEMENT) {
        if (best) tf.dispose(best.weights);
        best = { epoch, loss: val.monitored, weights: snapshot(), probabilities: val.probabilities };
      }
      options.onEpoch?.(metrics);
      if (epoch - best.epoch >= config.patience) break;
    }
    if (!best) throw new FineTuneError('TRAINING_FAILED', 'No epoch ran.');
    const kept = best.weights;
    for (const [i, v] of [...split.trainable, ...headVars].entries()) v.assign(kept[i]);
    return {
      epochs,
      bestEpoch: best.epoch,
      stoppedEarly: epochs.length < config.maxEpochs,
      head: await saveHead(head),
      valProbabilities: best.probabilities,
    };
  } catch (err) {
    if (err instanceof FineTuneError) throw err;
    throw new FineTuneError(
      'TRAINING_FAILED',
      `Fine-tuning failed: ${err instanceof Error ? err.message : String(err)}`,
    );
  } finally {
    if (best) tf.dispose(best.weights);
    blockOptimizer.dispose();
    headOptimizer.dispose();
  }
}

/** The app's feature vector from cut activations: tap -> spatial mean -> L2-normalised, [N, C]. */
export function topFeatures(split: TrainableTop, cut: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const pooled = tf.mean(split.run(cut), [1, 2]) as tf.Tensor2D;
    // combineTaps leaves a zero vector at zero; so does dividing by max(|v|, tiny).
    const norm = tf.maximum(tf.sqrt(tf.sum(tf.square(pooled), 1, true)), 1e-12);
    return tf.div(pooled, norm);
  });
}

/** Class probabilities (n * classCount) of the top + head for views `view` of every photo. */
export function predictTop(split: TrainableTop, head: tf.LayersModel, set: CutActivations, view: number): Float32Array {
  const n = set.y.length;
  const classCount = head.outputs[0].shape[1] as number;
  const out = new Float32Array(n * classCount);
  const chunk = 32;
  for (let start = 0; start < n; start += chunk) {
    const rows = Int32Array.from({ length: Math.min(chunk, n - start) }, (_, i) => start + i);
    const probabilities = tf.tidy(() => {
      const features = topFeatures(
        split,
        gather(
          set,
          rows,
          rows.map(() => view),
        ),
      );
      return (head.predict(features) as tf.Tensor).dataSync() as Float32Array;
    });
    out.set(probabilities, start * classCount);
  }
  return out;
}

function evaluate(split: TrainableTop, head: tf.LayersModel, data: TopDataset) {
  const { val, classCount } = data;
  const plain = predictTop(split, head, val, 0);
  const valLoss = logLoss(val.y, plain, classCount);
  const valAccuracy = accuracy(val.y, plain, classCount);
  if (val.flipView === undefined) {
    return {
      metrics: { valLoss, valAccuracy, valLossFlip: null, valAccuracyFlip: null },
      monitored: valLoss,
      probabilities: plain,
    };
  }
  const averaged = averageProbabilities(plain, predictTop(split, head, val, val.flipView));
  const valLossFlip = logLoss(val.y, averaged, classCount);
  return {
    metrics: { valLoss, valAccuracy, valLossFlip, valAccuracyFlip: accuracy(val.y, averaged, classCount) },
    monitored: valLossFlip,
    probabilities: averaged,
  };
}

/** Photos `rows`, each at its view, as one [b, H, W, C] batch. */
function gather(set: CutActivations, rows: Int32Array, views: Int32Array): tf.Tensor4D {
  const size = set.shape[0] * set.shape[1] * set.shape[2];
  const batch = new Float32Array(rows.length * size);
  rows.forEach((row, i) => {
    const at = (row * set.views + views[i]) * size;
    batch.set(set.data.subarray(at, at + size), i * size);
  });
  return tf.tensor4d(batch, [rows.length, ...set.shape]);
}

function targetsOf(data: TopDataset, rows: Int32Array, classWeights: Float32Array | null) {
  const k = data.classCount;
  const targets = new Float32Array(rows.length * k);
  const weights = new Float32Array(rows.length);
  rows.forEach((row, i) => {
    const c = data.train.y[row];
    targets[i * k + c] = 1;
    weights[i] = classWeights ? classWeights[c] : 1;
  });
  return { targets: tf.tensor2d(targets, [rows.length, k]), weights: tf.tensor1d(weights) };
}

function pick(grads: tf.NamedTensorMap, vars: tf.Variable[]): Array<{ name: string; tensor: tf.Tensor }> {
  return vars.map((v) => ({ name: v.name, tensor: grads[v.name] }));
}

/** The layers buildHead names, read back from a head model (a fresh one or loaded from artefacts). */
function headNetworkOf(model: tf.LayersModel): HeadNetwork {
  const named = (name: string) => model.layers.find((l) => l.name === name) ?? null;
  const logits = named('logits');
  if (!logits)
    throw new FineTuneError('FINETUNE_INVALID', 'The head has no "logits" layer: it was not built by Graft.');
  const dropout = named('dropout');
  const rate = dropout ? Number((dropout.getConfig() as { rate?: number }).rate ?? 0) : 0;
  return { model: model as tf.Sequential, hidden: named('hidden'), logits, dropoutRate: rate };
}

function checkConfig(c: TopTrainingConfig): void {
  const fail = (what: string): never => {
    throw new FineTuneError('FINETUNE_INVALID', `Fine-tuning setting ${what}.`);
  };
  const isInt = (v: number, min: number) => Number.isInteger(v) && v >= min;
  if (!Number.isInteger(c.seed)) fail('"seed" must be a whole number');
  if (!(c.blockLearningRate >= 0 && Number.isFinite(c.blockLearningRate)))
    fail('"blockLearningRate" must be 0 or more');
  if (!(c.headLearningRate >= 0 && Number.isFinite(c.headLearningRate))) fail('"headLearningRate" must be 0 or more');
  if (!isInt(c.batchSize, 1)) fail('"batchSize" must be a whole number, 1 or more');
  if (!isInt(c.maxEpochs, 1)) fail('"maxEpochs" must be a whole number, 1 or more');
  if (!isInt(c.patience, 1)) fail('"patience" must be a whole number, 1 or more');
}

function checkDataset(split: TrainableTop, data: TopDataset): void {
  const fail = (message: string): never => {
    throw new FineTuneError('DATASET_INVALID', message);
  };
  if (!Number.isInteger(data.classCount) || data.classCount < 2) fail('Fine-tuning needs at least two classes.');
  for (const [name, set] of [
    ['training', data.train],
    ['validation', data.val],
  ] as const) {
    if (set.y.length === 0) fail(`The ${name} split is empty.`);
    if (set.shape.join() !== split.cutShape.join()) {
      fail(`The ${name} activations are [${set.shape}], the cut gives [${split.cutShape}].`);
    }
    if (!Number.isInteger(set.views) || set.views < 1) fail(`The ${name} activations need at least one view.`);
    if (set.data.length !== set.y.length * set.views * set.shape.reduce((a, b) => a * b, 1)) {
      fail(`The ${name} activations do not hold ${set.y.length} photos x ${set.views} views.`);
    }
    if (set.y.some((c) => c < 0 || c >= data.classCount))
      fail(`The ${name} split has a label outside 0..${data.classCount - 1}.`);
    if (!set.data.every(Number.isFinite)) fail(`The ${name} activations contain a value that is not a finite number.`);
  }
  const flip = data.val.flipView;
  if (flip !== undefined && !(Number.isInteger(flip) && flip >= 0 && flip < data.val.views)) {
    fail(`Validation view ${flip} does not exist.`);
  }
}
