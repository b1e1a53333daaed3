// What stage 2 trains, whatever the backbone's format: the part of the network from a cut
// activation to the feature tap, as tfjs operations on trainable variables. A Keras backbone's
// top is its own layers (layers-top.ts); an ONNX backbone's is built from its graph's nodes and
// weights (onnx-top.ts).
import type * as tf from '@tensorflow/tfjs';

export interface TrainableTop {
  /** Names the cut (a Keras layer or an ONNX tensor): part of the activation cache's key. */
  cutName: string;
  /** Shape of one photo's cut activation, channels-last [H, W, C]. */
  cutShape: [number, number, number];
  /** Ids of the unfrozen blocks, ascending (the backbone's own block numbers where it has them). */
  blocks: number[];
  /** What stage 2 trains: the top's convolution kernels and biases. */
  trainable: tf.Variable[];
  /** Cut activations [N, H, W, C] -> tap activation [N, h, w, c], inference mode (BatchNorm frozen). */
  run(cut: tf.Tensor4D): tf.Tensor4D;
}
