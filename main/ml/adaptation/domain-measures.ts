// What can be measured of a domain without its labels: how sure and how spread the head's
// predictions are, and how far apart two domains' embeddings lie.

import type { DomainPredictionSummary } from '../../../common/adaptation';
import { permutation, seededRandom } from '../../../common/seeded-random';
import { argmaxRows } from '../metrics';
import type { FeatureRows } from './feature-alignment';

const BINS = 10;

/** Summary of n × classCount probabilities (row-major). */
export function summarisePredictions(probabilities: Float32Array, classCount: number): DomainPredictionSummary {
  const n = probabilities.length / classCount;
  const confidenceHistogram = new Array<number>(BINS).fill(0);
  const entropyHistogram = new Array<number>(BINS).fill(0);
  const counts = new Array<number>(classCount).fill(0);
  const predicted = argmaxRows(probabilities, classCount);
  let confidenceSum = 0;
  let entropySum = 0;
  for (let i = 0; i < n; i++) {
    const confidence = probabilities[i * classCount + predicted[i]];
    let entropy = 0;
    for (let c = 0; c < classCount; c++) {
      const p = probabilities[i * classCount + c];
      if (p > 0) entropy -= p * Math.log(p);
    }
    const normalised = classCount > 1 ? entropy / Math.log(classCount) : 0;
    confidenceHistogram[Math.min(BINS - 1, Math.floor(confidence * BINS))]++;
    entropyHistogram[Math.min(BINS - 1, Math.floor(normalised * BINS))]++;
    counts[predicted[i]]++;
    confidenceSum += confidence;
    entropySum += normalised;
  }
  return {
    count: n,
    confidenceHistogram,
    entropyHistogram,
    classProportions: counts.map((c) => (n === 0 ? 0 : c / n)),
    meanConfidence: n === 0 ? 0 : confidenceSum / n,
    meanEntropy: n === 0 ? 0 : entropySum / n,
  };
}

function sampleRows(rows: FeatureRows, limit: number, random: () => number): Float32Array[] {
  const n = rows.x.length / rows.dim;
  const order = permutation(n, random);
  return Array.from(order.slice(0, Math.min(limit, n)), (i) => rows.x.subarray(i * rows.dim, (i + 1) * rows.dim));
}

function squaredDistance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) {
    const d = a[j] - b[j];
    s += d * d;
  }
  return s;
}

/**
 * Squared maximum mean discrepancy between two domains (Gretton et al. 2012, biased estimate)
 * with a Gaussian kernel whose bandwidth is the median pairwise squared distance of the pooled
 * rows (the median heuristic); at most `limit` rows of each domain, drawn with `seed`. 0 = same
 * distribution; larger = further apart. Unitless, comparable only within one embedding space.
 */
export function maximumMeanDiscrepancy(a: FeatureRows, b: FeatureRows, seed: number, limit = 400): number {
  const random = seededRandom(seed);
  const xa = sampleRows(a, limit, random);
  const xb = sampleRows(b, limit, random);
  const pooled = [...xa, ...xb];
  const distances: number[] = [];
  for (let i = 0; i < pooled.length; i++)
    for (let j = i + 1; j < pooled.length; j++) distances.push(squaredDistance(pooled[i], pooled[j]));
  const sorted = Float64Array.from(distances).sort();
  const bandwidth = Math.max(sorted[Math.floor(sorted.length / 2)] ?? 1, 1e-12);
  const meanKernel = (p: Float32Array[], q: Float32Array[]) => {
    let s = 0;
    for (const u of p) for (const v of q) s += Math.exp(-squaredDistance(u, v) / bandwidth);
    return s / (p.length * q.length);
  };
  return Math.max(0, meanKernel(xa, xa) + meanKernel(xb, xb) - 2 * meanKernel(xa, xb));
}

/**
 * Area under the ROC curve of a score meant to be higher for `positives` than `negatives`: the
 * probability a random positive outscores a random negative, ties counting half (Mann–Whitney U).
 */
export function areaUnderRoc(negatives: ArrayLike<number>, positives: ArrayLike<number>): number {
  const all = [
    ...Array.from(negatives, (s) => ({ s, positive: false })),
    ...Array.from(positives, (s) => ({ s, positive: true })),
  ].sort((p, q) => p.s - q.s);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j].s === all[i].s) j++;
    const rank = (i + j + 1) / 2;
    for (let k = i; k < j; k++) if (all[k].positive) rankSum += rank;
    i = j;
  }
  const np = positives.length;
  const nn = negatives.length;
  if (np === 0 || nn === 0) return Number.NaN;
  return (rankSum - (np * (np + 1)) / 2) / (np * nn);
}
