import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreparedBackbone } from '../backbones/backbone-spec';
import { createInferenceSession } from '../embedding/embedder';
import { appFeatures } from '../export/app-reference';
import { generatedPhoto, prepareTinyBackbone } from '../export/export-fixtures';
import { checkOnnxFile } from '../export/onnx-check';
import { predictWithHead } from '../head/head-model';
import { trainHead } from '../head/train-head';
import { exposeNode } from '../onnx/expose-node';
import { attr, OnnxGraphBuilder } from '../onnx/onnx-graph-builder';
import { decodeModel, ElemType } from '../onnx/onnx-proto';
import { seededArray } from '../onnx/parity-support';
import * as ort from '../onnxruntime';
import { decodeCrop, inputDims, writeInputRow } from '../preprocess';
import { adaBn } from './adabn';
import { photoBatches } from './adabn-batches';

const CLASSES = 3;
const PER_CLASS = 24;

/**
 * A warm colour cast with some darkening, as another camera or light would give: the target
 * domain. (A much stronger shift, 0.6× brightness, also gains on the target — 0.33 → 0.94 — but
 * the adapted backbone then brightens source photos until they saturate: 0.97 → 0.67 on them.)
 */
async function shifted(photo: Buffer): Promise<Buffer> {
  return sharp(photo).linear([0.7, 0.8, 0.65], [40, 10, 0]).png().toBuffer();
}

/**
 * input → QuantizeLinear → QLinearConv (int8 weights per output channel, int32 bias, ReLU as the
 * uint8 clip) → depthwise QLinearConv without bias → DequantizeLinear.
 */
function quantisedConvModel(): Uint8Array {
  const b = new OnnxGraphBuilder('qconv');
  b.addInput(b.claimName('input'), ElemType.FLOAT, ['N', 3, 6, 6]);
  const scalar = (name: string, dataType: number, raw: Uint8Array) =>
    b.addInitializer({ name, dims: [], dataType, rawData: raw });
  const xScale = b.addFloatInitializer('x_scale', [], Float32Array.of(0.01));
  scalar('x_zero', ElemType.UINT8, Uint8Array.of(128));
  const channels = 4;
  const w = Int8Array.from(seededArray(channels * 27, 3, -100, 100), Math.round);
  b.addInitializer({
    name: 'w',
    dims: [channels, 3, 3, 3],
    dataType: ElemType.INT8,
    rawData: new Uint8Array(w.buffer),
  });
  const wScale = b.addFloatInitializer('w_scale', [channels], Float32Array.of(0.002, 0.003, 0.001, 0.004));
  b.addInitializer({ name: 'w_zero', dims: [channels], dataType: ElemType.INT8, rawData: new Uint8Array(channels) });
  const yScale = b.addFloatInitializer('y_scale', [], Float32Array.of(0.02));
  scalar('y_zero', ElemType.UINT8, Uint8Array.of(0));
  const bias = Int32Array.from([500, -300, 0, 1200]);
  b.addInitializer({ name: 'bias', dims: [channels], dataType: ElemType.INT32, rawData: new Uint8Array(bias.buffer) });
  b.addNode('QuantizeLinear', ['input', xScale, 'x_zero'], [b.claimName('x_q')]);
  b.addNode(
    'QLinearConv',
    ['x_q', xScale, 'x_zero', 'w', wScale, 'w_zero', yScale, 'y_zero', 'bias'],
    [b.claimName('y_q')],
    {
      kernel_shape: attr.ints([3, 3]),
      pads: attr.ints([1, 1, 1, 1]),
    },
  );
  // A depthwise second layer reads the first: its input is what AdaBN re-standardises upstream.
  const w2 = Int8Array.from(seededArray(channels * 9, 4, -100, 100), Math.round);
  b.addInitializer({
    name: 'w2',
    dims: [channels, 1, 3, 3],
    dataType: ElemType.INT8,
    rawData: new Uint8Array(w2.buffer),
  });
  const w2Scale = b.addFloatInitializer('w2_scale', [channels], Float32Array.of(0.004, 0.002, 0.003, 0.001));
  b.addNode(
    'QLinearConv',
    ['y_q', yScale, 'y_zero', 'w2', w2Scale, 'w_zero', yScale, 'y_zero'],
    [b.claimName('y2_q')],
    {
      kernel_shape: attr.ints([3, 3]),
      pads: attr.ints([1, 1, 1, 1]),
      group: attr.int(channels),
    },
  );
  b.addNode('DequantizeLinear', ['y2_q', yScale, 'y_zero'], [b.claimName('output')]);
  b.addOutput('output', ElemType.FLOAT, ['N', channels, 6, 6]);
  return b.serialize();
}

function accuracy(p: Float32Array, y: Int32Array): number {
  let right = 0;
  for (let i = 0; i < y.length; i++) {
    const row = Array.from(p.subarray(i * CLASSES, (i + 1) * CLASSES));
    if (row.indexOf(Math.max(...row)) === y[i]) right += 1;
  }
  return right / y.length;
}

describe('AdaBN on a backbone with BatchNorm folded into its convolutions', () => {
  let dir: string;
  let backbone: PreparedBackbone;
  const source: { train: Buffer[]; test: Buffer[] } = { train: [], test: [] };
  const target: Buffer[] = [];
  const labels = { train: new Int32Array(), test: new Int32Array() };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-adabn-'));
    ({ prepared: backbone } = await prepareTinyBackbone(dir, {
      taps: ['block2'],
      layout: 'NHWC',
      normalisation: { kind: 'range', min: -1, max: 1 },
    }));
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < PER_CLASS * CLASSES; i++) {
      const kind = i % CLASSES;
      source.train.push(await generatedPhoto(100 + i, kind, 24, 24, 'png'));
      train.push(kind);
      const held = await generatedPhoto(500 + i, kind, 24, 24, 'png');
      source.test.push(held);
      test.push(kind);
      target.push(await shifted(held));
    }
    labels.train = Int32Array.from(train);
    labels.test = Int32Array.from(test);
  }, 60_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const open = (photos: Buffer[], model: PreparedBackbone = backbone) =>
    photoBatches(
      photos.map((p) => ({ read: async () => p })),
      model.preprocessing,
      model.inputName,
      model.maxBatch,
    ).run;

  const adapted = async (): Promise<{ bytes: Uint8Array; prepared: PreparedBackbone }> => {
    const result = await adaBn(new Uint8Array(fs.readFileSync(backbone.onnxPath)), {
      source: open(source.train),
      target: open(target),
    });
    const file = path.join(dir, 'adapted.onnx');
    fs.writeFileSync(file, result.bytes);
    return { bytes: result.bytes, prepared: { ...backbone, onnxPath: file, embeddingModelId: 'adapted@1' } };
  };

  it('leaves every re-estimated convolution with its source statistics on the target photos', async () => {
    const { bytes } = await adapted();
    const first = decodeModel(bytes).graph!.node!.find((n) => n.opType === 'Conv')!;
    const output = first.output![0];
    const measured = async (model: Uint8Array, photos: Buffer[]) => {
      const session = await createInferenceSession(exposeNode(model, output));
      const pre = backbone.preprocessing;
      const input = new Float32Array(inputDims(pre, photos.length).reduce((a, b) => a * b, 1));
      for (const [i, p] of photos.entries()) writeInputRow(await decodeCrop(p, pre), pre, input, i);
      const out = await session.run({
        [backbone.inputName]: new ort.Tensor('float32', input, inputDims(pre, photos.length)),
      });
      await session.release();
      const t = out[output];
      const [n, c, h, w] = t.dims;
      const data = t.data as Float32Array;
      return Array.from({ length: c }, (_, ch) => {
        let sum = 0;
        let sq = 0;
        for (let k = 0; k < n; k++)
          for (let p = 0; p < h * w; p++) {
            const v = data[(k * c + ch) * h * w + p];
            sum += v;
            sq += v * v;
          }
        const mean = sum / (n * h * w);
        return { mean, std: Math.sqrt(sq / (n * h * w) - mean * mean) };
      });
    };
    const before = await measured(new Uint8Array(fs.readFileSync(backbone.onnxPath)), source.train);
    const after = await measured(bytes, target);
    const shiftedBefore = await measured(new Uint8Array(fs.readFileSync(backbone.onnxPath)), target);
    for (const [c, s] of before.entries()) {
      expect(after[c].mean).toBeCloseTo(s.mean, 3);
      expect(after[c].std).toBeCloseTo(s.std, 3);
    }
    // The shift really moved the statistics the adaptation put back.
    expect(Math.max(...before.map((s, c) => Math.abs(s.mean - shiftedBefore[c].mean)))).toBeGreaterThan(0.05);
  }, 60_000);

  it('raises accuracy on shifted photos and keeps source accuracy within a point', async () => {
    const features = async (model: PreparedBackbone, photos: Buffer[]) => (await appFeatures(model, photos)).features;
    const trainX = await features(backbone, source.train);
    const head = (
      await trainHead(
        {
          dim: backbone.featureDim,
          classCount: CLASSES,
          train: { x: trainX, y: labels.train },
          val: { x: trainX, y: labels.train },
        },
        { hiddenUnits: 0, dropout: 0, maxEpochs: 80, patience: 80, seed: 7 },
      )
    ).artifacts;
    const score = async (model: PreparedBackbone, photos: Buffer[]) =>
      accuracy(await predictWithHead(head, await features(model, photos), photos.length), labels.test);
    const { prepared } = await adapted();
    const sourceOnly = { target: await score(backbone, target), source: await score(backbone, source.test) };
    const withAdaBn = { target: await score(prepared, target), source: await score(prepared, source.test) };
    expect(sourceOnly.source).toBeGreaterThan(0.9);
    expect(withAdaBn.target).toBeGreaterThan(sourceOnly.target + 0.1);
    expect(withAdaBn.source).toBeGreaterThanOrEqual(sourceOnly.source - 0.01);
  }, 120_000);

  it('stops at the next batch once cancelled', async () => {
    const controller = new AbortController();
    const run = photoBatches(
      target.map((p) => ({ read: async () => p })),
      backbone.preprocessing,
      backbone.inputName,
      backbone.maxBatch,
      controller.signal,
    ).run;
    let batches = 0;
    const adapting = adaBn(new Uint8Array(fs.readFileSync(backbone.onnxPath)), { source: run, target: run }, () => {
      batches += 1;
      controller.abort(new Error('Cancelled.'));
    });
    await expect(adapting).rejects.toThrow('Cancelled.');
    expect(batches).toBe(1);
  }, 60_000);

  it('writes a model the ONNX checker accepts', async () => {
    const file = path.join(dir, 'checked.onnx');
    fs.writeFileSync(file, (await adapted()).bytes);
    const check = await checkOnnxFile(file);
    if (!check.available) return;
    expect(check).toMatchObject({ ok: true });
  }, 60_000);

  it('adapts a quantised backbone into a model onnxruntime and the ONNX checker accept', async () => {
    const pre = {
      inputSize: 6,
      resizeShortSide: 6,
      layout: 'NCHW' as const,
      normalisation: { kind: 'range' as const, min: 0, max: 1 },
    };
    const open = (photos: Buffer[]) =>
      photoBatches(
        photos.map((p) => ({ read: async () => p })),
        pre,
        'input',
        null,
      ).run;
    const result = await adaBn(quantisedConvModel(), { source: open(source.train), target: open(target) });
    expect(result).toMatchObject({ layers: 2, quantised: 2 });
    expect(decodeModel(result.bytes).graph!.node!.filter((n) => n.opType === 'QLinearConv')).toHaveLength(2);
    const session = await createInferenceSession(result.bytes);
    await session.release();
    const file = path.join(dir, 'quantised-adapted.onnx');
    fs.writeFileSync(file, result.bytes);
    const check = await checkOnnxFile(file);
    if (check.available) expect(check).toMatchObject({ ok: true });
  }, 60_000);

  it('leaves a quantised model as it was when the target photos are the source photos', async () => {
    const pre = {
      inputSize: 6,
      resizeShortSide: 6,
      layout: 'NCHW' as const,
      normalisation: { kind: 'range' as const, min: 0, max: 1 },
    };
    // One batch, so the estimation's batch statistics are the population's and nothing should move.
    const photos = source.train.slice(0, 16);
    const open = () =>
      photoBatches(
        photos.map((p) => ({ read: async () => p })),
        pre,
        'input',
        null,
      ).run;
    const bytes = quantisedConvModel();
    const result = await adaBn(bytes, { source: open(), target: open() });
    const input = seededArray(4 * 3 * 6 * 6, 9, 0, 1);
    const run = async (b: Uint8Array) => {
      const session = await createInferenceSession(b);
      const out = await session.run({ input: new ort.Tensor('float32', input, [4, 3, 6, 6]) });
      await session.release();
      return Array.from(out.output.data as Float32Array);
    };
    const [a, b] = [await run(bytes), await run(result.bytes)];
    expect(a.some((v) => v > 0)).toBe(true);
    // Rounding the re-folded int32 bias may move a value to the neighbouring output step (0.02).
    const steps = a.map((v, i) => Math.round(Math.abs(b[i] - v) / 0.02));
    expect(Math.max(...steps)).toBeLessThanOrEqual(1);
    expect(steps.filter((s) => s === 0).length).toBeGreaterThan(0.9 * a.length);
  }, 60_000);
});
