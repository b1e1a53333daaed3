import { HeadTrainingError } from './head-errors';

/** n examples: `x` holds n rows of `dim` floats, `y` their class indices. */
export interface EmbeddingSplit {
  x: Float32Array;
  y: Int32Array;
}

export interface HeadDataset {
  dim: number;
  classCount: number;
  /** May already include mirrored-photo embeddings as extra examples. */
  train: EmbeddingSplit;
  /** `xFlip`, row for row, holds the mirrored photos' embeddings for test-time averaging. */
  val: EmbeddingSplit & { xFlip?: Float32Array };
}

export function rows(split: EmbeddingSplit): number {
  return split.y.length;
}

/** Throws DATASET_INVALID saying what is wrong with the shapes, labels or values. */
export function checkHeadDataset(data: HeadDataset): void {
  const fail = (message: string): never => {
    throw new HeadTrainingError('DATASET_INVALID', message);
  };
  if (!Number.isInteger(data.dim) || data.dim < 1) fail(`Embedding size must be 1 or more, got ${data.dim}.`);
  if (!Number.isInteger(data.classCount) || data.classCount < 2) fail('Training needs at least two classes.');
  const checkMatrix = (name: string, x: Float32Array, n: number) => {
    if (x.length !== n * data.dim) fail(`${name} has ${x.length} values, expected ${n} x ${data.dim}.`);
    if (!x.every(Number.isFinite)) fail(`${name} contains a value that is not a finite number.`);
  };
  const checkLabels = (name: string, y: Int32Array) => {
    if (y.some((c) => c < 0 || c >= data.classCount)) fail(`${name} has a label outside 0..${data.classCount - 1}.`);
  };
  if (rows(data.train) === 0) fail('The training split is empty.');
  if (rows(data.val) === 0) fail('The validation split is empty.');
  checkMatrix('Training embeddings', data.train.x, rows(data.train));
  checkLabels('The training split', data.train.y);
  checkMatrix('Validation embeddings', data.val.x, rows(data.val));
  checkLabels('The validation split', data.val.y);
  if (data.val.xFlip) checkMatrix('Mirrored validation embeddings', data.val.xFlip, rows(data.val));
}

/**
 * Per-class weights n / (k * count) over the k classes present, so the weighted examples
 * average to 1 and every present class carries the same total weight.
 */
export function inverseFrequencyWeights(y: Int32Array, classCount: number): Float32Array {
  const counts = new Float64Array(classCount);
  for (const c of y) counts[c]++;
  const present = counts.filter((n) => n > 0).length;
  return Float32Array.from(counts, (n) => (n === 0 ? 0 : y.length / (present * n)));
}
