// Test support: a miniature of Keras's MobileNetV2 (keras.applications.MobileNetV2, the network
// nsfwjs ships) with the same layer names, layer kinds and wiring — stem, expansion-free block 0,
// inverted-residual blocks with ZeroPadding2D before stride-2 depthwise convolutions, residual
// Adds, Conv_1/out_relu — at a size a unit test can run, with generated weights.
import * as tf from '@tensorflow/tfjs';
import { nextSeed, seededRandom } from '../../../common/seeded-random';
import { randomiseWeights, seededArray } from '../onnx/parity-support';

export const MINI_MOBILENET_SIZE = 32;

/** One inverted-residual block: [output channels, stride]; expansion 6 as in Keras. */
const BLOCKS: Array<[number, 1 | 2]> = [
  [8, 2],
  [8, 1],
  [12, 2],
  [12, 1],
  [12, 1],
  [16, 1],
];

/**
 * input [32,32,3] -> ... -> out_relu [4,4,32] -> global average pool -> 3-way softmax.
 * Blocks block_1..block_6; block_2, block_4 and block_5 end in residual Adds.
 * 'random': every weight and BatchNormalization statistic drawn at random (parity tests: a
 * wrong fold or transpose shows); 'initialised': seeded He-normal kernels and BatchNormalization
 * statistics measured on noise photos, layer by layer, so activations stay normalised and the
 * features still carry the photo as a trained network's do (training tests).
 */
export function miniMobileNetV2(seed: number, weights: 'random' | 'initialised' = 'random'): tf.LayersModel {
  const L = tf.layers;
  const random = seededRandom(seed);
  const init = () => tf.initializers.heNormal({ seed: nextSeed(random) });
  const bn = (name: string) => L.batchNormalization({ name, epsilon: 1e-3, momentum: 0.999 });
  const relu6 = (name: string) => L.reLU({ maxValue: 6, name });
  const conv = (name: string, filters: number, kernelSize: number, strides = 1) =>
    L.conv2d({ name, filters, kernelSize, strides, padding: 'same', useBias: false, kernelInitializer: init() });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
    layer.apply(x) as tf.SymbolicTensor;

  const input = tf.input({ shape: [MINI_MOBILENET_SIZE, MINI_MOBILENET_SIZE, 3], name: 'input_1' });
  let x = apply(relu6('Conv1_relu'), apply(bn('bn_Conv1'), apply(conv('Conv1', 8, 3, 2), input)));
  // Block 0 has no expansion.
  const depthwise = (name: string, strides: number, padding: 'same' | 'valid') =>
    L.depthwiseConv2d({ name, kernelSize: 3, strides, padding, useBias: false, depthwiseInitializer: init() });
  x = apply(depthwise('expanded_conv_depthwise', 1, 'same'), x);
  x = apply(relu6('expanded_conv_depthwise_relu'), apply(bn('expanded_conv_depthwise_BN'), x));
  x = apply(bn('expanded_conv_project_BN'), apply(conv('expanded_conv_project', 4, 1), x));
  let channels = 4;
  BLOCKS.forEach(([filters, stride], i) => {
    const p = `block_${i + 1}_`;
    const blockIn = x;
    let h = apply(relu6(`${p}expand_relu`), apply(bn(`${p}expand_BN`), apply(conv(`${p}expand`, channels * 6, 1), x)));
    if (stride === 2) {
      const correctPad: [[number, number], [number, number]] = [
        [0, 1],
        [0, 1],
      ];
      h = apply(L.zeroPadding2d({ name: `${p}pad`, padding: correctPad }), h);
    }
    const dw = depthwise(`${p}depthwise`, stride, stride === 2 ? 'valid' : 'same');
    h = apply(relu6(`${p}depthwise_relu`), apply(bn(`${p}depthwise_BN`), apply(dw, h)));
    h = apply(bn(`${p}project_BN`), apply(conv(`${p}project`, filters, 1), h));
    x = stride === 1 && filters === channels ? apply(L.add({ name: `${p}add` }), [blockIn, h]) : h;
    channels = filters;
  });
  x = apply(relu6('out_relu'), apply(bn('Conv_1_bn'), apply(conv('Conv_1', 32, 1), x)));
  const pooled = apply(L.globalAveragePooling2d({ name: 'global_average_pooling2d' }), x);
  const predictions = L.dense({ name: 'predictions', units: 3, activation: 'softmax', kernelInitializer: init() });
  const model = tf.model({ inputs: input, outputs: apply(predictions, pooled), name: 'mini_mobilenetv2' });
  if (weights === 'random') randomiseWeights(model, seed);
  else calibrateBatchNorm(model, seed);
  return model;
}

/** Sets each BatchNormalization's moving mean and variance, in order, to those of its input on noise photos. */
function calibrateBatchNorm(model: tf.LayersModel, seed: number): void {
  const n = 8;
  const photos = tf.tensor4d(seededArray(n * MINI_MOBILENET_SIZE ** 2 * 3, seed, 0, 1), [
    n,
    MINI_MOBILENET_SIZE,
    MINI_MOBILENET_SIZE,
    3,
  ]);
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const source = layer.inboundNodes[0].inboundLayers[0];
    const [gamma, beta] = layer.getWeights();
    const stats = tf.tidy(() => {
      const probe = tf.model({ inputs: model.inputs, outputs: source.getOutputAt(0) as tf.SymbolicTensor });
      const { mean, variance } = tf.moments(probe.predict(photos) as tf.Tensor, [0, 1, 2]);
      return [mean, variance];
    });
    layer.setWeights([gamma, beta, ...stats]);
    tf.dispose(stats);
  }
  photos.dispose();
}
