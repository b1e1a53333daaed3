import type { HeadConfig } from './head-config';

/** Smallest improvement in validation loss that counts as one. */
export const MIN_IMPROVEMENT = 1e-4;

export interface LearningRateScheduler {
  /** The rate for the coming epoch. */
  readonly rate: number;
  /** Reports whether the epoch just finished improved the validation loss. */
  endEpoch(improved: boolean): void;
}

type ScheduleConfig = Pick<HeadConfig, 'learningRate' | 'schedule' | 'maxEpochs' | 'patience'>;

export function createScheduler(config: ScheduleConfig): LearningRateScheduler {
  const initial = config.learningRate;
  switch (config.schedule) {
    case 'constant':
      return { rate: initial, endEpoch: () => {} };
    case 'cosine': {
      let epoch = 0;
      return {
        get rate() {
          return initial * 0.5 * (1 + Math.cos((Math.PI * epoch) / config.maxEpochs));
        },
        endEpoch: () => {
          epoch++;
        },
      };
    }
    case 'plateau': {
      // Halving a few times before early stopping's patience runs out gives the smaller
      // steps a chance to find a lower loss first.
      const wait = Math.max(1, Math.floor(config.patience / 3));
      let rate = initial;
      let stalled = 0;
      return {
        get rate() {
          return rate;
        },
        endEpoch: (improved) => {
          stalled = improved ? 0 : stalled + 1;
          if (stalled >= wait) {
            rate /= 2;
            stalled = 0;
          }
        },
      };
    }
  }
}
