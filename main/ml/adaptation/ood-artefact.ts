// The out-of-distribution statistics a finished run keeps beside its head (ood.json), and the
// per-photo verdict Predict and batch predict attach to each answer. Runs trained before the
// statistics existed have no file: they give no verdict instead of failing.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fitOodStatistics, type OodStatistics, oodScores } from './out-of-distribution';

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
 * The statistics in `<dir>/ood.json`, or null when the run has none (older runs, fine-tuning
 * runs) or the file is unreadable or malformed — the caller then gives no out-of-distribution verdict.
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
 * The statistics of a head run: class means and spread from its training embeddings (`train.x`,
 * n × dim; `train.y` class indices), threshold from its validation embeddings. Null when a class
 * has no training photo or there is no validation photo, so the run simply gives no verdict.
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
