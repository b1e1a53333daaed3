import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OOD_FILE, oodVerdict, readOodStatistics, writeOodStatistics } from './ood-artefact';
import type { OodStatistics } from './out-of-distribution';

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
