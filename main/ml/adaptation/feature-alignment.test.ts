import { describe, expect, it } from 'vitest';
import { predictWithHead } from '../head/head-model';
import { trainHead } from '../head/train-head';
import { accuracy } from '../metrics';
import { applyAffineMap, columnMoments, coralMap, spdSquareRoots, standardisationMap } from './feature-alignment';
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

  it('square roots of a covariance multiply back to it and to the identity', async () => {
    const { source } = shiftedDomains({ dim: 12, classCount: 2, perClass: 30, shift: 'mixing', seed: 2 });
    const { mean } = columnMoments(source);
    const n = source.x.length / 12;
    const c = new Float32Array(144);
    for (let i = 0; i < n; i++)
      for (let a = 0; a < 12; a++)
        for (let b = 0; b < 12; b++)
          c[a * 12 + b] += ((source.x[i * 12 + a] - mean[a]) * (source.x[i * 12 + b] - mean[b])) / (n - 1);
    for (let a = 0; a < 12; a++) c[a * 13] += 0.1;
    const { root, inverseRoot } = await spdSquareRoots(c, 12);
    for (let a = 0; a < 12; a++) {
      for (let b = 0; b < 12; b++) {
        let square = 0;
        let identity = 0;
        for (let k = 0; k < 12; k++) {
          square += root[a * 12 + k] * root[k * 12 + b];
          identity += root[a * 12 + k] * inverseRoot[k * 12 + b];
        }
        expect(square).toBeCloseTo(c[a * 12 + b], 3);
        expect(identity).toBeCloseTo(a === b ? 1 : 0, 3);
      }
    }
  });

  it('square roots of a 256-d embedding covariance stop once float32 converges, well before 60 steps', async () => {
    const dim = 256;
    const { source } = shiftedDomains({ dim, classCount: 4, perClass: 100, shift: 'mixing', seed: 5 });
    const { mean, variance } = columnMoments(source);
    const n = source.x.length / dim;
    const c = new Float32Array(dim * dim);
    for (let i = 0; i < n; i++)
      for (let a = 0; a < dim; a++) {
        const da = source.x[i * dim + a] - mean[a];
        for (let b = 0; b < dim; b++) c[a * dim + b] += (da * (source.x[i * dim + b] - mean[b])) / (n - 1);
      }
    const ridge = variance.reduce((x, y) => x + y, 0) / dim;
    for (let a = 0; a < dim; a++) c[a * (dim + 1)] += ridge;
    const { root, inverseRoot, steps } = await spdSquareRoots(c, dim);
    expect(steps).toBeLessThanOrEqual(20);
    let worst = 0;
    let scale = 0;
    for (let a = 0; a < dim; a++) {
      scale = Math.max(scale, Math.abs(c[a * (dim + 1)]));
      for (let b = 0; b < dim; b++) {
        let square = 0;
        let identity = 0;
        for (let k = 0; k < dim; k++) {
          square += root[a * dim + k] * root[k * dim + b];
          identity += root[a * dim + k] * inverseRoot[k * dim + b];
        }
        worst = Math.max(worst, Math.abs(identity - (a === b ? 1 : 0)));
        expect(Math.abs(square - c[a * dim + b])).toBeLessThan(1e-3 * scale);
      }
    }
    expect(worst).toBeLessThan(1e-3);
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
