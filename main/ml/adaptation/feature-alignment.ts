// Feature-space alignment of a target domain's embeddings to the source domain's, as an affine
// map x' = x·M + t (row vectors) that a head can absorb (fold-into-head.ts), so an adapted model
// is the source backbone plus a new head and exports like any run.
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
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

/**
 * A covariance regularised by a ridge, in low-rank form: C = Xcᵀ·Xc/(n − 1) + ridge·I =
 * ridge·I + V·diag(values)·Vᵀ, where Xc are the centred rows, `values` the nonzero eigenvalues of
 * Xcᵀ·Xc/(n − 1) and V (dim × r, row-major, orthonormal columns) their eigenvectors; r ≤ min(n − 1, dim).
 * Any power is then Cᵖ = ridgeᵖ·I + V·diag((values + ridge)ᵖ − ridgeᵖ)·Vᵀ.
 */
interface LowRankCovariance {
  dim: number;
  ridge: number;
  basis: Float32Array;
  values: Float64Array;
}

/** Eigenvalues below this share of the largest are the zeros of a rank-deficient covariance. */
const RANK_TOLERANCE = 1e-9;

/**
 * The covariance of `rows` (around `mean`) with `ridge`·I added, as LowRankCovariance. With fewer
 * rows than dimensions it decomposes the n × n Gram matrix Xc·Xcᵀ/(n − 1), whose nonzero
 * eigenvalues are the covariance's, each eigenvector u giving the covariance's Xcᵀ·u/√((n − 1)·λ):
 * embeddings have more dimensions (448–1280) than a project has photos, so this is the small
 * problem; otherwise the dim × dim covariance itself. Symmetric eigendecomposition by ml-matrix
 * (Householder tridiagonalisation and QL, after JAMA), float64.
 */
async function lowRankCovariance(rows: FeatureRows, mean: Float64Array, ridge: number): Promise<LowRankCovariance> {
  const { tf } = await initTfjs();
  const { dim } = rows;
  const n = rows.x.length / dim;
  const centred = new Float32Array(rows.x.length);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) centred[i * dim + j] = rows.x[i * dim + j] - mean[j];
  const useGram = n < dim;
  const product = tf.tidy(() => {
    const c = tf.tensor2d(centred, [n, dim]);
    return (useGram ? tf.matMul(c, c, false, true) : tf.matMul(c, c, true, false)).div(n - 1);
  });
  const size = useGram ? n : dim;
  const flat = (await product.data()) as Float32Array;
  product.dispose();
  const square = Array.from({ length: size }, (_, i) =>
    Array.from({ length: size }, (_, j) => (flat[i * size + j] + flat[j * size + i]) / 2),
  );
  const evd = new EigenvalueDecomposition(new Matrix(square), { assumeSymmetric: true });
  const eigenvalues = evd.realEigenvalues;
  const largest = Math.max(0, ...eigenvalues);
  const kept = eigenvalues.flatMap((v, k) => (v > RANK_TOLERANCE * largest && v > 0 ? [k] : []));
  const vectors = evd.eigenvectorMatrix;
  const r = kept.length;
  const chosen = new Float32Array(size * r);
  kept.forEach((k, col) => {
    // A Gram eigenvector u gives the covariance's Xcᵀ·u/√((n − 1)·λ), made below in one product.
    const scale = useGram ? 1 / Math.sqrt((n - 1) * eigenvalues[k]) : 1;
    for (let i = 0; i < size; i++) chosen[i * r + col] = vectors.get(i, k) * scale;
  });
  let basis: Float32Array = chosen;
  if (useGram) {
    const mapped = tf.tidy(() => tf.matMul(tf.tensor2d(centred, [n, dim]), tf.tensor2d(chosen, [n, r]), true, false));
    basis = (await mapped.data()) as Float32Array;
    mapped.dispose();
  }
  return { dim, ridge, basis, values: Float64Array.from(kept, (k) => eigenvalues[k]) };
}

/** V·diag((values + ridge)ᵖ − ridgeᵖ), dim × r: the low-rank part of Cᵖ before its Vᵀ. */
function scaledBasis(c: LowRankCovariance, power: number): Float32Array {
  const r = c.values.length;
  const out = new Float32Array(c.basis.length);
  const base = c.ridge ** power;
  for (let k = 0; k < r; k++) {
    const factor = (c.values[k] + c.ridge) ** power - base;
    for (let j = 0; j < c.dim; j++) out[j * r + k] = c.basis[j * r + k] * factor;
  }
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
 * folds into it. Both roots come from each covariance's low-rank form (lowRankCovariance), so
 * with n photos in all the cost is about n²·dim + n³ + 2·r·dim² rather than a dim × dim matrix
 * function (1280-d: Newton–Schulz square roots took 74–173 s, docs/BENCHMARKS.md). float64
 * decompositions, float32 products. Throws RangeError for fewer than two rows or unequal dims.
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
  const cs = await lowRankCovariance(source, s.mean, ridgeRatio * meanOf(s.variance) + 1e-12);
  const ct = await lowRankCovariance(target, t.mean, ridgeRatio * meanOf(t.variance) + 1e-12);
  // Ct^{-1/2}·Cs^{1/2} = (a·I + P·Vtᵀ)(b·I + Q·Vsᵀ) with a = ridge_t^{-1/2}, b = ridge_s^{1/2}:
  // a·b·I + (a·Q + P·(Vtᵀ·Vs)·Ds)·Vsᵀ + b·P·Vtᵀ, where Q = Vs·Ds — two dim × r products.
  const a = ct.ridge ** -0.5;
  const b = cs.ridge ** 0.5;
  const rt = ct.values.length;
  const rs = cs.values.length;
  const { tf } = await initTfjs();
  const product = tf.tidy(() => {
    const vt = tf.tensor2d(ct.basis, [dim, rt]);
    const vs = tf.tensor2d(cs.basis, [dim, rs]);
    const p = tf.tensor2d(scaledBasis(ct, -0.5), [dim, rt]);
    const q = tf.tensor2d(scaledBasis(cs, 0.5), [dim, rs]);
    const ds = tf.tensor1d(Float32Array.from(cs.values, (v) => (v + cs.ridge) ** 0.5 - b));
    const left = q.mul(a).add(tf.matMul(p, tf.matMul(vt, vs, true, false)).mul(ds));
    return tf
      .matMul(left, vs, false, true)
      .add(tf.matMul(p, vt, false, true).mul(b))
      .add(tf.eye(dim).mul(a * b));
  });
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
