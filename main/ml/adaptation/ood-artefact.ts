// The out-of-distribution statistics a finished run keeps beside its head (ood.json), and the
// per-photo verdict Predict and batch predict attach to each answer. Runs trained before the
// statistics existed have no file: they give no verdict instead of failing.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fitOodStatistics, type OodStatistics, oodScores, percentileOf } from './out-of-distribution';

/** File name of the statistics in a run folder and in an exported model's folder. */
export const OOD_FILE = 'ood.json';

/** Writes `stats` as `<dir>/ood.json` (JSON, numbers as written by JSON.stringify). */
export async function writeOodStatistics(dir: string, stats: OodStatistics): Promise<void> {
  await fs.writeFile(path.join(dir, OOD_FILE), `${JSON.stringify(stats)}\n`);
}

function isStatistics(v: unknown): v is OodStatistics {
  const s = v as OodStatistics;
  return (
    typeof s === 'object' &&
    s !== null &&
    s.method === 'diagonal-mahalanobis-nearest-class' &&
    Number.isInteger(s.dim) &&
    Number.isFinite(s.threshold) &&
    Array.isArray(s.variance) &&
    s.variance.length === s.dim &&
    Array.isArray(s.classMeans) &&
    s.classMeans.length > 0 &&
    s.classMeans.every((m) => Array.isArray(m) && m.length === s.dim)
  );
}

/**
 * The statistics in `<dir>/ood.json`, or null when the run has none (runs from before every run
 * kept them) or the file is unreadable or malformed — the caller then gives no out-of-distribution verdict.
 */
export async function readOodStatistics(dir: string): Promise<OodStatistics | null> {
  try {
    const parsed: unknown = JSON.parse(await fs.readFile(path.join(dir, OOD_FILE), 'utf8'));
    return isStatistics(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/** A photo's verdict: its score (see `oodScores`) and whether it is above the run's threshold. */
export interface OodVerdict {
  unlikeTraining: boolean;
  oodScore: number;
}

/** The verdict for one embedding of `stats.dim` values; null when the dimensions differ. */
export function oodVerdict(stats: OodStatistics, embedding: Float32Array): OodVerdict | null {
  if (embedding.length !== stats.dim) return null;
  const score = oodScores(stats, embedding)[0];
  return { unlikeTraining: score > stats.threshold, oodScore: score };
}

/**
 * The statistics of a run: class means and spread from its training photos' features (`train.x`,
 * n × dim, as Predict computes them for this run's backbone; `train.y` class indices), threshold
 * from its validation photos' features. Used for feature-extraction runs (the backbone's
 * embeddings) and fine-tuning runs (the fine-tuned backbone's features). Null when a class has no
 * training photo or there is no validation photo, so the run simply gives no verdict.
 */
export function fitRunOodStatistics(
  head: { train: { x: Float32Array; y: Int32Array }; val: { x: Float32Array } },
  dim: number,
  classCount: number,
): OodStatistics | null {
  if (head.val.x.length === 0) return null;
  try {
    return fitOodStatistics({ x: head.train.x, dim }, head.train.y, classCount, head.val.x);
  } catch (err) {
    if (err instanceof RangeError) return null;
    throw err;
  }
}

/**
 * The statistics of an adapted run. Its model is meant for two kinds of photo: the training
 * domain's and the new domain's it was adapted to, so a photo is "unlike the training photos" only
 * when it is far from both. Centres: one per class of the source training photos (by their labels,
 * in class order, as for any run), then one per class the adapted model predicts among the target
 * photos (by that prediction: target labels only ever measure, and most target photos have none).
 * The spread is pooled within all centres. Features are the run's backbone's (what its head reads:
 * an alignment is folded into the head, so the raw embedding is what Predict scores).
 * Threshold: the larger of the 95th percentiles of the source validation photos' scores and of
 * the target photos' leave-one-out scores (each against its own centre rebuilt without it), so
 * about 5% of new photos of either domain are flagged — a new domain is often more varied than the
 * training photos, and a threshold from the validation photos alone flagged most of its photos.
 * `source.y` and `target.predicted` are class indices 0..classCount−1; null as fitRunOodStatistics.
 */
export function fitAdaptedOodStatistics(
  source: { x: Float32Array; y: Int32Array },
  target: { x: Float32Array; predicted: Int32Array },
  validation: Float32Array,
  dim: number,
  classCount: number,
): OodStatistics | null {
  const targetClasses = [...new Set(target.predicted)].sort((a, b) => a - b);
  const centreOf = new Map(targetClasses.map((c, i) => [c, classCount + i]));
  const centres = Int32Array.from(target.predicted, (c) => centreOf.get(c) as number);
  const x = new Float32Array(source.x.length + target.x.length);
  x.set(source.x);
  x.set(target.x, source.x.length);
  const y = Int32Array.from([...source.y, ...centres]);
  const stats = fitRunOodStatistics(
    { train: { x, y }, val: { x: validation } },
    dim,
    classCount + targetClasses.length,
  );
  if (!stats || centres.length === 0) return stats;
  const sizes = new Map<number, number>();
  for (const c of centres) sizes.set(c, (sizes.get(c) ?? 0) + 1);
  const heldOut = leaveOneOutScores(stats, target.x, centres, sizes);
  return { ...stats, threshold: Math.max(stats.threshold, percentileOf(heldOut, stats.percentile)) };
}

/**
 * `oodScores` of rows that helped build centre `centres[i]`, as if they had not: with n photos,
 * a photo's offset from the mean of the other n − 1 is n/(n − 1) times its offset from the mean
 * of all n (the shared spread is kept). A photo alone in its centre has only the other centres.
 */
function leaveOneOutScores(
  stats: OodStatistics,
  x: Float32Array,
  centres: Int32Array,
  sizes: Map<number, number>,
): Float64Array {
  const { dim } = stats;
  return Float64Array.from(centres, (own, i) => {
    let best = Number.POSITIVE_INFINITY;
    stats.classMeans.forEach((mean, c) => {
      const n = sizes.get(c) ?? 0;
      if (c === own && n < 2) return;
      const stretch = c === own ? (n / (n - 1)) ** 2 : 1;
      let s = 0;
      for (let j = 0; j < dim; j++) {
        const d = x[i * dim + j] - mean[j];
        s += (d * d) / stats.variance[j];
      }
      best = Math.min(best, s * stretch);
    });
    return best / dim;
  });
}
