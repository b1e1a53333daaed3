import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from '../onnxruntime';
import { decodeWeights, type TfjsArtifacts } from '../tfjs/tfjs-artifacts';
import { layersModelToOnnx, UnsupportedLayerError } from './layers-to-onnx';
import {
  loadLayersArtifacts,
  maxAbsDiff,
  randomiseWeights,
  runOnnx,
  saveArtifacts,
  seededArray,
  toNchw,
} from './parity-support';

const TOLERANCE = 1e-4;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Converts, runs both runtimes on the same input and returns max |Δ| per requested layer. */
async function parity(
  model: tf.LayersModel,
  outputs: string[],
  batch = 2,
  inputLayout: 'NHWC' | 'NCHW' = 'NHWC',
  artifacts?: TfjsArtifacts,
): Promise<Record<string, number>> {
  const saved = artifacts ?? (await saveArtifacts(model));
  const reference = artifacts ? await loadLayersArtifacts(artifacts) : model;
  const probe = tf.model({
    inputs: reference.inputs,
    outputs: outputs.map((o) => reference.getLayer(o).output as tf.SymbolicTensor),
  });
  const shape = [batch, ...(reference.inputs[0].shape.slice(1) as number[])];
  const data = seededArray(
    shape.reduce((a, b) => a * b, 1),
    7,
    -2,
    2,
  );
  const expected = probe.predict(tf.tensor(data, shape)) as tf.Tensor | tf.Tensor[];
  const expectedList = Array.isArray(expected) ? expected : [expected];
  const converted = layersModelToOnnx(saved, { outputs, inputLayout });
  const feed =
    inputLayout === 'NCHW'
      ? new ort.Tensor('float32', toNchw(data, shape[0], shape[1], shape[2], shape[3]), [
          shape[0],
          shape[3],
          shape[1],
          shape[2],
        ])
      : new ort.Tensor('float32', data, shape);
  const got = await runOnnx(converted.bytes, { [converted.inputs[0].name]: feed });
  const diffs: Record<string, number> = {};
  outputs.forEach((name, i) => {
    diffs[name] = maxAbsDiff(got[converted.outputs[i].name], expectedList[i].dataSync());
  });
  return diffs;
}

function expectClose(diffs: Record<string, number>): void {
  for (const [name, d] of Object.entries(diffs)) expect(d, `layer ${name}`).toBeLessThan(TOLERANCE);
}

/** A MobileNet-like block: padding, strided conv, folded BN, ReLU6, depthwise, residual add, pools, concat, head. */
function mobileBlockModel(): tf.LayersModel {
  const L = tf.layers;
  const inp = tf.input({ shape: [17, 17, 3], name: 'img' });
  const pad = L.zeroPadding2d({
    padding: [
      [0, 1],
      [0, 1],
    ],
    name: 'pad',
  }).apply(inp) as tf.SymbolicTensor;
  const c1 = L.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid', useBias: false, name: 'c1' }).apply(
    pad,
  );
  const b1 = L.batchNormalization({ name: 'b1', epsilon: 1e-3 }).apply(c1);
  const r1 = L.reLU({ maxValue: 6, name: 'r1' }).apply(b1) as tf.SymbolicTensor;
  const d1 = L.depthwiseConv2d({
    kernelSize: 3,
    padding: 'same',
    depthMultiplier: 2,
    useBias: false,
    name: 'd1',
  }).apply(r1);
  const b2 = L.batchNormalization({ name: 'b2', epsilon: 1e-5 }).apply(d1);
  const r2 = L.reLU({ name: 'r2' }).apply(b2);
  const c2 = L.conv2d({ filters: 8, kernelSize: 1, name: 'c2' }).apply(r2);
  const b3 = L.batchNormalization({ name: 'b3', scale: false }).apply(c2) as tf.SymbolicTensor;
  const sum = L.add({ name: 'sum' }).apply([b3, r1]) as tf.SymbolicTensor;
  const mp = L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'mp' }).apply(sum) as tf.SymbolicTensor;
  const ap = L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'ap' }).apply(
    sum,
  ) as tf.SymbolicTensor;
  const cat = L.concatenate({ name: 'cat' }).apply([mp, ap]);
  const gap = L.globalAveragePooling2d({ name: 'gap' }).apply(cat);
  const fc1 = L.dense({ units: 10, activation: 'relu', name: 'fc1' }).apply(gap);
  const drop = L.dropout({ rate: 0.5, name: 'drop' }).apply(fc1);
  const fc2 = L.dense({ units: 4, name: 'fc2' }).apply(drop);
  const out = L.softmax({ name: 'probs' }).apply(fc2) as tf.SymbolicTensor;
  const model = tf.model({ inputs: inp, outputs: out, name: 'mobile_block' });
  randomiseWeights(model, 11);
  return model;
}

/** Everything else: non-square input, standalone BN, separable/dilated conv, merges, activations, flatten order, reshape. */
function oddsAndEndsModel(): tf.LayersModel {
  const L = tf.layers;
  const inp = tf.input({ shape: [12, 10, 4], name: 'x' });
  const scaled = L.rescaling({ scale: 0.5, offset: 0.1, name: 'scaled' }).apply(inp);
  const c = L.conv2d({
    filters: 6,
    kernelSize: [3, 2],
    strides: [1, 2],
    padding: 'same',
    activation: 'relu',
    name: 'c',
  }).apply(scaled);
  const bn = L.batchNormalization({ name: 'bn' }).apply(c) as tf.SymbolicTensor;
  const sep = L.separableConv2d({ filters: 5, kernelSize: 3, padding: 'same', depthMultiplier: 2, name: 'sep' }).apply(
    bn,
  ) as tf.SymbolicTensor;
  const dil = L.conv2d({ filters: 5, kernelSize: 3, dilationRate: 2, padding: 'same', name: 'dil' }).apply(
    bn,
  ) as tf.SymbolicTensor;
  const mul = L.multiply({ name: 'mul' }).apply([sep, dil]);
  const avg = L.average({ name: 'avg' }).apply([sep, dil]);
  const max = L.maximum({ name: 'max' }).apply([sep, dil]);
  const min = L.minimum({ name: 'min' }).apply([sep, dil]);
  const a1 = L.activation({ activation: 'sigmoid', name: 'a1' }).apply(mul) as tf.SymbolicTensor;
  const a2 = L.activation({ activation: 'tanh', name: 'a2' }).apply(avg) as tf.SymbolicTensor;
  const a3 = L.elu({ name: 'a3' }).apply(max) as tf.SymbolicTensor;
  const a4 = L.leakyReLU({ alpha: 0.1, name: 'a4' }).apply(min) as tf.SymbolicTensor;
  const cat = L.concatenate({ axis: -1, name: 'cat' }).apply([a1, a2, a3, a4]) as tf.SymbolicTensor;
  const bn2 = L.batchNormalization({ name: 'bn2', axis: 3 }).apply(cat);
  const gmp = L.globalMaxPooling2d({ name: 'gmp' }).apply(bn2);
  const avgPool = L.averagePooling2d({ poolSize: 2, padding: 'valid', name: 'pool' }).apply(bn2);
  const flat = L.flatten({ name: 'flat' }).apply(avgPool);
  const fc = L.dense({ units: 7, activation: 'selu', name: 'fc' }).apply(flat);
  const reshaped = L.reshape({ targetShape: [60, 20], name: 'reshaped' }).apply(bn2);
  const perRow = L.dense({ units: 3, name: 'per_row' }).apply(reshaped);
  const soft = L.softmax({ axis: -1, name: 'soft' }).apply(cat);
  const back = L.reshape({ targetShape: [6, 10, 3], name: 'back' }).apply(perRow);
  const conv3 = L.conv2d({ filters: 2, kernelSize: 3, name: 'conv3' }).apply(back);
  const model = tf.model({ inputs: inp, outputs: [gmp, fc, perRow, soft, conv3] as tf.SymbolicTensor[], name: 'odds' });
  randomiseWeights(model, 23);
  return model;
}

describe('layersModelToOnnx', () => {
  it('matches TF.js on a MobileNet-like block, at every tapped layer', async () => {
    const model = mobileBlockModel();
    expectClose(await parity(model, ['r1', 'sum', 'cat', 'gap', 'fc1', 'fc2', 'probs']));
  });

  it('takes NCHW input when asked, with the same results', async () => {
    expectClose(await parity(mobileBlockModel(), ['sum', 'fc2'], 3, 'NCHW'));
  });

  it('matches TF.js on merges, activations, standalone batch norm, flatten order and reshapes', async () => {
    const model = oddsAndEndsModel();
    expectClose(
      await parity(model, [
        'scaled',
        'bn',
        'sep',
        'dil',
        'cat',
        'bn2',
        'gmp',
        'pool',
        'flat',
        'fc',
        'per_row',
        'soft',
        'conv3',
      ]),
    );
  });

  it('emits padding that cannot fold (before a pool or a "same" conv), folds BN into Dense, skips noise layers', async () => {
    const L = tf.layers;
    const inp = tf.input({ shape: [7, 6, 3], name: 'in' });
    const padded = L.zeroPadding2d({
      padding: [
        [2, 1],
        [0, 3],
      ],
      name: 'padded',
    }).apply(inp) as tf.SymbolicTensor;
    const pooled = L.maxPooling2d({ poolSize: 2, name: 'pooled' }).apply(padded);
    const same = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'same' }).apply(padded);
    const noisy = L.gaussianNoise({ stddev: 0.5, name: 'noise' }).apply(same);
    const gdrop = L.gaussianDropout({ rate: 0.3, name: 'gdrop' }).apply(noisy);
    const adrop = L.alphaDropout({ rate: 0.3, name: 'adrop' }).apply(gdrop);
    const flat = L.flatten({ name: 'flat' }).apply(adrop);
    const dense = L.dense({ units: 6, name: 'dense' }).apply(flat);
    const dbn = L.batchNormalization({ name: 'dense_bn' }).apply(dense);
    const model = tf.model({ inputs: inp, outputs: [pooled, dbn] as tf.SymbolicTensor[] });
    randomiseWeights(model, 31);
    expectClose(await parity(model, ['padded', 'pooled', 'same', 'adrop', 'dense_bn']));
    const converted = layersModelToOnnx(await saveArtifacts(model), { outputs: ['dense_bn'] });
    expect(converted.layerTensors.has('dense')).toBe(false);
  });

  it.each([
    'linear',
    'relu',
    'relu6',
    'sigmoid',
    'tanh',
    'elu',
    'selu',
    'softplus',
    'softsign',
    'hardSigmoid',
    'swish',
    'mish',
    'softmax',
  ] as const)('matches TF.js for activation %s', async (activation) => {
    const model = tf.sequential({
      name: `act_${activation}`,
      layers: [
        tf.layers.conv2d({ inputShape: [5, 5, 2], filters: 3, kernelSize: 2, activation, name: 'conv' }),
        tf.layers.flatten({ name: 'flat' }),
        tf.layers.dense({ units: 4, activation, name: 'dense' }),
      ],
    });
    randomiseWeights(model, 5);
    expectClose(await parity(model, ['conv', 'dense']));
  });

  it('decodes uint8 and float16 quantised weights like TF.js does', async () => {
    const model = tf.sequential({
      name: 'quantised',
      layers: [
        tf.layers.conv2d({ inputShape: [6, 6, 3], filters: 4, kernelSize: 3, useBias: false, name: 'conv' }),
        tf.layers.batchNormalization({ name: 'bn' }),
        tf.layers.reLU({ name: 'relu' }),
        tf.layers.flatten({ name: 'flat' }),
        tf.layers.dense({ units: 3, name: 'out' }),
      ],
    });
    randomiseWeights(model, 9);
    const plain = await saveArtifacts(model);
    const quantised = quantise(plain);
    const weights = decodeWeights(quantised);
    expect(weights.get('conv/kernel')?.data.length).toBe(3 * 3 * 3 * 4);
    expectClose(await parity(model, ['relu', 'out'], 2, 'NHWC', quantised));
  });

  it('folds batch norm into the conv (no BatchNormalization-like nodes left)', async () => {
    const converted = layersModelToOnnx(await saveArtifacts(mobileBlockModel()), { outputs: ['sum'] });
    const text = Buffer.from(converted.bytes).toString('latin1');
    expect(text).not.toContain('b1/scale');
    expect(converted.layerTensors.has('c1')).toBe(false);
    expect(converted.layerTensors.get('b1')?.layout).toBe('NCHW');
  });

  it('names the class of an unsupported layer', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2dTranspose({ inputShape: [4, 4, 2], filters: 2, kernelSize: 2, name: 'up' }),
        tf.layers.flatten({ name: 'flat' }),
      ],
    });
    const artifacts = await saveArtifacts(model);
    expect(() => layersModelToOnnx(artifacts)).toThrow(UnsupportedLayerError);
    expect(() => layersModelToOnnx(artifacts)).toThrow(/Conv2DTranspose/);
  });
});

/** Rewrites every float32 weight as uint8 (even-numbered) or float16 (odd-numbered), as the TF.js converter would. */
function quantise(a: TfjsArtifacts): TfjsArtifacts {
  const decoded = decodeWeights(a);
  const specs = a.model.weightsManifest[0].weights;
  const parts: Uint8Array[] = [];
  const newSpecs = specs.map((spec, i) => {
    const data = decoded.get(spec.name)?.data as Float32Array;
    if (i % 2 === 0) {
      const min = Math.min(...data);
      const max = Math.max(...data);
      const scale = (max - min) / 255 || 1;
      parts.push(Uint8Array.from(data, (v) => Math.round((v - min) / scale)));
      return { ...spec, quantization: { dtype: 'uint8' as const, min, scale } };
    }
    const half = new Uint16Array(data.length);
    data.forEach((v, k) => {
      half[k] = floatToHalf(v);
    });
    parts.push(new Uint8Array(half.buffer));
    return { ...spec, quantization: { dtype: 'float16' as const } };
  });
  const total = parts.reduce((n, p) => n + p.length, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { model: { ...a.model, weightsManifest: [{ paths: ['q.bin'], weights: newSpecs }] }, groupData: [bytes] };
}

function floatToHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp <= 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | (mant >>> 13);
}
