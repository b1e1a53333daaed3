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
