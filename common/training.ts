// Contract types for backbones, training, experiments and evaluation.

import type { AdaptationSummary } from './adaptation';
import type { Id, Split, SplitCounts } from './contract';

export interface BackboneInfo {
  id: string;
  name: string;
  source: 'bundled' | 'imported';
  licence: string;
  inputSize: number;
  featureDim: number;
  notes: string;
  isDefault: boolean;
  /**
   * Whether Graft can fine-tune this backbone's top blocks, and if not, why in plain words;
   * maxBlocks: how many can be unfrozen where Graft has already looked at the network (else null),
   * limit: where that is fewer than the network has, the node below them it cannot train and why.
   */
  fineTuning: { supported: boolean; reason: string | null; maxBlocks: number | null; limit: string | null };
}

/**
 * 'feature-extraction': a head on the frozen backbone's features. 'fine-tune': that head first
 * (stage 1), then the backbone's top blocks and the head trained together (stage 2).
 */
export type Technique = 'feature-extraction' | 'fine-tune';

export type NormalisationPreset = 'imagenet' | 'unit' | 'symmetric' | 'raw';

/** What importing a backbone found: the tap chosen, why, and the other tensors a user may pick. */
export interface BackboneImportResult {
  backbone: BackboneInfo;
  tap: string;
  reason: string;
  candidates: string[];
}

/** Every knob of a training run; the defaults give a good model with no settings at all. */
export interface TrainConfig {
  backboneId: string;
  technique: Technique;
  seed: number;
  hiddenUnits: number;
  dropout: number;
  l2: number;
  labelSmoothing: number;
  classWeighting: boolean;
  learningRate: number;
  schedule: 'constant' | 'cosine' | 'plateau';
  maxEpochs: number;
  batchSize: number;
  patience: number;
  /** Adds each training photo's mirror image as a second example. */
  augmentFlip: boolean;
  /** Averages each prediction over the photo and its mirror image. */
  flipTestTime: boolean;
  /** Fine-tuning: how many of the backbone's top blocks stage 2 trains (ignored for feature extraction). */
  unfreezeBlocks: number;
  /** Fine-tuning stage 2: Adam step size for the unfrozen blocks. */
  blockLearningRate: number;
  /** Fine-tuning stage 2: Adam step size for the head (stage 1 uses learningRate). */
  fineTuneHeadLearningRate: number;
  /** Fine-tuning stage 2: most epochs (early stopping on validation loss usually ends it sooner). */
  fineTuneEpochs: number;
}

export type ExperimentStatus = 'running' | 'finished' | 'failed' | 'cancelled' | 'interrupted';

export interface ClassSnapshot {
  id: Id;
  name: string;
  colour: string;
  counts: { train: number; val: number; test: number };
}

/** What a run saw: frozen at its start, so later label edits never alter it. */
export interface DatasetSnapshot {
  classes: ClassSnapshot[];
  /** SHA-256 over the sorted (content hash, class, split) triples. */
  hash: string;
  imageCount: number;
}

export interface EpochMetrics {
  /** Numbered across stages: a fine-tuning run's stage 2 continues after stage 1's last epoch. */
  epoch: number;
  /** Fine-tuning runs: 1 = head on frozen features, 2 = top blocks + head. Absent for feature extraction. */
  stage?: 1 | 2;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
  learningRate: number;
  seconds: number;
}

/** Scores are null for a class with no photos in the split (support 0): see main/ml/metrics.ts. */
export interface ClassMetrics {
  classId: Id;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  support: number;
}

export interface SplitEvaluation {
  split: Split;
  accuracy: number;
  macroF1: number;
  logLoss: number;
  perClass: ClassMetrics[];
  /** confusion[t][p]: photos of class index t predicted as class index p (snapshot order). */
  confusion: number[][];
  count: number;
}

export interface FinalMetrics {
  bestEpoch: number;
  stoppedEarly: boolean;
  val: SplitEvaluation | null;
  test: SplitEvaluation | null;
  embeddedImages: number;
  cachedImages: number;
  skippedImages: number;
  /** The photos behind `skippedImages`, named with why (absent from runs kept before they were named). */
  skipped?: NamedPhoto[];
  embeddingImagesPerSecond: number;
  backend: string;
  /** Fine-tuning runs: what was unfrozen and which stage's weights the model keeps. */
  fineTune?: FineTuneMetrics;
  /** Adapted runs (domain adaptation): of which run, how, and the new-domain accuracy. */
  adaptation?: AdaptationSummary;
}

export interface FineTuneMetrics {
  /** The backbone's block ids trained in stage 2, ascending (Keras's block_<n>). */
  unfrozenBlocks: number[];
  /** The layer whose output the frozen trunk gives the top. */
  cutLayer: string;
  /** 2 when stage 2 lowered the validation loss; 1 when it did not and stage 1's model was kept. */
  keptStage: 1 | 2;
  stage1BestEpoch: number;
  stage1Epochs: number;
  stage2BestEpoch: number;
  stage2Epochs: number;
}

export interface ExperimentSummary {
  id: Id;
  projectId: Id;
  name: string;
  note: string;
  status: ExperimentStatus;
  backboneId: string;
  technique: Technique;
  startedAt: string;
  finishedAt: string | null;
  durationSeconds: number | null;
  valAccuracy: number | null;
  /** A finished fine-tuning run's FineTuneMetrics.keptStage (1: stage 2 did not help and was dropped); else null. */
  keptStage: 1 | 2 | null;
  /** An adapted run's FinalMetrics.adaptation; null or absent for other runs. */
  adaptation?: AdaptationSummary | null;
  error: string | null;
}

export interface ExperimentDetail extends ExperimentSummary {
  config: TrainConfig;
  snapshot: DatasetSnapshot;
  epochs: EpochMetrics[];
  metrics: FinalMetrics | null;
}

export interface Prediction {
  /** Null once the photo has left the project (its folder was removed). */
  imageId: Id | null;
  name: string;
  split: Split;
  trueClassId: Id;
  predictedClassId: Id;
  confidence: number;
  /** Probabilities in snapshot class order. */
  probabilities: number[];
}

/** One held-out photo's label and prediction in two runs (see `predictionChanges`). */
export interface PredictionChange {
  imageId: Id;
  name: string;
  a: { trueClassId: Id; predictedClassId: Id; confidence: number };
  b: { trueClassId: Id; predictedClassId: Id; confidence: number };
}

export interface ExperimentComparison {
  a: ExperimentDetail;
  b: ExperimentDetail;
  /** Photos held out in both runs whose label or predicted class changed. */
  predictionChanges: PredictionChange[];
  configDiff: { key: string; a: unknown; b: unknown }[];
  /** `better`: which direction is an improvement; null where neither is (best epoch, duration). */
  metricDiff: { key: string; a: number | null; b: number | null; better: 'higher' | 'lower' | null }[];
  perClassDiff: { className: string; aF1: number | null; bF1: number | null }[];
}

/** A photo named for a person: where it is below its folder and what is wrong with it. */
export interface NamedPhoto {
  /** Null once the photo has left the project. */
  imageId: Id | null;
  relPath: string;
  reason: string;
}

export interface TrainingWarning {
  level: 'info' | 'warning' | 'error';
  code:
    | 'TOO_FEW_CLASSES'
    | 'TOO_FEW_PHOTOS'
    | 'IMBALANCED'
    | 'NO_VALIDATION'
    /** A class has no validation or no test photos: it cannot be scored there (— in Evaluate). */
    | 'CLASS_NOT_HELD_OUT'
    | 'UNLABELLED'
    | 'NO_SPLIT'
    | 'LABEL_CONFLICT'
    | 'PHOTOS_UNAVAILABLE'
    /** Dataset health found leakage, likely mislabels or imbalance: the Train view links to Health. */
    | 'DATASET_HEALTH';
  message: string;
  /** The photos the warning is about, named, when it is about particular photos. */
  photos?: NamedPhoto[];
}

export interface TrainingPreflight {
  warnings: TrainingWarning[];
  canTrain: boolean;
  defaults: TrainConfig;
  /**
   * Photos per class and split as a run would use them, where some labelled photos have no split
   * yet (training gives them one, stratified by the run's seed); null when every one has a split.
   */
  plannedSplits: ({ classId: Id } & SplitCounts)[] | null;
}

export interface TrainingProgress {
  experimentId: Id;
  projectId: Id;
  /** Fine-tuning adds 'activations' (the frozen trunk, cached per photo and view) and 'fine-tuning' (stage 2). */
  phase: 'embedding' | 'activations' | 'training' | 'fine-tuning' | 'evaluating';
  done: number;
  total: number;
  imagesPerSecond: number | null;
  etaSeconds: number | null;
}

export type ExportFormat = 'onnx' | 'tfjs';

/** How closely a written model file matches the in-app model on the run's held-out photos. */
export interface ParityResult {
  photos: number;
  /** Share of photos whose top-1 class is the same. */
  agreement: number;
  maxProbabilityDifference: number;
  passed: boolean;
  message: string;
}

export interface ExportRecord {
  id: Id;
  experimentId: Id;
  format: ExportFormat;
  path: string;
  status: 'running' | 'passed' | 'failed' | 'interrupted';
  sizeBytes: number | null;
  parity: ParityResult | null;
  error: string | null;
  createdAt: string;
  /** The files are no longer where they were written. */
  missing: boolean;
}

/** Whether a run can be exported in a format, and why not. */
export interface ExportSupport {
  format: ExportFormat;
  supported: boolean;
  reason: string | null;
}

export interface PredictionResult {
  name: string;
  /** Top-k classes, most likely first; empty when the photo could not be read. */
  top: { className: string; probability: number }[];
  error: string | null;
  /** The photo is unlike the run's training photos (out-of-distribution score above the run's threshold); false when the run keeps no statistics. */
  unlikeTraining?: boolean;
  /** Its out-of-distribution score (≈ 1 for photos like the training ones); null when the run keeps no statistics. */
  oodScore?: number | null;
}
