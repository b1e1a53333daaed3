// Feature-space alignment of a target domain's embeddings to the source domain's, as an affine
// map x' = x·M + t (row vectors) that a head can absorb (fold-into-head.ts), so an adapted model
// is the source backbone plus a new head and exports like any run.
import type { Tensor2D } from '@tensorflow/tfjs';
import { initTfjs } from '../tfjs-backend';

/** Rows of `dim` values, row-major: n = x.length / dim. */
export interface FeatureRows {
  x: Float32Array;
  dim: number;
}

/**
 * x' = x·M + t. `scale` is a diagonal M (per-dimension), `matrix` a full dim×dim M (row-major);
 * exactly one of them is set.
 */
export type AffineMap =
  | { kind: 'diagonal'; dim: number; scale: Float32Array; shift: Float32Array }
  | { kind: 'full'; dim: number; matrix: Float32Array; shift: Float32Array };

/** Smallest standard deviation a dimension is divided by, so a constant feature stays finite. */
const MIN_STD = 1e-6;

function rowCount({ x, dim }: FeatureRows): number {
  if (dim <= 0 || x.length % dim !== 0) throw new RangeError(`${x.length} values are not rows of ${dim}`);
  const n = x.length / dim;
  if (n < 2) throw new RangeError('At least two rows are needed to estimate a spread.');
  return n;
}

/** Per-dimension mean and (unbiased) variance, in float64. */
export function columnMoments(rows: FeatureRows): { mean: Float64Array; variance: Float64Array } {
  const n = rowCount(rows);
  const { x, dim } = rows;
  const mean = new Float64Array(dim);
  const variance = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += x[i * dim + j];
  for (let j = 0; j < dim; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) {
      const d = x[i * dim + j] - mean[j];
      variance[j] += d * d;
    }
  }
  for (let j = 0; j < dim; j++) variance[j] /= n - 1;
  return { mean, variance };
}

/**
 * Per-domain standardisation: each target dimension is given the source's mean and standard
 * deviation, x' = (x − μt)·σs/σt + μs (the feature-space analogue of AdaBN, Li et al. 2016).
 * Throws RangeError when a domain has fewer than two rows or the dims differ.
 */
export function standardisationMap(source: FeatureRows, target: FeatureRows): AffineMap {
  if (source.dim !== target.dim) throw new RangeError('Source and target features differ in length.');
  const s = columnMoments(source);
  const t = columnMoments(target);
  const scale = new Float32Array(source.dim);
  const shift = new Float32Array(source.dim);
  for (let j = 0; j < source.dim; j++) {
    scale[j] = Math.max(Math.sqrt(s.variance[j]), MIN_STD) / Math.max(Math.sqrt(t.variance[j]), MIN_STD);
    shift[j] = s.mean[j] - t.mean[j] * scale[j];
  }
  return { kind: 'diagonal', dim: source.dim, scale, shift };
}

/** Covariance (dim×dim, row-major, float32) with `ridge`·I added. */
async function covariance(rows: FeatureRows, mean: Float64Array, ridge: number): Promise<Float32Array> {
  const { tf } = await initTfjs();
  const n = rows.x.length / rows.dim;
  const centred = new Float32Array(rows.x.length);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < rows.dim; j++) centred[i * rows.dim + j] = rows.x[i * rows.dim + j] - mean[j];
  const out = tf.tidy(() => {
    const c = tf.tensor2d(centred, [n, rows.dim]);
    return tf
      .matMul(c, c, true, false)
      .div(n - 1)
      .add(tf.eye(rows.dim).mul(ridge));
  });
  const values = (await out.data()) as Float32Array;
  out.dispose();
  return values;
}

/** Iterations of the coupled Newton–Schulz square root; it stops earlier once converged. */
const NEWTON_SCHULZ_MAX_STEPS = 60;
const NEWTON_SCHULZ_TOLERANCE = 1e-6;
/** A step that shrinks the residual by less than this factor has reached float32's floor. */
const NEWTON_SCHULZ_STALL = 0.5;

/** Power-iteration steps for the largest eigenvalue (matrix–vector products: cheap). */
const POWER_STEPS = 30;

/**
 * The largest eigenvalue of a symmetric positive semi-definite matrix by power iteration from
 * the all-ones vector (Rayleigh quotient), never below ‖A‖F/√dim (a lower bound of it).
 * Scaling by it instead of ‖A‖F (up to √dim larger) leaves the small eigenvalues larger, so
 * Newton–Schulz needs fewer steps; the Rayleigh quotient's small underestimate keeps the scaled
 * eigenvalues well inside the iteration's (0, 2) convergence interval.
 */
async function spectralNormEstimate(matrix: Tensor2D): Promise<number> {
  const { tf } = await initTfjs();
  const dim = matrix.shape[0];
  const estimate = tf.tidy(() => {
    let v = tf.ones([dim, 1]).div(Math.sqrt(dim));
    for (let i = 0; i < POWER_STEPS - 1; i++) {
      const w = tf.matMul(matrix, v);
      v = w.div(tf.norm(w).add(1e-30));
    }
    const rayleigh = tf.sum(v.mul(tf.matMul(matrix, v)));
    return tf.maximum(rayleigh, tf.norm(matrix).div(Math.sqrt(dim)));
  });
  const value = (await estimate.data())[0];
  estimate.dispose();
  return value;
}

/**
 * A^{1/2} and A^{-1/2} of a symmetric positive definite dim×dim matrix by the coupled
 * Newton–Schulz iteration (Higham, "Functions of Matrices", 2008, eq. 6.35) on A/λmax:
 * only matrix products, so it runs on the tfjs backend. float32 throughout. Each step makes
 * Z·Y once and reads both the residual ‖I − Z·Y‖F/√dim and T = (3I − Z·Y)/2 from it (three
 * products a step); it stops at the tolerance or once the residual stops shrinking quadratically
 * (float32 cannot go lower), so a 1280-d matrix does not run all 60 steps. `steps`: steps taken.
 */
export async function spdSquareRoots(
  a: Float32Array,
  dim: number,
): Promise<{ root: Float32Array; inverseRoot: Float32Array; steps: number }> {
  const { tf } = await initTfjs();
  const matrix = tf.tensor2d(a, [dim, dim]);
  const norm = await spectralNormEstimate(matrix);
  const identity = tf.eye(dim);
  let y: Tensor2D = matrix.div(norm);
  let z: Tensor2D = tf.eye(dim);
  matrix.dispose();
  let previous = Number.POSITIVE_INFINITY;
  let steps = 0;
  for (; steps < NEWTON_SCHULZ_MAX_STEPS; steps++) {
    const zy = tf.matMul(z, y);
    const residual = tf.tidy(() => tf.norm(identity.sub(zy)).div(Math.sqrt(dim)));
    const r = (await residual.data())[0];
    residual.dispose();
    if (r < NEWTON_SCHULZ_TOLERANCE || (r < 1e-3 && r > NEWTON_SCHULZ_STALL * previous)) {
      zy.dispose();
      break;
    }
    previous = r;
    const t = tf.tidy(() => identity.mul(3).sub(zy).div(2));
    zy.dispose();
    const nextY: Tensor2D = tf.matMul(y, t);
    const nextZ: Tensor2D = tf.matMul(t, z);
    t.dispose();
    y.dispose();
    z.dispose();
    y = nextY;
    z = nextZ;
  }
  const root = tf.tidy(() => y.mul(Math.sqrt(norm)));
  const inverseRoot = tf.tidy(() => z.div(Math.sqrt(norm)));
  const out = {
    root: (await root.data()) as Float32Array,
    inverseRoot: (await inverseRoot.data()) as Float32Array,
    steps,
  };
  for (const t of [y, z, identity, root, inverseRoot]) t.dispose();
  return out;
}

/**
 * Identity regularisation of a covariance, relative to its scale: `ratio` × the mean variance.
 * CORAL adds I to covariances of standardised features (Sun et al. 2016, "Return of
 * Frustratingly Easy Domain Adaptation"), i.e. ratio 1 of a mean variance of 1; embeddings here
 * are L2-normalised (mean variance ≈ 1/dim), so the ridge follows their scale instead.
 */
export const CORAL_RIDGE_RATIO = 1;

/**
 * CORAL as a map of target features onto the source's second-order statistics:
 * x' = (x − μt)·Ct^{-1/2}·Cs^{1/2} + μs, with each C regularised by `ridgeRatio`·mean variance·I.
 * Sun et al. recolour the source with the target's covariance and retrain the classifier; this is
 * the same pair of transforms applied the other way round, so the source head is kept and the map
 * folds into it. Throws RangeError for fewer than two rows or unequal dims.
 */
export async function coralMap(
  source: FeatureRows,
  target: FeatureRows,
  ridgeRatio = CORAL_RIDGE_RATIO,
): Promise<AffineMap> {
  if (source.dim !== target.dim) throw new RangeError('Source and target features differ in length.');
  const { dim } = source;
  const s = columnMoments(source);
  const t = columnMoments(target);
  const meanOf = (v: Float64Array) => v.reduce((a, b) => a + b, 0) / dim;
  const cs = await covariance(source, s.mean, ridgeRatio * meanOf(s.variance) + 1e-12);
  const ct = await covariance(target, t.mean, ridgeRatio * meanOf(t.variance) + 1e-12);
  const sourceRoots = await spdSquareRoots(cs, dim);
  const targetRoots = await spdSquareRoots(ct, dim);
  const { tf } = await initTfjs();
  const product = tf.tidy(() =>
    tf.matMul(tf.tensor2d(targetRoots.inverseRoot, [dim, dim]), tf.tensor2d(sourceRoots.root, [dim, dim])),
  );
  const matrix = (await product.data()) as Float32Array;
  product.dispose();
  const shift = new Float32Array(dim);
  for (let k = 0; k < dim; k++) {
    let projected = 0;
    for (let j = 0; j < dim; j++) projected += t.mean[j] * matrix[j * dim + k];
    shift[k] = s.mean[k] - projected;
  }
  return { kind: 'full', dim, matrix, shift };
}

/** The map applied to every row. */
export function applyAffineMap(map: AffineMap, x: Float32Array): Float32Array {
  const { dim } = map;
  const n = x.length / dim;
  const out = new Float32Array(x.length);
  for (let i = 0; i < n; i++) {
    const row = i * dim;
    for (let k = 0; k < dim; k++) {
      let v = map.shift[k];
      if (map.kind === 'diagonal') v += x[row + k] * map.scale[k];
      else for (let j = 0; j < dim; j++) v += x[row + j] * map.matrix[j * dim + k];
      out[row + k] = v;
    }
  }
  return out;
}
