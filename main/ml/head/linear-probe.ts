// A quick, seeded measure of how well a frozen backbone's features separate a set of labelled
// photos: multinomial logistic regression on standardised embeddings, scored by stratified
// k-fold cross-validation. Used to compare backbones (service and benchmark), not to train the
// model a run keeps.
//
// Why not the head trainer with no hidden layer: with the app's defaults (mini-batches, early
// stopping on a validation split of its own) it took 3.9-4.2 s per fit on 798 synthetic
// 1,280-d embeddings of 7 classes (24 epochs), so five folds would cost about 20 s per
// backbone. Full-batch Adam on tfjs's current backend fits the same rows in 0.55-0.6 s
// (plain typed-array loops took about 2.6 s) on the 2-vCPU machines.

import { permutation, seededRandom } from '../../../common/seeded-random';
import { initTfjs, type Tfjs } from '../tfjs-backend';

/** Settings of one probe fit. */
export interface ProbeSettings {
  /** Full-batch Adam steps from zero weights. */
  steps: number;
  learningRate: number;
  /** Weight decay on the standardised-feature weights (added to the mean cross-entropy as l2/2·|W|²). */
  l2: number;
}

/**
 * Chosen by a sweep (steps 50/100/300 × L2 0.001/0.01/0.1/1 × rate 0.01/0.05) on the bundled
 * default's and the imported ImageNet MobileNetV2 int8's embeddings of hymenoptera (398 photos)
 * and PACS photo (60 per class), 5-fold: L2 0.1 at 0.05 for 100 steps scored 86.7 / 82.4 / 97.2 /
 * 97.4% (mean 90.9), against 83.9 / 80.5 / 96.2 / 96.2% (mean 89.2) for L2 0.001; the best
 * setting scored 91.1, 300 steps added nothing, and no setting changed which backbone ranked first.
 * Weight decay matters because z-scored features have more dimensions than the folds have photos.
 */
export const PROBE_SETTINGS: Readonly<ProbeSettings> = Object.freeze({ steps: 100, learningRate: 0.05, l2: 0.1 });

/** Folds used when every class has at least this many photos. */
export const PROBE_FOLDS = 5;

/** Embedded photos: `x` holds `y.length` rows of `dim` numbers; `y[i]` is 0..classCount-1. */
export interface ProbeData {
  x: Float32Array;
  y: Int32Array;
  dim: number;
  classCount: number;
}

export interface FittedProbe {
  mean: Float32Array;
  invStd: Float32Array;
  /** classCount rows of dim weights. */
  weights: Float32Array;
  bias: Float32Array;
}

export interface CrossValidation {
  /** Accuracy (0-1) on each held-out fold. */
  foldAccuracies: number[];
  mean: number;
  /** Population standard deviation of the fold accuracies. */
  std: number;
  folds: number;
  /** Why fewer than PROBE_FOLDS folds were used, or null. */
  fewerFoldsReason: string | null;
}

/** Why a probe cannot be scored: fewer than two classes, or a class with fewer than two photos. */
export class ProbeDataError extends Error {
  readonly code = 'TOO_FEW_PHOTOS';
  constructor(message: string) {
    super(message);
    this.name = 'ProbeDataError';
  }
}

export class ProbeCancelledError extends Error {
  readonly code = 'CANCELLED';
  constructor() {
    super('The comparison was cancelled.');
    this.name = 'ProbeCancelledError';
  }
}

/** Per-class photo counts of `y`. */
function classCounts(y: Int32Array, classCount: number): number[] {
  const counts = new Array<number>(classCount).fill(0);
  for (const c of y) counts[c]++;
  return counts;
}

/**
 * The number of folds: PROBE_FOLDS, or the smallest class's photo count when that is smaller
 * (stratified folds need one photo of each class per fold).
 * @throws ProbeDataError with fewer than two classes or a class with fewer than two photos
 */
export function probeFolds(
  y: Int32Array,
  classCount: number,
): { folds: number; fewerFoldsReason: string | null; smallestClass: number } {
  const counts = classCounts(y, classCount);
  const present = counts.filter((n) => n > 0);
  if (present.length < 2) throw new ProbeDataError('Label photos of at least two classes to compare backbones.');
  const smallest = Math.min(...present);
  if (smallest < 2) {
    throw new ProbeDataError(
      'Every class needs at least 2 labelled photos to compare backbones (cross-validation holds some out); label more.',
    );
  }
  if (smallest >= PROBE_FOLDS) return { folds: PROBE_FOLDS, fewerFoldsReason: null, smallestClass: smallest };
  return {
    smallestClass: smallest,
    folds: smallest,
    fewerFoldsReason: `${smallest}-fold, not ${PROBE_FOLDS}-fold: the smallest class has only ${smallest} photos.`,
  };
}

/**
 * Stratified fold of each row (0..folds-1): each class's rows in a seeded order, dealt round
 * the folds, so every fold holds about 1/folds of every class.
 */
export function stratifiedFolds(y: Int32Array, classCount: number, folds: number, seed: number): Int32Array {
  const fold = new Int32Array(y.length);
  const random = seededRandom(seed);
  let next = 0;
  for (let c = 0; c < classCount; c++) {
    const rows: number[] = [];
    y.forEach((label, i) => {
      if (label === c) rows.push(i);
    });
    // Carry the dealing position across classes so small classes do not all start at fold 0.
    for (const k of permutation(rows.length, random)) fold[rows[k]] = next++ % folds;
  }
  return fold;
}

/** Rows `rows` of `data.x`, z-scored with the mean and standard deviation of those rows. */
function standardise(data: ProbeData, rows: number[]): { x: Float32Array; mean: Float32Array; invStd: Float32Array } {
  const { dim } = data;
  const mean = new Float32Array(dim);
  const sq = new Float64Array(dim);
  for (const r of rows) {
    const off = r * dim;
    for (let d = 0; d < dim; d++) mean[d] += data.x[off + d];
  }
  for (let d = 0; d < dim; d++) mean[d] /= rows.length;
  for (const r of rows) {
    const off = r * dim;
    for (let d = 0; d < dim; d++) {
      const v = data.x[off + d] - mean[d];
      sq[d] += v * v;
    }
  }
  const invStd = new Float32Array(dim);
  // A constant feature (std 0) carries nothing: scale 0 leaves it out.
  for (let d = 0; d < dim; d++) {
    const std = Math.sqrt(sq[d] / rows.length);
    invStd[d] = std > 1e-12 ? 1 / std : 0;
  }
  const x = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => {
    const off = r * dim;
    for (let d = 0; d < dim; d++) x[i * dim + d] = (data.x[off + d] - mean[d]) * invStd[d];
  });
  return { x, mean, invStd };
}

/** Residues below this are set to 0: far below any gradient that moves a weight in 100 steps. */
const DENORMAL_GUARD = 1e-12;

/**
 * Fits multinomial logistic regression on rows `rows` of `data`: features z-scored on those
 * rows, weights from zero by full-batch Adam (Kingma & Ba 2015, tfjs's defaults β1 0.9, β2
 * 0.999) on mean cross-entropy plus l2/2·|W|². The gradient is written out (Xᵀ(P − Y)/n) with
 * Xᵀ stored once, so both products take wasm's fast untransposed matmul path. Deterministic.
 */
export function fitLinearProbe(
  tf: Tfjs['tf'],
  data: ProbeData,
  rows: number[],
  settings: ProbeSettings = PROBE_SETTINGS,
): FittedProbe {
  const { dim, classCount } = data;
  const { x, mean, invStd } = standardise(data, rows);
  const n = rows.length;
  const w = tf.variable(tf.zeros([dim, classCount]), true, undefined);
  const b = tf.variable(tf.zeros([classCount]), true, undefined);
  const optimizer = tf.train.adam(settings.learningRate);
  try {
    const [xs, xt, ys] = tf.tidy(() => {
      const xs = tf.tensor2d(x, [n, dim]);
      const labels = tf.tensor1d(
        Int32Array.from(rows, (r) => data.y[r]),
        'int32',
      );
      return [xs, xs.transpose(), tf.oneHot(labels, classCount).toFloat()];
    });
    for (let step = 0; step < settings.steps; step++) {
      tf.tidy(() => {
        const raw = tf.softmax(xs.matMul(w).add(b)).sub(ys).div(n);
        // Confident rows leave denormal residues: 100 steps took 4.3 s with them, 0.7 s without.
        const g = tf.where(raw.abs().greater(DENORMAL_GUARD), raw, tf.zerosLike(raw));
        optimizer.applyGradients([
          { name: w.name, tensor: xt.matMul(g).add(w.mul(settings.l2)) },
          { name: b.name, tensor: g.sum(0) },
        ]);
      });
    }
    tf.dispose([xs, xt, ys]);
    return {
      mean,
      invStd,
      weights: w.transpose().dataSync() as Float32Array,
      bias: b.dataSync() as Float32Array,
    };
  } finally {
    optimizer.dispose();
    tf.dispose([w, b]);
  }
}

/** The probe's class (0..classCount-1) for each row in `rows` of `data`. */
export function probePredict(probe: FittedProbe, data: ProbeData, rows: number[]): Int32Array {
  const { dim, classCount: k } = data;
  const out = new Int32Array(rows.length);
  const v = new Float32Array(dim);
  rows.forEach((r, i) => {
    const off = r * dim;
    for (let d = 0; d < dim; d++) v[d] = (data.x[off + d] - probe.mean[d]) * probe.invStd[d];
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < k; c++) {
      let s = probe.bias[c];
      for (let d = 0; d < dim; d++) s += probe.weights[c * dim + d] * v[d];
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    out[i] = best;
  });
  return out;
}

export interface CrossValidateOptions {
  seed: number;
  settings?: ProbeSettings;
  signal?: AbortSignal;
  /** After each fold: folds done and the fold count. */
  onFold?: (done: number, folds: number) => void;
}

/**
 * Stratified k-fold cross-validated accuracy of the linear probe (k = PROBE_FOLDS, or the
 * smallest class's size when smaller; see probeFolds). Yields to the event loop between folds,
 * so a cancel is seen within one fit.
 * @throws ProbeDataError (too few photos), ProbeCancelledError (signal aborted)
 */
export async function crossValidateProbe(data: ProbeData, options: CrossValidateOptions): Promise<CrossValidation> {
  const { folds, fewerFoldsReason } = probeFolds(data.y, data.classCount);
  const fold = stratifiedFolds(data.y, data.classCount, folds, options.seed);
  const { tf } = await initTfjs();
  const foldAccuracies: number[] = [];
  for (let f = 0; f < folds; f++) {
    await new Promise((resolve) => setImmediate(resolve));
    if (options.signal?.aborted) throw new ProbeCancelledError();
    const train: number[] = [];
    const test: number[] = [];
    fold.forEach((g, i) => {
      (g === f ? test : train).push(i);
    });
    const predicted = probePredict(fitLinearProbe(tf, data, train, options.settings), data, test);
    let right = 0;
    predicted.forEach((p, i) => {
      if (p === data.y[test[i]]) right++;
    });
    foldAccuracies.push(right / test.length);
    options.onFold?.(f + 1, folds);
  }
  const mean = foldAccuracies.reduce((s, a) => s + a, 0) / folds;
  const std = Math.sqrt(foldAccuracies.reduce((s, a) => s + (a - mean) ** 2, 0) / folds);
  return { foldAccuracies, mean, std, folds, fewerFoldsReason };
}
