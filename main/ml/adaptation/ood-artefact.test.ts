import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fitAdaptedOodStatistics,
  fitRunOodStatistics,
  OOD_FILE,
  oodVerdict,
  readOodStatistics,
  writeOodStatistics,
} from './ood-artefact';
import { type OodStatistics, oodScores } from './out-of-distribution';
import { shiftedDomains } from './shifted-domains';

const stats: OodStatistics = {
  method: 'diagonal-mahalanobis-nearest-class',
  dim: 2,
  classMeans: [
    [0, 0],
    [4, 4],
  ],
  variance: [1, 1],
  threshold: 2,
  percentile: 95,
};
const dirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-ood-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('ood.json', () => {
  it('round-trips and gives a verdict from the nearest class centre', async () => {
    const dir = tempDir();
    await writeOodStatistics(dir, stats);
    const read = (await readOodStatistics(dir)) as OodStatistics;
    expect(read).toEqual(stats);
    expect(oodVerdict(read, Float32Array.from([4, 5]))).toEqual({ unlikeTraining: false, oodScore: 0.5 });
    expect(oodVerdict(read, Float32Array.from([10, -2]))?.unlikeTraining).toBe(true);
    expect(oodVerdict(read, Float32Array.from([1, 2, 3]))).toBeNull();
  });

  it('reads a missing, damaged or mis-shaped file as no statistics', async () => {
    const dir = tempDir();
    expect(await readOodStatistics(dir)).toBeNull();
    for (const text of [
      '{not json',
      'null',
      JSON.stringify({ ...stats, variance: [1] }),
      JSON.stringify({ ...stats, threshold: 'x' }),
    ]) {
      fs.writeFileSync(path.join(dir, OOD_FILE), text);
      expect(await readOodStatistics(dir), text).toBeNull();
    }
  });
});

describe('an adapted run’s statistics', () => {
  it('call new photos of the domain it was adapted to familiar, and photos of neither domain unlike', () => {
    const dim = 16;
    const domains = shiftedDomains({ dim, classCount: 3, perClass: 80, shift: 'diagonal', seed: 11 });
    // Half the target photos adapt the model (by its predictions: here their true classes); the
    // other half are new photos of that domain, which no statistic saw.
    const n = domains.target.y.length;
    const order = Array.from({ length: n }, (_, i) => i).filter((i) => i % 2 === 0);
    const rest = Array.from({ length: n }, (_, i) => i).filter((i) => i % 2 === 1);
    const rows = (ids: number[]) => {
      const x = new Float32Array(ids.length * dim);
      ids.forEach((i, k) => {
        x.set(domains.target.x.subarray(i * dim, (i + 1) * dim), k * dim);
      });
      return x;
    };
    const seen = { x: rows(order), predicted: Int32Array.from(order, (i) => domains.target.y[i]) };
    const fresh = rows(rest);
    const flagged = (stats: OodStatistics, x: Float32Array) =>
      Array.from(oodScores(stats, x)).filter((v) => v > stats.threshold).length / (x.length / dim);

    const source = fitRunOodStatistics({ train: domains.source, val: domains.sourceVal }, dim, 3) as OodStatistics;
    const adapted = fitAdaptedOodStatistics(domains.source, seen, domains.sourceVal.x, dim, 3) as OodStatistics;
    expect(adapted.classMeans).toHaveLength(6);
    expect(adapted.classMeans.slice(0, 3)).toEqual(source.classMeans);
    expect(flagged(source, fresh)).toBeGreaterThan(0.5);
    expect(flagged(adapted, fresh)).toBeLessThanOrEqual(0.15);
    expect(flagged(adapted, domains.sourceVal.x)).toBeLessThanOrEqual(0.1);
    const far = Float32Array.from({ length: dim }, () => 40);
    expect(oodVerdict(adapted, far)?.unlikeTraining).toBe(true);
  });

  it('keeps only the centres of classes its model predicts among the new photos', () => {
    const dim = 4;
    const domains = shiftedDomains({ dim, classCount: 3, perClass: 20, shift: 'diagonal', seed: 2 });
    const target = { x: domains.target.x, predicted: new Int32Array(domains.target.y.length).fill(2) };
    const stats = fitAdaptedOodStatistics(domains.source, target, domains.sourceVal.x, dim, 3) as OodStatistics;
    expect(stats.classMeans).toHaveLength(4);
  });
});
