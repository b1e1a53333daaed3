// Splits a Keras MobileNetV2-style LayersModel at the input of its top inverted-residual blocks:
// a frozen trunk (image -> activation at the cut) and a trainable top (cut activation -> feature
// tap) made of the model's own layers, so the top starts from the pretrained weights and
// training it changes the source model's convolutions in place (ready to export whole).
//
// Blocks are found by Keras's layer names (`block_<n>_expand`, `block_<n>_depthwise`, ...,
// keras.applications.MobileNetV2 and nsfwjs's copy of it); the cut must separate the network —
// every path from the image to the tap passes through it — or the split is refused, naming the
// block. BatchNormalization in the top is frozen, statistics and scale/offset (TensorFlow's
// transfer-learning guide: keep BatchNormalization in inference mode when fine-tuning): the top
// runs a FrozenBatchNorm copy of each, which has no training mode at all.
import * as tf from '@tensorflow/tfjs';
import { layersModelToOnnx } from '../onnx/layers-to-onnx';
import type { TfjsArtifacts } from '../tfjs/tfjs-artifacts';
import { FineTuneError } from './finetune-error';
import { FrozenBatchNorm } from './frozen-batch-norm';
import type { TrainableTop } from './trainable-top';

/** Layer kinds the top may contain: each runs and has gradients on every tfjs backend Graft uses. */
const TRAINABLE_TOP_LAYERS = new Set([
  'Conv2D',
  'DepthwiseConv2D',
  'BatchNormalization',
  'ReLU',
  'Activation',
  'Add',
  'ZeroPadding2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
]);

const BLOCK_NAME = /^block_(\d+)_/;

export interface InvertedResidualBlock {
  id: number;
  /** Its layers, in the model's (topological) order. */
  layers: string[];
}

/** The model's `block_<n>_*` layer groups, lowest block first. */
export function invertedResidualBlocks(model: tf.LayersModel): InvertedResidualBlock[] {
  const byId = new Map<number, string[]>();
  for (const layer of model.layers) {
    const m = BLOCK_NAME.exec(layer.name);
    if (!m) continue;
    const id = Number(m[1]);
    byId.set(id, [...(byId.get(id) ?? []), layer.name]);
  }
  return [...byId.entries()].sort((a, b) => a[0] - b[0]).map(([id, layers]) => ({ id, layers }));
}

export interface LayersTop extends TrainableTop {
  /** The layer whose output is the cut: the trunk's output and the top's input (also cutName). */
  cutLayer: string;
  tapLayer: string;
  /** image -> cut activation; the source model's own layers. */
  trunk: tf.LayersModel;
  /**
   * cut activation [N,H,W,C] -> tap activation. Shares its convolution layers (and weights)
   * with the source model; BatchNormalization runs as FrozenBatchNorm copies.
   */
  top: tf.LayersModel;
}

/**
 * Splits `model` so the top holds its last `blockCount` inverted-residual blocks and every
 * layer after them up to `tapLayer` (for MobileNetV2: Conv_1, Conv_1_bn, out_relu).
 * Throws FineTuneError FINETUNE_INVALID for a tap or block count the model does not have, and
 * FINETUNE_UNSUPPORTED (naming the block and layer) where the top cannot be made trainable.
 */
export function splitAtTopBlocks(model: tf.LayersModel, options: { tapLayer: string; blockCount: number }): LayersTop {
  const { tapLayer, blockCount } = options;
  const tap = findLayer(model, tapLayer);
  const blocks = invertedResidualBlocks(model);
  if (!Number.isInteger(blockCount) || blockCount < 1 || blockCount > blocks.length) {
    throw new FineTuneError(
      'FINETUNE_INVALID',
      `This backbone has ${blocks.length} inverted-residual blocks; ${blockCount} cannot be unfrozen.`,
    );
  }
  const first = blocks[blocks.length - blockCount];
  const cut = cutBefore(model, first);
  const topLayers = layersBetween(model, cut, tap, first.id);
  for (const layer of topLayers) {
    if (!TRAINABLE_TOP_LAYERS.has(layer.getClassName())) {
      throw new FineTuneError(
        'FINETUNE_UNSUPPORTED',
        `Layer "${layer.name}" (${layer.getClassName()}) above block ${first.id} cannot be trained by Graft.`,
      );
    }
  }
  const cutOutput = cut.getOutputAt(0) as tf.SymbolicTensor;
  const trunk = tf.model({ inputs: model.inputs, outputs: cutOutput, name: `${model.name}_trunk` });
  const cutShape = cutOutput.shape.slice(1) as [number, number, number];
  const top = rebuildOnNewInput(topLayers, cut, cutShape, tap, model.name);
  const trainable: tf.Variable[] = [];
  for (const layer of topLayers) {
    if (layer.getClassName() === 'BatchNormalization') continue;
    for (const w of layer.trainableWeights) trainable.push(w.read() as tf.Variable);
  }
  return {
    cutLayer: cut.name,
    cutName: cut.name,
    cutShape,
    blocks: blocks.slice(blocks.length - blockCount).map((b) => b.id),
    tapLayer,
    trunk,
    top,
    trainable,
    run: (x) => top.apply(x, { training: false }) as tf.Tensor4D,
  };
}

/**
 * The trunk as ONNX (what onnxruntime runs to fill the activation cache): the model's files
 * converted with the cut layer as the only output, channels-last [N,H,W,C] as Keras gives it.
 */
export function trunkToOnnx(
  artifacts: TfjsArtifacts,
  split: Pick<LayersTop, 'cutLayer'>,
  inputLayout: 'NHWC' | 'NCHW',
): { bytes: Uint8Array; inputName: string; outputName: string } {
  const converted = layersModelToOnnx(artifacts, { inputLayout, outputs: [split.cutLayer] });
  return { bytes: converted.bytes, inputName: converted.inputs[0].name, outputName: converted.outputs[0].name };
}

function findLayer(model: tf.LayersModel, name: string): tf.layers.Layer {
  const layer = model.layers.find((l) => l.name === name);
  if (!layer) throw new FineTuneError('FINETUNE_INVALID', `The backbone has no layer "${name}".`);
  return layer;
}

function inboundLayers(layer: tf.layers.Layer): tf.layers.Layer[] {
  return layer.inboundNodes[0]?.inboundLayers ?? [];
}

/** The one layer outside `block` that the block reads (its input, and its residual's). */
function cutBefore(model: tf.LayersModel, block: InvertedResidualBlock): tf.layers.Layer {
  const inside = new Set(block.layers);
  const outside = new Set<tf.layers.Layer>();
  for (const name of block.layers) {
    for (const source of inboundLayers(findLayer(model, name))) if (!inside.has(source.name)) outside.add(source);
  }
  if (outside.size !== 1) {
    throw new FineTuneError(
      'FINETUNE_UNSUPPORTED',
      `Block ${block.id} reads ${outside.size} tensors from below it; Graft can cut only where one tensor enters a block.`,
    );
  }
  return [...outside][0];
}

/** Layers on the paths from `cut` to `tap` (both excluded / included), in the model's order. */
function layersBetween(
  model: tf.LayersModel,
  cut: tf.layers.Layer,
  tap: tf.layers.Layer,
  blockId: number,
): tf.layers.Layer[] {
  const seen = new Set<tf.layers.Layer>();
  const stack = [tap];
  while (stack.length > 0) {
    const layer = stack.pop() as tf.layers.Layer;
    if (layer === cut || seen.has(layer)) continue;
    if (layer.getClassName() === 'InputLayer') {
      throw new FineTuneError(
        'FINETUNE_UNSUPPORTED',
        `A path from the image to "${tap.name}" bypasses block ${blockId}: the network cannot be cut there.`,
      );
    }
    // A second node is a layer shared inside the model, or one this function already split off.
    if (layer.inboundNodes.length !== 1) {
      throw new FineTuneError(
        'FINETUNE_UNSUPPORTED',
        `Layer "${layer.name}" above block ${blockId} is applied more than once; split a freshly loaded model.`,
      );
    }
    seen.add(layer);
    stack.push(...inboundLayers(layer));
  }
  return model.layers.filter((l) => seen.has(l));
}

/** The top layers applied again, in order, to a new input shaped like the cut; BatchNormalization frozen. */
function rebuildOnNewInput(
  layers: tf.layers.Layer[],
  cut: tf.layers.Layer,
  cutShape: number[],
  tap: tf.layers.Layer,
  modelName: string,
): tf.LayersModel {
  const input = tf.input({ shape: cutShape, name: `${cut.name}_cut` });
  const outputs = new Map<tf.layers.Layer, tf.SymbolicTensor>([[cut, input]]);
  for (const layer of layers) {
    const ins = inboundLayers(layer).map((l) => outputs.get(l) as tf.SymbolicTensor);
    const applied = layer.getClassName() === 'BatchNormalization' ? new FrozenBatchNorm(layer) : layer;
    outputs.set(layer, applied.apply(ins.length === 1 ? ins[0] : ins) as tf.SymbolicTensor);
  }
  return tf.model({ inputs: input, outputs: outputs.get(tap) as tf.SymbolicTensor, name: `${modelName}_top` });
}
