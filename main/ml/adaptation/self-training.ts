// Self-training of a head on unlabelled target features: information maximisation (SHOT-IM,
// Liang et al. 2020, "Do We Really Need to Access the Source Data?") — confident predictions per
// photo, diverse predictions over the set — plus cross-entropy on class-balanced pseudo-labels
// above a confidence threshold. The target's real labels are never an input.
import * as tf from '@tensorflow/tfjs';
import { type HeadArtifacts, loadHead, predictProbabilities, saveHead } from '../head/head-model';
import { argmaxRows } from '../metrics';
import type { FeatureRows } from './feature-alignment';

export interface SelfTrainingOptions {
  /** Pseudo-labels only where the head's confidence is at least this (0..1). */
  threshold: number;
  /** Weight of the pseudo-label cross-entropy beside the information-maximisation loss. */
  pseudoLabelWeight: number;
  /** Full-batch Adam steps; pseudo-labels are renewed every `refreshEvery` steps. */
  steps: number;
  refreshEvery: number;
  learningRate: number;
  signal?: AbortSignal;
}

/**
 * The threshold was chosen by `npm run bench -- adaptation` (docs/BENCHMARKS.md, "Domain
 * adaptation") from 0.5, 0.7 and 0.9: 0.7 scored highest or tied on PACS photo → cartoon with both
 * backbones and was the only one that left the darkened hymenoptera photos' accuracy unchanged.
 * The other settings are fixed, not tuned.
 */
export const DEFAULT_SELF_TRAINING: Omit<SelfTrainingOptions, 'signal'> = {
  threshold: 0.7,
  pseudoLabelWeight: 0.3,
  steps: 60,
  refreshEvery: 10,
  learningRate: 0.005,
};

/**
 * Pseudo-labels for rows of `probabilities` (n × classCount): each row's most likely class when
 * its confidence is ≥ `threshold`, at most ⌈n / classCount⌉ rows per class (its most confident
 * ones), so a class the shifted head over-predicts cannot flood the set; −1 for the rest.
 */
export function classBalancedPseudoLabels(
  probabilities: Float32Array,
  classCount: number,
  threshold: number,
): Int32Array {
  const n = probabilities.length / classCount;
  const predicted = argmaxRows(probabilities, classCount);
  const cap = Math.ceil(n / classCount);
  const labels = new Int32Array(n).fill(-1);
  for (let c = 0; c < classCount; c++) {
    const rows: number[] = [];
    for (let i = 0; i < n; i++) {
      if (predicted[i] === c && probabilities[i * classCount + c] >= threshold) rows.push(i);
    }
    rows.sort((a, b) => probabilities[b * classCount + c] - probabilities[a * classCount + c] || a - b);
    for (const i of rows.slice(0, cap)) labels[i] = c;
  }
  return labels;
}

export interface SelfTrainingResult {
  head: HeadArtifacts;
  /** Pseudo-labelled rows at the last refresh. */
  pseudoLabelled: number;
}

/**
 * Trains every weight of `head` on the target rows (no dropout): loss = mean entropy −
 * entropy of the mean prediction + `pseudoLabelWeight` × cross-entropy on the pseudo-labels.
 * Deterministic (full batch, no sampling). Throws the signal's reason when aborted.
 */
export async function selfTrainHead(
  head: HeadArtifacts,
  target: FeatureRows,
  options: SelfTrainingOptions,
): Promise<SelfTrainingResult> {
  const model = await loadHead(head);
  const optimizer = tf.train.adam(options.learningRate);
  const n = target.x.length / target.dim;
  const x = tf.tensor2d(target.x, [n, target.dim]);
  try {
    const classCount = model.outputs[0].shape[1] as number;
    const variables = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    let pseudo: Int32Array = new Int32Array(n).fill(-1);
    for (let step = 0; step < options.steps; step++) {
      options.signal?.throwIfAborted();
      if (step % options.refreshEvery === 0) {
        pseudo = classBalancedPseudoLabels(predictProbabilities(model, target.x, n), classCount, options.threshold);
      }
      // Cross-entropy over the pseudo-labelled rows as a masked mean over all rows (a one-hot of
      // −1 is all zeros): tf.gather's gradient has no wasm kernel.
      const labelled = pseudo.filter((c) => c >= 0).length;
      const cost = optimizer.minimize(
        () => {
          const p = (model.apply(x, { training: false }) as tf.Tensor2D).clipByValue(1e-7, 1);
          const entropy = p.mul(p.log()).sum(1).neg().mean();
          const meanP = p.mean(0);
          const diversity = meanP.mul(meanP.log()).sum().neg();
          let loss = entropy.sub(diversity);
          if (labelled > 0) {
            const onehot = tf.oneHot(tf.tensor1d(pseudo, 'int32'), classCount);
            const crossEntropy = onehot.mul(p.log()).sum().neg().div(labelled);
            loss = loss.add(crossEntropy.mul(options.pseudoLabelWeight));
          }
          return loss as tf.Scalar;
        },
        true,
        variables,
      );
      cost?.dispose();
    }
    return { head: await saveHead(model), pseudoLabelled: pseudo.filter((c) => c >= 0).length };
  } finally {
    x.dispose();
    optimizer.dispose();
    model.dispose();
  }
}
