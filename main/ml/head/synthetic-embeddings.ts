// Seeded Gaussian clusters on the unit sphere, standing in for a backbone's L2-normalised
// embeddings in tests and tuning runs.

import { seededRandom } from '../../../common/seeded-random';
import type { HeadDataset } from './head-dataset';

export interface ClusterSpec {
  dim: number;
  classCount: number;
  /** Examples per class; one number for all classes or one per class. */
  train: number | number[];
  val: number | number[];
  /** Standard deviation of the noise added to each coordinate of a class centre. */
  noise: number;
  seed: number;
  /** Adds `val.xFlip`: a second noisy view of each validation example. */
  flipViews?: boolean;
}

export function syntheticEmbeddings(spec: ClusterSpec): HeadDataset {
  const random = seededRandom(spec.seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const { dim, classCount } = spec;
  const centres = Array.from({ length: classCount }, () => normalised(Array.from({ length: dim }, gaussian)));
  const perClass = (counts: number | number[]) =>
    Array.from({ length: classCount }, (_, c) => (typeof counts === 'number' ? counts : counts[c]));
  const sample = (labels: Int32Array) => {
    const x = new Float32Array(labels.length * dim);
    labels.forEach((c, i) => {
      x.set(normalised(centres[c].map((v) => v + spec.noise * gaussian())), i * dim);
    });
    return x;
  };
  const labelsFor = (counts: number | number[]) =>
    Int32Array.from(perClass(counts).flatMap((count, c) => new Array<number>(count).fill(c)));
  const trainY = labelsFor(spec.train);
  const valY = labelsFor(spec.val);
  const train = { x: sample(trainY), y: trainY };
  const val = { x: sample(valY), y: valY };
  return { dim, classCount, train, val: spec.flipViews ? { ...val, xFlip: sample(valY) } : val };
}

function normalised(v: number[]): number[] {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}
