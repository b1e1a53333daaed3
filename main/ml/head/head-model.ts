// The classification head as a TF.js LayersModel: embedding -> [Dense+ReLU] -> [Dropout] ->
// Dense logits -> softmax. It trains through its layers directly and is saved in the
// LayersModel format, which the ONNX exporter reads.
import * as tf from '@tensorflow/tfjs';
import { nextSeed } from '../../../common/seeded-random';
import { initTfjs } from '../tfjs-backend';
import type { HeadConfig } from './head-config';

/** A saved head: what tf.io.fromMemory loads, with the weights in one buffer. */
export interface HeadArtifacts {
  modelTopology: { [key: string]: unknown };
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: Uint8Array;
}

export interface HeadNetwork {
  model: tf.Sequential;
  hidden: tf.layers.Layer | null;
  logits: tf.layers.Layer;
  dropoutRate: number;
}

type Dims = { dim: number; classCount: number };
type Architecture = Pick<HeadConfig, 'hiddenUnits' | 'dropout'>;

/** Builds the head with weights drawn from `random`, so the same seed gives the same start. */
export function buildHead({ dim, classCount }: Dims, config: Architecture, random: () => number): HeadNetwork {
  const hidden =
    config.hiddenUnits > 0
      ? tf.layers.dense({
          name: 'hidden',
          units: config.hiddenUnits,
          activation: 'relu',
          kernelInitializer: tf.initializers.heNormal({ seed: nextSeed(random) }),
        })
      : null;
  const logits = tf.layers.dense({
    name: 'logits',
    units: classCount,
    kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed(random) }),
  });
  const layers: tf.layers.Layer[] = [tf.layers.inputLayer({ name: 'embedding', inputShape: [dim] })];
  if (hidden) layers.push(hidden);
  if (config.dropout > 0) layers.push(tf.layers.dropout({ name: 'dropout', rate: config.dropout }));
  layers.push(logits, tf.layers.activation({ name: 'probabilities', activation: 'softmax' }));
  return { model: tf.sequential({ name: 'graft_head', layers }), hidden, logits, dropoutRate: config.dropout };
}

/**
 * Training-mode forward pass to logits. Dropout draws its mask from `dropoutSeed`: the Dropout
 * layer's own seed would repeat one mask on every batch.
 */
export function trainingLogits(net: HeadNetwork, x: tf.Tensor2D, dropoutSeed: number): tf.Tensor2D {
  let h: tf.Tensor = net.hidden ? (net.hidden.apply(x) as tf.Tensor) : x;
  if (net.dropoutRate > 0) h = tf.dropout(h, net.dropoutRate, undefined, dropoutSeed);
  return net.logits.apply(h) as tf.Tensor2D;
}

/** Softmax outputs for n rows of x, row-major n * classCount. */
export function predictProbabilities(model: tf.LayersModel, x: Float32Array, n: number): Float32Array {
  const dim = model.inputs[0].shape[1] as number;
  if (x.length !== n * dim) throw new RangeError(`Expected ${n} x ${dim} embedding values, got ${x.length}`);
  if (n === 0) return new Float32Array(0);
  const out = tf.tidy(() => model.predict(tf.tensor2d(x, [n, dim])) as tf.Tensor);
  const probabilities = out.dataSync() as Float32Array;
  out.dispose();
  return probabilities;
}

/** Element-wise mean of two probability arrays (a photo and its mirror image). */
export function averageProbabilities(a: Float32Array, b: Float32Array): Float32Array {
  return a.map((p, i) => (p + b[i]) / 2);
}

export async function saveHead(model: tf.LayersModel): Promise<HeadArtifacts> {
  const saved: { artifacts?: tf.io.ModelArtifacts } = {};
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved.artifacts = artifacts;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  const { modelTopology, weightSpecs, weightData } = saved.artifacts ?? {};
  if (!modelTopology || modelTopology instanceof ArrayBuffer || !weightSpecs || !weightData) {
    throw new Error('tfjs saved the head without a JSON topology or weights');
  }
  return {
    modelTopology: modelTopology as HeadArtifacts['modelTopology'],
    weightSpecs,
    weightData: new Uint8Array(tf.io.concatenateArrayBuffers(weightData)),
  };
}

/** A saved head as a LayersModel (the caller disposes it). */
export async function loadHead(artifacts: HeadArtifacts): Promise<tf.LayersModel> {
  await initTfjs();
  const { weightData } = artifacts;
  const buffer = weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength);
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: artifacts.modelTopology,
      weightSpecs: artifacts.weightSpecs,
      weightData: buffer,
    }),
  );
}

/**
 * Class probabilities (n * classCount) from saved head artifacts; with `xFlip` (the mirrored
 * photos' embeddings) each row is the mean of the two predictions.
 */
export async function predictWithHead(
  artifacts: HeadArtifacts,
  x: Float32Array,
  n: number,
  xFlip?: Float32Array,
): Promise<Float32Array> {
  const model = await loadHead(artifacts);
  try {
    const plain = predictProbabilities(model, x, n);
    return xFlip ? averageProbabilities(plain, predictProbabilities(model, xFlip, n)) : plain;
  } finally {
    model.dispose();
  }
}
