import * as tf from '@tensorflow/tfjs';

/** Adam whose step size a schedule can change between epochs without resetting its moments. */
export class ScheduledAdam extends tf.AdamOptimizer {
  constructor(learningRate: number) {
    super(learningRate, 0.9, 0.999, 1e-7);
  }

  setLearningRate(rate: number): void {
    this.learningRate = rate;
  }
}
