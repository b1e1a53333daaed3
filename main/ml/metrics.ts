// Classification metrics over integer labels and row-major class probabilities (n * classCount).
// Class indices are positions in the caller's class list; the caller maps them to ids.

/** Scores of one class; null for a class with no examples here (nothing to score it on). */
export interface ClassScores {
  precision: number | null;
  recall: number | null;
  f1: number | null;
  /** Examples whose true class this is. */
  support: number;
}

export interface ClassificationReport {
  count: number;
  accuracy: number;
  macroF1: number;
  logLoss: number;
  perClass: ClassScores[];
  /** confusion[t][p]: examples of true class t predicted as class p. */
  confusion: number[][];
}

export interface ConfidentMistake {
  index: number;
  trueClass: number;
  predictedClass: number;
  /** Probability given to the (wrong) predicted class. */
  confidence: number;
}

/** Probabilities are float32: a correct class given exactly 0 costs -ln(1e-7) instead of infinity. */
const LOG_LOSS_FLOOR = 1e-7;

function rowCount(labels: Int32Array, probabilities: Float32Array, classCount: number): number {
  if (!Number.isInteger(classCount) || classCount < 1)
    throw new RangeError(`classCount must be >= 1, got ${classCount}`);
  if (probabilities.length !== labels.length * classCount) {
    throw new RangeError(`Expected ${labels.length} x ${classCount} probabilities, got ${probabilities.length}`);
  }
  for (const label of labels) {
    if (label < 0 || label >= classCount) throw new RangeError(`Label ${label} is outside 0..${classCount - 1}`);
  }
  return labels.length;
}

/** Index of each row's largest probability (the first on a tie). */
export function argmaxRows(probabilities: Float32Array, classCount: number): Int32Array {
  const n = probabilities.length / classCount;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classCount; c++) {
      if (probabilities[i * classCount + c] > probabilities[i * classCount + best]) best = c;
    }
    out[i] = best;
  }
  return out;
}

/** Share of rows whose largest probability is on the true class; 0 for no rows. */
export function accuracy(labels: Int32Array, probabilities: Float32Array, classCount: number): number {
  const n = rowCount(labels, probabilities, classCount);
  const predicted = argmaxRows(probabilities, classCount);
  let correct = 0;
  for (let i = 0; i < n; i++) if (predicted[i] === labels[i]) correct++;
  return n === 0 ? 0 : correct / n;
}

/** Mean negative log-probability of the true class; 0 for no rows. */
export function logLoss(labels: Int32Array, probabilities: Float32Array, classCount: number): number {
  const n = rowCount(labels, probabilities, classCount);
  let sum = 0;
  for (let i = 0; i < n; i++) sum -= Math.log(Math.max(probabilities[i * classCount + labels[i]], LOG_LOSS_FLOOR));
  return n === 0 ? 0 : sum / n;
}

/** Rows are true classes, columns predicted classes. */
export function confusionMatrix(labels: Int32Array, predicted: Int32Array, classCount: number): number[][] {
  if (predicted.length !== labels.length) throw new RangeError('labels and predictions differ in length');
  const confusion = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  for (let i = 0; i < labels.length; i++) confusion[labels[i]][predicted[i]]++;
  return confusion;
}

/**
 * Precision, recall and F1 per class from a confusion matrix. A class with no examples (support 0)
 * gets null for all three rather than a 0 that reads as a failure; a class that has examples but is
 * never predicted has precision 0.
 */
export function classScores(confusion: number[][]): ClassScores[] {
  return confusion.map((row, c) => {
    const truePositives = row[c];
    const support = row.reduce((a, b) => a + b, 0);
    if (support === 0) return { precision: null, recall: null, f1: null, support };
    const predictedAs = confusion.reduce((sum, r) => sum + r[c], 0);
    const precision = predictedAs === 0 ? 0 : truePositives / predictedAs;
    const recall = truePositives / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { precision, recall, f1, support };
  });
}

/**
 * Unweighted mean F1 over the classes with examples in this split (support > 0), as scikit-learn's
 * f1_score(average='macro', labels=present labels): a class with no photos here is left out instead of
 * counting as 0. Its wrong predictions still lower the other classes' recall. 0 with no examples.
 */
export function macroF1(confusion: number[][]): number {
  const present = classScores(confusion).flatMap((s) => (s.f1 === null ? [] : [s.f1]));
  return present.length === 0 ? 0 : present.reduce((sum, f1) => sum + f1, 0) / present.length;
}

export function classificationReport(
  labels: Int32Array,
  probabilities: Float32Array,
  classCount: number,
): ClassificationReport {
  const count = rowCount(labels, probabilities, classCount);
  const confusion = confusionMatrix(labels, argmaxRows(probabilities, classCount), classCount);
  const correct = confusion.reduce((sum, row, c) => sum + row[c], 0);
  return {
    count,
    accuracy: count === 0 ? 0 : correct / count,
    macroF1: macroF1(confusion),
    logLoss: logLoss(labels, probabilities, classCount),
    perClass: classScores(confusion),
    confusion,
  };
}

/** Wrong predictions, the most confident first (ties by index), at most `limit` of them. */
export function mostConfidentMistakes(
  labels: Int32Array,
  probabilities: Float32Array,
  classCount: number,
  limit = Number.POSITIVE_INFINITY,
): ConfidentMistake[] {
  const n = rowCount(labels, probabilities, classCount);
  const predicted = argmaxRows(probabilities, classCount);
  const mistakes: ConfidentMistake[] = [];
  for (let i = 0; i < n; i++) {
    if (predicted[i] === labels[i]) continue;
    mistakes.push({
      index: i,
      trueClass: labels[i],
      predictedClass: predicted[i],
      confidence: probabilities[i * classCount + predicted[i]],
    });
  }
  mistakes.sort((a, b) => b.confidence - a.confidence || a.index - b.index);
  return mistakes.slice(0, limit);
}
