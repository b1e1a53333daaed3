import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { predictWithHead } from '../head/head-model';
import { trainHead } from '../head/train-head';
import { accuracy } from '../metrics';
import { applyAffineMap, columnMoments, coralMap, standardisationMap } from './feature-alignment';
import { foldAffineIntoHead } from './fold-into-head';
import { shiftedDomains } from './shifted-domains';

async function sourceHead(domains: ReturnType<typeof shiftedDomains>) {
  const { source, sourceVal, classCount } = domains;
  const result = await trainHead(
    { dim: source.dim, classCount, train: { x: source.x, y: source.y }, val: { x: sourceVal.x, y: sourceVal.y } },
    { maxEpochs: 40 },
  );
  return result.artifacts;
}

describe('feature alignment', () => {
  it('standardisation gives the target the source mean and spread per dimension', () => {
    const { source, target } = shiftedDomains({ dim: 8, classCount: 3, perClass: 40, shift: 'diagonal', seed: 1 });
    const aligned = columnMoments({ x: applyAffineMap(standardisationMap(source, target), target.x), dim: 8 });
    const reference = columnMoments(source);
    for (let j = 0; j < 8; j++) {
      expect(aligned.mean[j]).toBeCloseTo(reference.mean[j], 4);
      expect(aligned.variance[j]).toBeCloseTo(reference.variance[j], 4);
    }
  });

  it.each([
    ['fewer photos than dimensions', 24, 5],
    ['more photos than dimensions', 10, 30],
  ])('CORAL’s matrix is Ct^(-1/2)·Cs^(1/2) of the full covariances (%s)', async (_, dim, perClass) => {
    const { source, target } = shiftedDomains({ dim, classCount: 3, perClass, shift: 'mixing', seed: 7 });
    const map = await coralMap(source, target);
    // Reference: each dim × dim regularised covariance decomposed whole.
    const power = (rows: typeof source, p: number) => {
      const { mean, variance } = columnMoments(rows);
      const n = rows.x.length / dim;
      const ridge = variance.reduce((a, b) => a + b, 0) / dim + 1e-12;
      const c = Matrix.zeros(dim, dim);
      for (let i = 0; i < n; i++)
        for (let a = 0; a < dim; a++)
          for (let b = 0; b < dim; b++)
            c.set(a, b, c.get(a, b) + ((rows.x[i * dim + a] - mean[a]) * (rows.x[i * dim + b] - mean[b])) / (n - 1));
      for (let a = 0; a < dim; a++) c.set(a, a, c.get(a, a) + ridge);
      const evd = new EigenvalueDecomposition(c, { assumeSymmetric: true });
      const v = evd.eigenvectorMatrix;
      const d = Matrix.diag(evd.realEigenvalues.map((x) => x ** p));
      return v.mmul(d).mmul(v.transpose());
    };
    const reference = power(target, -0.5).mmul(power(source, 0.5));
    let worst = 0;
    let scale = 0;
    for (let a = 0; a < dim; a++)
      for (let b = 0; b < dim; b++) {
        worst = Math.max(worst, Math.abs(map.kind === 'full' ? map.matrix[a * dim + b] - reference.get(a, b) : 1));
        scale = Math.max(scale, Math.abs(reference.get(a, b)));
      }
    expect(worst / scale).toBeLessThan(1e-4);
  });

  it('CORAL matches the target covariance to the source one (ridge aside)', async () => {
    const { source, target } = shiftedDomains({ dim: 6, classCount: 3, perClass: 200, shift: 'mixing', seed: 3 });
    const aligned = { x: applyAffineMap(await coralMap(source, target, 1e-6), target.x), dim: 6 };
    const a = columnMoments(aligned);
    const s = columnMoments(source);
    for (let j = 0; j < 6; j++) {
      expect(a.mean[j]).toBeCloseTo(s.mean[j], 2);
      expect(a.variance[j] / s.variance[j]).toBeCloseTo(1, 2);
    }
  });

  it('a head with the map folded in predicts on raw target features what the source head predicts on aligned ones', async () => {
    const domains = shiftedDomains({ dim: 16, classCount: 4, perClass: 60, shift: 'mixing', seed: 4 });
    const head = await sourceHead(domains);
    const { target } = domains;
    const n = target.y.length;
    for (const map of [standardisationMap(domains.source, target), await coralMap(domains.source, target)]) {
      const direct = await predictWithHead(head, applyAffineMap(map, target.x), n);
      const viaFold = await predictWithHead(await foldAffineIntoHead(head, map), target.x, n);
      let worst = 0;
      for (let i = 0; i < direct.length; i++) worst = Math.max(worst, Math.abs(direct[i] - viaFold[i]));
      expect(worst).toBeLessThan(1e-4);
    }
  });

  it.each([
    ['standardisation', 'diagonal' as const],
    ['CORAL', 'diagonal' as const],
  ])('%s undoes a %s shift that the source head fails on', async (method, shift) => {
    const domains = shiftedDomains({ dim: 16, classCount: 4, perClass: 60, shift, seed: 6 });
    const head = await sourceHead(domains);
    const { target, sourceVal, classCount } = domains;
    const map =
      method === 'CORAL' ? await coralMap(domains.source, target) : standardisationMap(domains.source, target);
    const score = async (h: typeof head, rows: typeof target) =>
      accuracy(rows.y, await predictWithHead(h, rows.x, rows.y.length), classCount);
    const before = await score(head, target);
    const after = await score(await foldAffineIntoHead(head, map), target);
    expect(await score(head, sourceVal)).toBeGreaterThan(0.9);
    expect(before).toBeLessThan(0.7);
    expect(after).toBeGreaterThan(before + 0.2);
  });

  it('refuses a map for another feature length and too few rows', async () => {
    const { source, target } = shiftedDomains({ dim: 4, classCount: 2, perClass: 5, shift: 'diagonal', seed: 5 });
    expect(() => standardisationMap(source, { x: new Float32Array(6), dim: 3 })).toThrow(RangeError);
    expect(() => standardisationMap(source, { x: target.x.subarray(0, 4), dim: 4 })).toThrow(/two rows/);
  });
});
