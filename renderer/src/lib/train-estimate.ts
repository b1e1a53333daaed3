// How long a training run will take, said before it starts.

/**
 * Seconds per labelled photo and fixed start-up of a first run with the default backbone,
 * embedding included, from docs/BENCHMARKS.md ("Training", 2 vCPU): 398 photos in 8.8 s and
 * 1,000 photos in 19.0 s, i.e. a straight line through those two runs.
 */
const BENCH_SECONDS_PER_PHOTO = (19.0 - 8.8) / (1000 - 398);
const BENCH_FIXED_SECONDS = 8.8 - 398 * BENCH_SECONDS_PER_PHOTO;

export interface TrainEstimate {
  seconds: number;
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
      basis: `from your last run with this model (${Math.round(previous.seconds)} s for ${previous.photos.toLocaleString('en')} photos)`,
    };
  }
  return {
    seconds: BENCH_FIXED_SECONDS + photos * BENCH_SECONDS_PER_PHOTO,
    basis: 'from Graft’s benchmark on a 2-core laptop; later runs reuse what the first one computed',
  };
}
