// How long a training run will take, said before it starts.

import type { ExperimentSummary } from '../../../common/training';

/**
 * Seconds per labelled photo and fixed start-up of a first run with the default backbone,
 * embedding included, from docs/BENCHMARKS.md ("Training", 2 vCPU): 398 photos in 8.8 s and
 * 1,000 photos in 19.0 s, i.e. a straight line through those two runs.
 */
const BENCH_SECONDS_PER_PHOTO = (19.0 - 8.8) / (1000 - 398);
const BENCH_FIXED_SECONDS = 8.8 - 398 * BENCH_SECONDS_PER_PHOTO;

/**
 * How much longer than the benchmark a first run can take on a busy machine: a trial on a shared
 * 2-core machine trained the same 398 photos in 55 s against the benchmark's 8.8 s (6.25x, rounded up).
 */
const BUSY_MACHINE_FACTOR = 7;

export interface TrainEstimate {
  seconds: number;
  /** The longest it may plausibly take, where the estimate is only a rough guide (no run of its own yet). */
  upTo?: number;
  /** What the estimate rests on, in words. */
  basis: string;
}

/**
 * An estimate for `photos` labelled photos. A previous finished run with the same model is the
 * better guide (same machine, same model; photos it embedded are cached, so it errs long);
 * without one, the benchmark's first-run line.
 */
export function estimateTraining(photos: number, previous: { seconds: number; photos: number } | null): TrainEstimate {
  if (previous && previous.photos > 0 && previous.seconds > 0) {
    return {
      seconds: (previous.seconds * photos) / previous.photos,
      basis: `from your last run with this model: ${Math.round(previous.seconds)} s for ${previous.photos.toLocaleString('en')} photos`,
    };
  }
  const seconds = BENCH_FIXED_SECONDS + photos * BENCH_SECONDS_PER_PHOTO;
  return {
    seconds,
    upTo: seconds * BUSY_MACHINE_FACTOR,
    basis:
      'a rough guide for this many photos from Graft’s benchmark on an idle 2-core laptop; a busy or slower computer takes longer. After this run, the estimate uses its measured time',
  };
}

type TimedRun = Pick<ExperimentSummary, 'status' | 'technique' | 'durationSeconds' | 'backboneId' | 'adaptation'>;

/**
 * Per backbone id, the run estimateTraining learns from: the first (with `runs` newest first, the
 * latest) finished feature-extraction training run with a duration. Adapted runs are left out:
 * they time a domain adaptation of a model, not its training.
 */
export function estimateSources<T extends TimedRun>(runs: readonly T[]): Map<string, T> {
  const latest = new Map<string, T>();
  for (const run of runs) {
    const timesTraining =
      run.status === 'finished' &&
      run.technique === 'feature-extraction' &&
      !run.adaptation &&
      run.durationSeconds !== null;
    if (timesTraining && !latest.has(run.backboneId)) latest.set(run.backboneId, run);
  }
  return latest;
}

/**
 * Seconds per photo for the frozen trunk's two views (the photo and its mirror image), from the
 * ONNX trunk's 8–11 photos/s at 224 px in docs/BENCHMARKS.md ("Fine-tuning stage 2 on tfjs-wasm").
 */
const TRUNK_SECONDS_PER_PHOTO = 2 / 10;
/**
 * Stage-2 seconds per photo per epoch by unfrozen block count, same table: 94, 100–168 and 242 s
 * per epoch per 1,000 photos for 1, 2 and 3 blocks of MobileNetV2 (measured under load: errs long).
 */
const STAGE2_SECONDS_PER_PHOTO_EPOCH = [0.094, 0.134, 0.242];

/**
 * The longest a fine-tuning run of `photos` photos should take: stage 1 as feature extraction
 * (estimateTraining), the trunk once per photo, and `epochs` stage-2 epochs of `blocks` blocks
 * (more blocks than measured are scaled from the last row). Early stopping usually ends sooner.
 */
export function estimateFineTuning(
  photos: number,
  settings: { blocks: number; epochs: number },
  previous: { seconds: number; photos: number } | null,
): TrainEstimate {
  const rows = STAGE2_SECONDS_PER_PHOTO_EPOCH;
  const perEpoch =
    settings.blocks <= rows.length
      ? rows[Math.max(1, settings.blocks) - 1]
      : (rows[rows.length - 1] * settings.blocks) / rows.length;
  const stage1 = estimateTraining(photos, previous);
  return {
    seconds: stage1.seconds + photos * (TRUNK_SECONDS_PER_PHOTO + settings.epochs * perEpoch),
    basis: `if all ${settings.epochs} epochs of the second stage run, from Graft’s fine-tuning benchmark on a 2-core machine; early stopping usually ends it sooner`,
  };
}
