// "Unlike the training photos": the distance of an embedding to the nearest class centre of the
// training photos in units of the training photos' within-class spread (Mahalanobis distance
// with a diagonal, class-shared covariance; Lee et al. 2018, "A Simple Unified Framework for
// Detecting Out-of-Distribution Samples", simplified to a diagonal so it fits a small sidecar).
import type { FeatureRows } from './feature-alignment';

/** Everything the check needs, small enough for a run's folder and an export's sidecar JSON. */
export interface OodStatistics {
  method: 'diagonal-mahalanobis-nearest-class';
  dim: number;
  /**
   * One mean per class (class index order), each `dim` values; an adapted run's list goes on with
   * one per class its model predicts among the new-domain photos (ood-artefact.ts).
   */
  classMeans: number[][];
  /** Pooled within-class variance per dimension (+ a floor), shared by all classes. */
  variance: number[];
  /** Scores above this are "unlike the training photos". */
  threshold: number;
  /** The percentile of the validation photos' scores the threshold was set at. */
  percentile: number;
}

/** Share of validation photos the threshold lets through as familiar. */
export const OOD_PERCENTILE = 95;

/** Floor on a dimension's variance, relative to the mean variance, so a flat one cannot dominate. */
const VARIANCE_FLOOR_RATIO = 1e-3;

/** Score of each row: min over classes of Σ (x − μc)² / σ², divided by dim (so ≈ 1 in-distribution). */
export function oodScores(
  stats: Pick<OodStatistics, 'dim' | 'classMeans' | 'variance'>,
  x: Float32Array,
): Float64Array {
  const { dim } = stats;
  const n = x.length / dim;
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let best = Number.POSITIVE_INFINITY;
    for (const mean of stats.classMeans) {
      let s = 0;
      for (let j = 0; j < dim; j++) {
        const d = x[i * dim + j] - mean[j];
        s += (d * d) / stats.variance[j];
      }
      best = Math.min(best, s);
    }
    scores[i] = best / dim;
  }
  return scores;
}

/** The `percentile`-th (0..100) value of `values` by the nearest-rank method. */
export function percentileOf(values: ArrayLike<number>, percentile: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) throw new RangeError('No values to take a percentile of.');
  const rank = Math.ceil((percentile / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/**
 * Fits class means and the pooled within-class variance on the training rows (`labels` are
 * class indices 0..classCount−1) and sets the threshold at `percentile` of the validation rows'
 * scores. Throws RangeError when a class has no training row or there are no validation rows.
 */
export function fitOodStatistics(
  train: FeatureRows,
  labels: Int32Array,
  classCount: number,
  validation: Float32Array,
  percentile = OOD_PERCENTILE,
): OodStatistics {
  const { dim, x } = train;
  const sums = Array.from({ length: classCount }, () => new Float64Array(dim));
  const counts = new Array<number>(classCount).fill(0);
  labels.forEach((c, i) => {
    counts[c]++;
    for (let j = 0; j < dim; j++) sums[c][j] += x[i * dim + j];
  });
  if (counts.some((c) => c === 0)) throw new RangeError('Every class needs a training photo.');
  const classMeans = sums.map((s, c) => Array.from(s, (v) => v / counts[c]));
  const squares = new Float64Array(dim);
  labels.forEach((c, i) => {
    for (let j = 0; j < dim; j++) {
      const d = x[i * dim + j] - classMeans[c][j];
      squares[j] += d * d;
    }
  });
  const raw = Array.from(squares, (s) => s / Math.max(1, labels.length - classCount));
  const floor = (VARIANCE_FLOOR_RATIO * raw.reduce((a, b) => a + b, 0)) / dim + 1e-12;
  const variance = raw.map((v) => Math.max(v, floor));
  const partial = { dim, classMeans, variance };
  const threshold = percentileOf(oodScores(partial, validation), percentile);
  return { method: 'diagonal-mahalanobis-nearest-class', ...partial, threshold, percentile };
}
