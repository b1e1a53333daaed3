// What "Compare backbones" reports: per backbone, a cross-validated linear probe's accuracy on a
// project's own labelled photos and how fast the backbone embedded them.
import type { Id } from './contract';

export interface BackboneComparisonRow {
  backboneId: string;
  name: string;
  source: 'bundled' | 'imported';
  featureDim: number;
  isDefault: boolean;
  /** 'ok': scored; 'skipped': could not run (see reason). */
  status: 'ok' | 'skipped';
  /** Mean accuracy (0-1) over the held-out folds; null when skipped. */
  accuracy: number | null;
  /** Standard deviation of the fold accuracies (0-1); null when skipped. */
  spread: number | null;
  /** Photos embedded per second during this compare; null when every vector came from the cache (or skipped). */
  photosPerSecond: number | null;
  /** Photos whose vectors were already cached. */
  cached: number;
  /** Photos this backbone could not read (left out of its score). */
  failed: number;
  /** Why the backbone was skipped, or null. */
  reason: string | null;
}

export interface BackboneComparison {
  projectId: Id;
  /** Labelled photos compared (every split: the probe makes its own folds). */
  photos: number;
  classes: number;
  /** Folds of the stratified cross-validation (5, fewer when a class is small). */
  folds: number;
  /** Why fewer than 5 folds, or null. */
  foldsNote: string | null;
  /** Labelled photos in the smallest class. */
  smallestClass: number;
  seed: number;
  /** Ranked: best accuracy first, skipped backbones last. */
  rows: BackboneComparisonRow[];
  seconds: number;
  finishedAt: string;
}

export interface BackboneCompareProgress {
  jobId: Id;
  projectId: Id;
  backboneId: string;
  backboneName: string;
  /** 1-based position of this backbone among `backboneCount`. */
  backboneIndex: number;
  backboneCount: number;
  phase: 'embedding' | 'probing';
  done: number;
  total: number;
}

export interface BackboneCompareFinished {
  jobId: Id;
  projectId: Id;
  status: 'finished' | 'cancelled' | 'failed';
  error: string | null;
  comparison: BackboneComparison | null;
}

/** Fewer photos than this in the smallest class per held-out fold make fold accuracies too coarse to rank by. */
export const MIN_PHOTOS_PER_CLASS_PER_FOLD = 2;

/** Whether a comparison names one backbone as better, and what to tell the person either way. */
export interface ComparisonVerdict {
  /** The best-ranked backbone when it leads the runner-up by more than either one's spread, else null. */
  winner: BackboneComparisonRow | null;
  message: string;
}

/**
 * Reads a ranked comparison as a person should: the first row wins only if its lead over the second
 * is larger than both fold spreads (one standard deviation each) and the folds hold enough photos of
 * every class to be scored; otherwise the ranking may be noise and the message says so.
 */
export function comparisonVerdict(comparison: BackboneComparison): ComparisonVerdict {
  const { smallestClass } = comparison;
  const scored = comparison.rows.filter((r) => r.status === 'ok' && r.accuracy !== null);
  if (scored.length === 0) return { winner: null, message: 'No backbone could be scored on these photos.' };
  const [best, second] = scored;
  if (smallestClass / comparison.folds < MIN_PHOTOS_PER_CLASS_PER_FOLD) {
    return {
      winner: null,
      message: `Too few photos to rank reliably: the smallest class has ${smallestClass} photos for ${comparison.folds} folds. Label more photos and compare again.`,
    };
  }
  if (!second) return { winner: best, message: `${best.name} is the only backbone scored.` };
  const lead = (best.accuracy ?? 0) - (second.accuracy ?? 0);
  if (lead > Math.max(best.spread ?? 0, second.spread ?? 0)) {
    return { winner: best, message: `${best.name} leads by more than the spread between folds.` };
  }
  return {
    winner: null,
    message: `${best.name} and ${second.name} are within each other's spread: on these photos the ranking may be noise.`,
  };
}
