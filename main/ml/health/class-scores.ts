import { permutation, seededRandom } from '../../../common/seeded-random';

/**
 * Softmax temperature over cosine similarities to class centroids. Chosen on the health
 * benchmark (hymenoptera, PACS photo); the per-class thresholds of confident learning make the
 * findings insensitive to it, and rankings by margin do not depend on it at all.
 */
export const CENTROID_TEMPERATURE = 0.05;

/** Folds of the out-of-fold scores: each photo is scored by centroids that never saw it. */
export const DEFAULT_FOLDS = 5;

/** Embeddings of labelled photos, one row per photo. */
export interface LabelledVectors {
  /** N rows of D values each, row-major. */
  vectors: Float32Array;
  dim: number;
  /** Class index of each row, 0 … classCount-1. */
  labels: Int32Array;
  classCount: number;
}

/** Out-of-fold scores of every row: N×C softmax probabilities and the best cosine to any centroid. */
export interface ClassScores {
  /** N×C, row-major. */
  probabilities: Float32Array;
  /** Per row, the largest cosine similarity to a class centroid of the other folds (−1 … 1). */
  nearestCentroid: Float32Array;
}

/** Rows centred on the mean row (labels play no part) and scaled to unit length, so a dot product is a cosine. */
export function centredUnitRows(vectors: Float32Array, dim: number): Float32Array {
  const n = vectors.length / dim;
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d] += vectors[i * dim + d];
  for (let d = 0; d < dim; d++) mean[d] /= Math.max(1, n);
  const out = new Float32Array(vectors.length);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const v = vectors[i * dim + d] - mean[d];
      out[i * dim + d] = v;
      norm += v * v;
    }
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let d = 0; d < dim; d++) out[i * dim + d] *= scale;
  }
  return out;
}

/**
 * Out-of-fold class probabilities by nearest class mean on cosine similarity (Mensink et al.,
 * "Distance-Based Image Classification", TPAMI 2013): rows are split into `folds` seeded random
 * folds; each fold is scored against the unit-length centroids of the other folds, and
 * p(c | x) = softmax(cos(x, μ_c) / CENTROID_TEMPERATURE). Cost O(N·C·D) per fold, so 20,000
 * photos of 1,280 values score in well under a second. A class with no row outside a fold
 * scores −1 there.
 */
export function outOfFoldScores(data: LabelledVectors, folds = DEFAULT_FOLDS, seed = 1): ClassScores {
  const { dim, labels, classCount } = data;
  const n = labels.length;
  const x = centredUnitRows(data.vectors, dim);
  const order = permutation(n, seededRandom(seed));
  const foldOf = new Int32Array(n);
  for (let r = 0; r < n; r++) foldOf[order[r]] = r % folds;

  const sums = new Float64Array(folds * classCount * dim);
  for (let i = 0; i < n; i++) {
    const base = (foldOf[i] * classCount + labels[i]) * dim;
    for (let d = 0; d < dim; d++) sums[base + d] += x[i * dim + d];
  }
  const probabilities = new Float32Array(n * classCount);
  const nearestCentroid = new Float32Array(n);
  const centroids = new Float32Array(classCount * dim);
  const present = new Uint8Array(classCount);
  for (let f = 0; f < folds; f++) {
    centroids.fill(0);
    present.fill(0);
    for (let g = 0; g < folds; g++) {
      if (g === f) continue;
      for (let c = 0; c < classCount; c++) {
        const base = (g * classCount + c) * dim;
        for (let d = 0; d < dim; d++) centroids[c * dim + d] += sums[base + d];
      }
    }
    for (let c = 0; c < classCount; c++) {
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += centroids[c * dim + d] ** 2;
      if (norm === 0) continue;
      present[c] = 1;
      const scale = 1 / Math.sqrt(norm);
      for (let d = 0; d < dim; d++) centroids[c * dim + d] *= scale;
    }
    const cos = new Float64Array(classCount);
    for (let i = 0; i < n; i++) {
      if (foldOf[i] !== f) continue;
      let best = -1;
      for (let c = 0; c < classCount; c++) {
        let dot = -1;
        if (present[c]) {
          dot = 0;
          for (let d = 0; d < dim; d++) dot += x[i * dim + d] * centroids[c * dim + d];
        }
        cos[c] = dot;
        if (dot > best) best = dot;
      }
      nearestCentroid[i] = best;
      let total = 0;
      for (let c = 0; c < classCount; c++) {
        cos[c] = Math.exp((cos[c] - best) / CENTROID_TEMPERATURE);
        total += cos[c];
      }
      for (let c = 0; c < classCount; c++) probabilities[i * classCount + c] = cos[c] / total;
    }
  }
  return { probabilities, nearestCentroid };
}
