// Test support for the export tests: a tiny TF.js convolutional backbone with generated
// weights, prepared through the app's own import path, a random head, and generated photos.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { seededRandom } from '../../../common/seeded-random';
import type { BackboneSpec, PreparedBackbone } from '../backbones/backbone-spec';
import { prepareBackbone, sha256 } from '../backbones/prepare-backbone';
import { buildHead, type HeadArtifacts, saveHead } from '../head/head-model';
import { trainHead } from '../head/train-head';
import { layersModelToOnnx } from '../onnx/layers-to-onnx';
import { randomiseWeights, saveArtifacts, seededArray, seededUniform } from '../onnx/parity-support';
import type { Normalisation, TensorLayoutName } from '../preprocess';
import type { TfjsArtifacts } from '../tfjs/tfjs-artifacts';
import { initTfjs } from '../tfjs-backend';
import { appFeatures } from './app-reference';

export const TINY_SIZE = 16;

/** input [16,16,3] -> conv/BN/ReLU6 "block1" [8,8,8] -> depthwise + pointwise "block2" [4,4,12] -> GAP -> softmax. */
export function tinyLayersModel(seed: number): tf.LayersModel {
  const L = tf.layers;
  const inp = tf.input({ shape: [TINY_SIZE, TINY_SIZE, 3], name: 'pixels' });
  const c1 = L.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'c1' }).apply(
    inp,
  );
  const b1 = L.batchNormalization({ name: 'bn1' }).apply(c1);
  const block1 = L.reLU({ maxValue: 6, name: 'block1' }).apply(b1);
  const dw = L.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', name: 'dw' }).apply(block1);
  const pw = L.conv2d({ filters: 12, kernelSize: 1, name: 'pw' }).apply(dw);
  const block2 = L.reLU({ name: 'block2' }).apply(pw);
  const gap = L.globalAveragePooling2d({ name: 'gap' }).apply(block2);
  const out = L.dense({ units: 5, activation: 'softmax', name: 'predictions' }).apply(gap) as tf.SymbolicTensor;
  const model = tf.model({ inputs: inp, outputs: out, name: 'tiny' });
  randomiseWeights(model, seed);
  return model;
}

export interface TinyBackbone {
  prepared: PreparedBackbone;
  /** The TF.js model files the ONNX backbone was converted from. */
  artifacts: TfjsArtifacts;
}

/**
 * The tiny model imported as a user's TF.js backbone would be: converted to ONNX, stored under
 * the data directory, and prepared (tapped) by prepareBackbone.
 */
export async function prepareTinyBackbone(
  dataDir: string,
  options: { taps: string[]; layout: TensorLayoutName; normalisation: Normalisation; seed?: number },
): Promise<TinyBackbone> {
  await initTfjs();
  const artifacts = await saveArtifacts(tinyLayersModel(options.seed ?? 3));
  const converted = layersModelToOnnx(artifacts, { inputLayout: options.layout, outputs: options.taps });
  const relPath = path.join('backbones', 'imported', `tiny-${options.layout}-${options.taps.join('-')}.onnx`);
  fs.mkdirSync(path.join(dataDir, 'backbones', 'imported'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, relPath), converted.bytes);
  const taps = options.taps.map((layer) => {
    const tensor = converted.layerTensors.get(layer);
    if (!tensor || tensor.name !== layer || tensor.layout === 'flat') throw new Error(`No feature map for ${layer}`);
    const dim = tensor.shape[tensor.layout === 'NCHW' ? 1 : 3] as number;
    const reduce = tensor.layout === 'NCHW' ? ('spatial-mean-nchw' as const) : ('spatial-mean-nhwc' as const);
    return { node: layer, reduce, dim };
  });
  const spec: BackboneSpec = {
    id: `tiny-${options.layout}-${options.taps.length}`,
    version: '1',
    name: 'Tiny test backbone',
    source: { kind: 'imported', path: relPath, sha256: sha256(converted.bytes), origin: 'tfjs' },
    licence: 'Generated for tests.',
    inputSize: TINY_SIZE,
    layout: options.layout,
    normalisation: options.normalisation,
    resize: { shortSide: 18, crop: 'centre' },
    taps,
    featureDim: taps.reduce((n, t) => n + t.dim, 0),
    notes: '',
  };
  return { prepared: await prepareBackbone(spec, dataDir), artifacts };
}

/**
 * A head trained on the app's own embeddings of `photos`, labelled round-robin: it has to
 * pull apart photos whose features differ little, so its outputs vary from photo to photo
 * and move with any error in the features (a random head stays near uniform on unit vectors).
 */
export async function trainedHead(
  backbone: PreparedBackbone,
  photos: Buffer[],
  classCount: number,
  hiddenUnits = 0,
  epochs = 60,
): Promise<HeadArtifacts> {
  const { features } = await appFeatures(backbone, photos);
  const y = Int32Array.from(photos, (_, i) => i % classCount);
  const split = { x: features, y };
  const result = await trainHead(
    { dim: backbone.featureDim, classCount, train: split, val: split },
    { hiddenUnits, dropout: 0, maxEpochs: epochs, patience: epochs, seed: 5 },
  );
  return result.artifacts;
}

/** A head with generated weights (as buildHead starts training). */
export async function randomHead(
  dim: number,
  classCount: number,
  seed: number,
  hiddenUnits = 8,
): Promise<HeadArtifacts> {
  await initTfjs();
  const net = buildHead({ dim, classCount }, { hiddenUnits, dropout: hiddenUnits > 0 ? 0.25 : 0 }, seededRandom(seed));
  const artifacts = await saveHead(net.model);
  net.model.dispose();
  return artifacts;
}

/**
 * A generated photo of class `kind`: kinds differ in tint (red, green, blue) and stripe
 * direction, photos of one kind in stripe frequency, phase and noise, so a head can learn
 * the kinds from the features and still give each photo its own probabilities.
 */
export async function generatedPhoto(
  seed: number,
  kind: number,
  width: number,
  height: number,
  format: 'png' | 'jpeg',
): Promise<Buffer> {
  const u = seededUniform(seed);
  const noise = seededArray(width * height * 3, seed, -40, 40);
  const tint = kind % 3;
  const vertical = kind % 2 === 1;
  const frequency = u(0.15, 0.6);
  const phase = u(0, Math.PI * 2);
  const strength = u(40, 110);
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const stripe = Math.sin((vertical ? x : y) * frequency + phase) * 50;
      for (let c = 0; c < 3; c++) {
        const i = (y * width + x) * 3 + c;
        const value = 100 + stripe + noise[i] + (c === tint ? strength : 0);
        raw[i] = Math.max(0, Math.min(255, Math.round(value)));
      }
    }
  const image = sharp(raw, { raw: { width, height, channels: 3 } });
  return format === 'png' ? image.png().toBuffer() : image.jpeg({ quality: 90 }).toBuffer();
}

/**
 * A photo of diagonal stripes rising (slant 1) or falling (slant -1) to the right. Each is the
 * other's mirror image, so a model that tells them apart is unsure of the average of a photo
 * and its mirror image: the borderline case for test-time mirror averaging.
 */
export async function slantedPhoto(seed: number, slant: 1 | -1, width: number, height: number): Promise<Buffer> {
  const u = seededUniform(seed);
  const noise = seededArray(width * height, seed, -20, 20);
  const frequency = u(0.5, 0.9);
  const phase = u(0, Math.PI * 2);
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const value = 128 + Math.sin((x + slant * y) * frequency + phase) * 90 + noise[y * width + x];
      raw.fill(Math.max(0, Math.min(255, Math.round(value))), (y * width + x) * 3, (y * width + x + 1) * 3);
    }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}
