// A Keras BatchNormalization in inference mode, frozen into one per-channel affine map
// y = x * scale + shift (scale = gamma / sqrt(variance + epsilon), shift = beta - mean * scale).
// The trainable top uses it in place of the model's own BatchNormalization layers:
// - it has no training mode, so no call can move its statistics (tfjs's BatchNormalization
//   updates them in any training-mode call, whatever its `trainable` flag);
// - its gradient is one broadcast multiply, where tfjs's batchNorm gradient tiles the
//   statistics to the full activation shape first (Tile was the largest kernel of a stage-2
//   step on wasm: bench/finetune.ts).
import * as tf from '@tensorflow/tfjs';
import { FineTuneError } from './finetune-error';

export class FrozenBatchNorm extends tf.layers.Layer {
  static readonly className = 'GraftFrozenBatchNorm';
  private readonly scale: tf.Tensor1D;
  private readonly shift: tf.Tensor1D;

  /** From a built BatchNormalization layer over the last axis (Keras's default, channels-last). */
  constructor(source: tf.layers.Layer) {
    super({ name: `${source.name}_frozen`, trainable: false });
    const config = source.getConfig() as { axis?: number | number[]; epsilon?: number };
    const axis = Array.isArray(config.axis) ? config.axis : [config.axis ?? -1];
    if (axis.length !== 1 || (axis[0] !== -1 && axis[0] !== 3)) {
      throw new FineTuneError(
        'FINETUNE_UNSUPPORTED',
        `Layer "${source.name}" normalises axis ${String(config.axis)}; Graft freezes channels-last BatchNormalization only.`,
      );
    }
    // getWeights() gives the variables' own tensors: read, never disposed here.
    const values = source.getWeights();
    const byName = new Map(source.weights.map((w, i) => [w.originalName.split('/').pop(), values[i]]));
    const mean = byName.get('moving_mean');
    const variance = byName.get('moving_variance');
    if (!mean || !variance)
      throw new FineTuneError('FINETUNE_UNSUPPORTED', `Layer "${source.name}" has no statistics.`);
    const [scale, shift] = tf.tidy(() => {
      const gamma = byName.get('gamma') ?? tf.onesLike(mean);
      const beta = byName.get('beta') ?? tf.zerosLike(mean);
      const s = tf.div(gamma, tf.sqrt(tf.add(variance, config.epsilon ?? 1e-3)));
      return [s, tf.sub(beta, tf.mul(mean, s))];
    });
    this.scale = tf.keep(scale) as tf.Tensor1D;
    this.shift = tf.keep(shift) as tf.Tensor1D;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => tf.add(tf.mul(x, this.scale), this.shift));
  }

  override dispose(): ReturnType<tf.layers.Layer['dispose']> {
    const result = super.dispose();
    if (result.refCountAfterDispose === 0) tf.dispose([this.scale, this.shift]);
    return result;
  }
}
