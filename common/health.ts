// Dataset health and dataset export: what crosses the contract for them (see contract.ts).
import type { Id, LabelOrigin, Split } from './contract';

export type HealthFindingKind =
  | 'label-conflict'
  | 'leakage'
  | 'near-duplicate'
  | 'likely-mislabel'
  | 'class-imbalance'
  | 'odd-photo'
  | 'outlier';

/**
 * One-click fixes a finding offers: choose a class (`relabel`), leave photos out of training
 * (`exclude`), move photos to another split (`move-split`), or keep it and stop warning (`keep`).
 */
export type HealthFix = 'relabel' | 'exclude' | 'move-split' | 'keep';

export interface HealthPhoto {
  imageId: Id;
  relPath: string;
  classId: Id | null;
  className: string | null;
  split: Split | null;
}

export interface HealthFinding {
  /** Stable while the finding's photos (and, for a mislabel, its label) stay the same: what `keep` records. */
  key: string;
  kind: HealthFindingKind;
  severity: 'error' | 'warning' | 'info';
  /** One line in plain words. */
  title: string;
  /** Why it matters and what the fixes do. */
  detail: string;
  photos: HealthPhoto[];
  fixes: HealthFix[];
  /** The class a relabel would choose (a likely mislabel's suggestion), if any. */
  suggestedClassId: Id | null;
  /** Photos a move-split fix moves, and where: the validation/test copies of a leak go to train. */
  moveTo: { imageIds: Id[]; split: Split } | null;
  /** For a label conflict: the conflict that `labels:resolveConflict` ends. */
  conflictId: Id | null;
}

export interface HealthReport {
  projectId: Id;
  /** Backbone whose cached embeddings the mislabel and outlier findings used. */
  backboneId: string;
  /** Labelled photos a run would train on (conflicted and excluded ones are not among them). */
  photos: number;
  /** Photos without a cached embedding or perceptual hash: `health:check` computes them. */
  missing: number;
  /** Photos left out of training by a health fix. */
  excluded: number;
  /** Findings the person chose to keep, not listed. */
  kept: number;
  findings: HealthFinding[];
  /** Time to compute the findings from the caches, seconds. */
  seconds: number;
}

export interface HealthProgress {
  jobId: Id;
  projectId: Id;
  phase: 'hashing' | 'embedding';
  done: number;
  total: number;
}

export interface HealthFinished {
  jobId: Id;
  projectId: Id;
  status: 'finished' | 'cancelled' | 'failed';
  error: string | null;
}

/** One photo of a dataset export, as its manifests list it. */
export interface DatasetExportEntry {
  /** Path inside the export, `split/class/file`, with forward slashes. */
  path: string;
  /** SHA-256 of the photo's bytes. */
  contentHash: string;
  label: string;
  split: Split;
  origin: LabelOrigin;
  /** The photo's path below its source folder. */
  source: string;
}

export interface DatasetExportSummary {
  /** The export's folder. */
  folder: string;
  photos: number;
  hardLinked: number;
  copied: number;
  /** Photos that could not be read or written, with why; the rest are exported. */
  failed: { relPath: string; reason: string }[];
}
