// Domain adaptation (issue 8): what an adaptation run did and measured, as the renderer, the CLI
// and the benchmark read it.

/** A source folder's domain: `source` photos train models, `target` photos are adapted to. */
export type Domain = 'source' | 'target';

export interface DomainCount {
  domain: Domain;
  /** The source folders of this domain. */
  folderIds: number[];
  folders: number;
  photos: number;
  labelled: number;
}

export const ADAPTATION_METHODS = [
  'standardise',
  'coral',
  'self-train',
  'standardise+self-train',
  'coral+self-train',
  'adabn',
  'adabn+self-train',
] as const;
/**
 * Feature alignment (standardise, CORAL), self-training of the head, or one followed by the other;
 * AdaBN re-estimates the backbone's BatchNorm statistics on the target photos (a new backbone for
 * the adapted run), alone or followed by self-training of the head on its embeddings.
 */
export type AdaptationMethod = (typeof ADAPTATION_METHODS)[number];

/**
 * Chosen by `npm run bench -- adaptation` (docs/BENCHMARKS.md, "Domain adaptation"): self-training
 * gained most on PACS photo → cartoon with both backbones, and did not hurt the hymenoptera shift.
 */
export const DEFAULT_ADAPTATION_METHOD: AdaptationMethod = 'self-train';

/** What an adapted run's summary says about its adaptation (kept in the run's metrics). */
export interface AdaptationSummary {
  sourceExperimentId: number;
  /** The source run's name when it was adapted. */
  sourceName: string;
  method: AdaptationMethod;
  /** The adapted model on the labelled new-domain photos (target test); null when none carry a label. */
  targetTest: { accuracy: number; count: number } | null;
}

/** What the head predicts on a set of photos, without labels. */
export interface DomainPredictionSummary {
  count: number;
  /** Photos per tenth of top-class confidence, [0, 0.1) … [0.9, 1]. */
  confidenceHistogram: number[];
  /** Photos per tenth of normalised entropy (entropy / ln classCount), 0 = certain. */
  entropyHistogram: number[];
  /** Share of photos predicted as each class (class index order). */
  classProportions: number[];
  meanConfidence: number;
  meanEntropy: number;
}

/** Scores against labels: target photos given a class (used only to measure) or source validation photos. */
export interface LabelledScore {
  count: number;
  accuracy: number;
  macroF1: number;
  /** Rows true class, columns predicted class, in the report's class order. */
  confusion: number[][];
}

/**
 * How far an adaptation run is: its phases in order are embedding (source training, validation
 * and target photos through the source backbone), for AdaBN 'adabn' (re-estimating BatchNorm)
 * and 'embedding adapted' (the same photos through the adapted backbone), then 'measuring'.
 * `done`/`total` count photos while embedding, else 0/1 then 1/1.
 */
export interface AdaptationProgress {
  experimentId: number;
  projectId: number;
  phase: 'embedding' | 'adabn' | 'embedding adapted' | 'measuring';
  done: number;
  total: number;
  /** Photos embedded per second (cache hits excluded); null outside embedding. */
  imagesPerSecond: number | null;
  /** Seconds left in this phase at the current rate; null when not known. */
  etaSeconds: number | null;
}

/** One model (source-only or adapted) measured on both domains. */
export interface DomainMeasures {
  target: DomainPredictionSummary;
  /** Target photos that carry a label (target test); null when none do. */
  targetTest: LabelledScore | null;
  sourceVal: LabelledScore | null;
  /** Squared MMD between source training and target embeddings as the head sees them. */
  domainDistance: number;
}

export interface AdaptationReport {
  sourceExperimentId: number;
  method: AdaptationMethod;
  seed: number;
  /** Confidence a target photo needs to be pseudo-labelled; null without self-training. */
  pseudoLabelThreshold: number | null;
  classNames: string[];
  /**
   * The target photos the adaptation saw: count and a hash of their contents; `excluded` counts the
   * new-domain photos left out because the source run learnt from them (absent in older reports).
   */
  targetSnapshot: { count: number; labelled: number; hash: string; excluded?: number };
  before: DomainMeasures;
  after: DomainMeasures;
  /** Target photos pseudo-labelled at the last refresh (self-training methods), else null. */
  pseudoLabelled: number | null;
  /**
   * Share of the target photos unlike every training photo (out-of-distribution score above the
   * 95th percentile of the source validation photos' scores), and that share of the validation
   * photos themselves (≈ 5% by construction) for comparison.
   */
  unfamiliar: { targetShare: number; sourceValShare: number; threshold: number };
  /** Seconds of adaptation work once the embeddings are at hand. */
  adaptSeconds: number;
}
