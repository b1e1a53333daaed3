import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkOnnxFile } from '../export/onnx-check';
import { layersModelToOnnx } from '../onnx/layers-to-onnx';
import { attr, attributeProto, OnnxGraphBuilder } from '../onnx/onnx-graph-builder';
import { decodeModel, ElemType, encodeModel, type TensorProto } from '../onnx/onnx-proto';
import { maxAbsDiff, runOnnx, saveArtifacts, seededArray, toNchw } from '../onnx/parity-support';
import * as ort from '../onnxruntime';
import { useWasmBackend } from '../tfjs-backend';
import { FineTuneError } from './finetune-error';
import { MINI_MOBILENET_SIZE, miniMobileNetV2 } from './mobilenet-v2-fixture';
import { convChainFixture } from './onnx-chain-fixture';
import { buildOnnxTop, onnxBlockBoundaries, onnxTrainableBlocks, planOnnxTop } from './onnx-top';
import { fineTunedBackboneOnnx, trunkOnnx } from './onnx-top-export';
import { tensorValues } from './onnx-values';

const S = MINI_MOBILENET_SIZE;

/** The miniature Keras MobileNetV2 as Graft converts it: NCHW ONNX (Conv with folded BatchNorm, Clip, Add), outputs out_relu NHWC. */
async function floatFixture(): Promise<Uint8Array> {
  const converted = layersModelToOnnx(await saveArtifacts(miniMobileNetV2(3)), {
    inputLayout: 'NCHW',
    outputs: ['out_relu'],
  });
  return converted.bytes;
}

/**
 * The same graph with every Conv weight stored int8 per output channel behind a
 * DequantizeLinear (axis 0), as QDQ quantisers write weights.
 */
function withQdqWeights(bytes: Uint8Array): Uint8Array {
  const model = decodeModel(bytes);
  const graph = model.graph as NonNullable<typeof model.graph>;
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const added: TensorProto[] = [];
  const nodes = [];
  for (const n of graph.node ?? []) {
    if (n.opType === 'Conv') {
      const name = (n.input ?? [])[1];
      const w = tensorValues(inits.get(name) as TensorProto);
      const out = w.dims[0];
      const per = w.data.length / out;
      const scales = new Float32Array(out);
      const q = new Int8Array(w.data.length);
      for (let o = 0; o < out; o++) {
        let m = 0;
        for (let i = 0; i < per; i++) m = Math.max(m, Math.abs(w.data[o * per + i]));
        scales[o] = m / 127 || 1;
        for (let i = 0; i < per; i++) q[o * per + i] = Math.round(w.data[o * per + i] / scales[o]);
      }
      added.push(
        { name: `${name}_q`, dims: w.dims, dataType: ElemType.INT8, rawData: new Uint8Array(q.buffer) },
        { name: `${name}_scale`, dims: [out], dataType: ElemType.FLOAT, rawData: new Uint8Array(scales.buffer) },
        { name: `${name}_zp`, dims: [out], dataType: ElemType.INT8, rawData: new Uint8Array(out) },
      );
      inits.delete(name);
      nodes.push({
        opType: 'DequantizeLinear',
        domain: '',
        name: `${name}_dq`,
        input: [`${name}_q`, `${name}_scale`, `${name}_zp`],
        output: [name],
        attribute: [attributeProto('axis', attr.int(0))],
      });
    }
    nodes.push(n);
  }
  graph.node = nodes;
  graph.initializer = [...inits.values(), ...added];
  return encodeModel(model);
}

/**
 * A QOperator graph as the ONNX Model Zoo's int8 MobileNetV2 is written: QuantizeLinear of the
 * image, one inverted-residual block of QLinearConv (expand, depthwise, project; ReLU fused by a
 * zero point of 0, per-channel int8 weights, int32 bias) closed by a com.microsoft QLinearAdd,
 * then a QLinearConv and a DequantizeLinear giving the float tap "tap" [N, 6, Q, Q].
 */
const Q = 6;
function qOperatorFixture(): Uint8Array {
  const b = new OnnxGraphBuilder('qoperator');
  b.addInput(b.claimName('input_1'), ElemType.FLOAT, ['N', 4, Q, Q]);
  const quant = (name: string, scale: number, zeroPoint: number): [string, string] => [
    b.addFloatInitializer(`${name}_scale`, [], Float32Array.of(scale)),
    b.addInitializer({ name: `${name}_zp`, dims: [], dataType: ElemType.UINT8, rawData: Uint8Array.of(zeroPoint) }),
  ];
  const x = quant('x', 1 / 255, 0);
  b.addNode('QuantizeLinear', ['input_1', ...x], [b.claimName('xq')]);
  let seed = 20;
  const conv = (
    name: string,
    input: string,
    inQ: [string, string],
    cout: number,
    cin: number,
    k: number,
    group: number,
    outQ: [string, string],
  ) => {
    seed += 1;
    const w = Int8Array.from(seededArray((cout * cin * k * k) / group, seed, -100, 100), Math.round);
    const bias = Int32Array.from(seededArray(cout, seed + 100, -300, 300), Math.round);
    const scales = Float32Array.from({ length: cout }, (_, o) => 0.0107 * (1 + 0.37 * (o % 3)));
    b.addInitializer({
      name: `${name}_w`,
      dims: [cout, cin / group, k, k],
      dataType: ElemType.INT8,
      rawData: new Uint8Array(w.buffer),
    });
    const ws = b.addFloatInitializer(`${name}_ws`, [cout], scales);
    b.addInitializer({ name: `${name}_wz`, dims: [cout], dataType: ElemType.INT8, rawData: new Uint8Array(cout) });
    b.addInitializer({
      name: `${name}_b`,
      dims: [cout],
      dataType: ElemType.INT32,
      rawData: new Uint8Array(bias.buffer),
    });
    const pad = (k - 1) / 2;
    b.addNode(
      'QLinearConv',
      [input, ...inQ, `${name}_w`, ws, `${name}_wz`, ...outQ, `${name}_b`],
      [b.claimName(name)],
      {
        kernel_shape: attr.ints([k, k]),
        pads: attr.ints([pad, pad, pad, pad]),
        group: attr.int(group),
      },
    );
  };
  const expand = quant('expand', 0.0113, 0);
  conv('expand', 'xq', x, 8, 4, 1, 1, expand);
  const depthwise = quant('depthwise', 0.0219, 0);
  conv('depthwise', 'expand', expand, 8, 8, 3, 8, depthwise);
  const project = quant('project', 0.0487, 128);
  conv('project', 'depthwise', depthwise, 4, 8, 1, 1, project);
  const add = quant('add', 0.0531, 128);
  b.addNode('QLinearAdd', ['xq', ...x, 'project', ...project, ...add], [b.claimName('add')], {}, 'com.microsoft');
  const head = quant('head', 0.0497, 128);
  conv('head', 'add', add, 6, 4, 1, 1, head);
  b.addNode('DequantizeLinear', ['head', ...head], [b.claimName('tap')]);
  b.addOutput('tap', ElemType.FLOAT, ['N', 6, Q, Q]);
  return b.serialize({ extraOpsets: [{ domain: 'com.microsoft', version: 1 }] });
}

function photos(n: number, seed: number): Float32Array {
  return seededArray(n * 3 * S * S, seed, 0, 1);
}

async function run(bytes: Uint8Array, input: Float32Array, n: number, output: string): Promise<Float32Array> {
  const feeds = { input_1: new ort.Tensor('float32', input, [n, 3, S, S]) };
  return (await runOnnx(bytes, feeds, [output]))[output];
}

/** The trunk in onnxruntime, then the tfjs top, as stage 2 computes the tap (NHWC). */
async function trunkThenTop(bytes: Uint8Array, blockCount: number, input: Float32Array, n: number) {
  const plan = planOnnxTop(bytes, { tap: 'out_relu', blockCount });
  const trunk = trunkOnnx(bytes, plan);
  const feeds = { [trunk.inputName]: new ort.Tensor('float32', input, [n, 3, S, S]) };
  const session = await ort.InferenceSession.create(trunk.bytes);
  const out = (await session.run(feeds))[trunk.outputName];
  await session.release();
  const shape = out.dims.slice(1) as [number, number, number];
  const top = buildOnnxTop(plan, shape);
  const cut = out.data as Float32Array;
  const tap = tf.tidy(() => top.run(tf.tensor4d(cut, [n, ...shape])).dataSync() as Float32Array);
  return { plan, top, cut, shape, tap };
}

beforeAll(async () => {
  expect(await useWasmBackend()).toBe(true);
});

describe('ONNX trainable top on a MobileNetV2-like graph', () => {
  it('finds the residual block boundaries that separate the network', async () => {
    expect(onnxBlockBoundaries(await floatFixture(), 'out_relu')).toEqual([
      'block_1_project_BN',
      'block_2_add',
      'block_3_project_BN',
      'block_4_add',
      'block_5_add',
    ]);
  });

  for (const [label, build] of [
    ['float', floatFixture],
    ['int8 QDQ weights', async () => withQdqWeights(await floatFixture())],
  ] as const) {
    it(`equals the graph's own tail output (${label}) for 1, 2 and 5 blocks`, async () => {
      const bytes = await build();
      const n = 3;
      const input = photos(n, 11);
      const expected = await run(bytes, input, n, 'out_relu/nhwc');
      for (const blockCount of [1, 2, 5]) {
        const { top, tap, plan } = await trunkThenTop(bytes, blockCount, input, n);
        expect(plan.blocks.length).toBe(blockCount);
        expect(maxAbsDiff(tap, expected)).toBeLessThanOrEqual(1e-4);
        top.dispose();
      }
    });
  }

  it('re-serialises the trained top: the fine-tuned ONNX computes what the tfjs top computes, and passes the checker', async () => {
    const bytes = withQdqWeights(await floatFixture());
    const n = 2;
    const input = photos(n, 12);
    const { top, cut, shape } = await trunkThenTop(bytes, 2, input, n);
    // Move every trained weight, as stage 2 would.
    for (const [i, v] of top.trainable.entries()) {
      tf.tidy(() => v.assign(tf.add(tf.mul(v, 1.1), tf.fill(v.shape, 0.01 * (i % 3)))));
    }
    const [h, w, c] = shape;
    const expected = tf.tidy(() => top.run(tf.tensor4d(cut, [n, h, w, c])));
    const [, oh, ow, oc] = expected.shape;
    const nchw = toNchw(expected.dataSync() as Float32Array, n, oh, ow, oc);
    expected.dispose();
    const whole = fineTunedBackboneOnnx(bytes, top.plan, top.onnxWeights());
    // The frozen trunk keeps every weight it had, byte for byte; only the top's are new.
    const before = new Map((decodeModel(bytes).graph?.initializer ?? []).map((t) => [t.name, t]));
    const after = decodeModel(whole.bytes).graph?.initializer ?? [];
    const kept = after.filter((t) => !t.name?.startsWith('graft_top/'));
    expect(kept.length).toBeGreaterThan(10);
    for (const t of kept) expect(Buffer.from(t.rawData ?? [])).toEqual(Buffer.from(before.get(t.name)?.rawData ?? []));
    const got = await run(whole.bytes, input, n, whole.tapTensor);
    expect(maxAbsDiff(got, nchw)).toBeLessThanOrEqual(1e-4);
    // The original weights give the original network back.
    const original = fineTunedBackboneOnnx(bytes, top.plan, new Map());
    const source = await run(bytes, input, n, 'out_relu/nhwc');
    const back = await run(original.bytes, input, n, original.tapTensor);
    expect(maxAbsDiff(back, toNchw(source, n, oh, ow, oc))).toBeLessThanOrEqual(1e-4);
    top.dispose();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'graft-onnx-top-'));
    try {
      await fs.writeFile(path.join(dir, 'm.onnx'), whole.bytes);
      const check = await checkOnnxFile(path.join(dir, 'm.onnx'));
      if (check.available) expect(check).toEqual(expect.objectContaining({ ok: true }));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('reproduces an int8 QOperator graph (QLinearConv, QLinearAdd) by fake quantisation, and exports it', async () => {
    const bytes = qOperatorFixture();
    expect(onnxBlockBoundaries(bytes, 'tap')).toEqual(['xq', 'add']);
    const n = 3;
    const input = seededArray(n * 4 * Q * Q, 13, 0, 1);
    const feeds = { input_1: new ort.Tensor('float32', input, [n, 4, Q, Q]) };
    const expected = (await runOnnx(bytes, feeds, ['tap'])).tap;
    for (const blockCount of [1, 2]) {
      const plan = planOnnxTop(bytes, { tap: 'tap', blockCount });
      const trunk = trunkOnnx(bytes, plan);
      const cut = (await runOnnx(trunk.bytes, feeds, [trunk.outputName]))[trunk.outputName];
      const shape: [number, number, number] = [Q, Q, 4];
      const top = buildOnnxTop(plan, shape);
      const tap = tf.tidy(() => tf.transpose(top.run(tf.tensor4d(cut, [n, ...shape])), [0, 3, 1, 2]).dataSync());
      expect(maxAbsDiff(tap, expected)).toBeLessThanOrEqual(1e-4);
      const whole = fineTunedBackboneOnnx(bytes, plan, top.onnxWeights());
      const ex = (await runOnnx(whole.bytes, feeds, [whole.tapTensor]))[whole.tapTensor];
      expect(maxAbsDiff(ex, expected)).toBeLessThanOrEqual(1e-4);
      top.dispose();
    }
  });

  it('cuts a network without residual connections at its convolutions’ inputs', async () => {
    const bytes = convChainFixture();
    expect(onnxBlockBoundaries(bytes, 'tap')).toEqual(['relu0', 'relu1']);
    const input = seededArray(3 * S * S, 14, 0, 1);
    const feeds = { input_1: new ort.Tensor('float32', input, [1, 3, S, S]) };
    const expected = (await runOnnx(bytes, feeds, ['tap'])).tap;
    const plan = planOnnxTop(bytes, { tap: 'tap', blockCount: 2 });
    expect(plan.ops.map((o) => o.kind)).toEqual(['conv', 'relu', 'conv', 'relu']);
    const trunk = trunkOnnx(bytes, plan);
    const cut = (await runOnnx(trunk.bytes, feeds, [trunk.outputName]))[trunk.outputName];
    const top = buildOnnxTop(plan, [S / 2, S / 2, 8]);
    const tap = tf.tidy(() => tf.transpose(top.run(tf.tensor4d(cut, [1, S / 2, S / 2, 8])), [0, 3, 1, 2]).dataSync());
    expect(maxAbsDiff(tap, expected)).toBeLessThanOrEqual(1e-4);
    top.dispose();
  });

  it('names the node it cannot train and offers only the blocks above it', async () => {
    const model = decodeModel(await floatFixture());
    const clip = (model.graph?.node ?? []).find((n) => n.output?.[0] === 'block_5_expand_relu');
    if (!clip) throw new Error('fixture changed');
    clip.opType = 'Softplus';
    clip.input = [clip.input?.[0] ?? ''];
    const bytes = encodeModel(model);
    expect(planOnnxTop(bytes, { tap: 'out_relu', blockCount: 1 }).ops.length).toBeGreaterThan(0);
    const err = (() => {
      try {
        planOnnxTop(bytes, { tap: 'out_relu', blockCount: 2 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(FineTuneError);
    expect((err as FineTuneError).code).toBe('FINETUNE_UNSUPPORTED');
    expect((err as FineTuneError).message).toMatch(/Softplus.*block_5_expand_relu.*unfreeze at most 1 block\b/s);
    expect(() => planOnnxTop(bytes, { tap: 'out_relu', blockCount: 6 })).toThrow(/5 blocks/);
    expect(onnxTrainableBlocks(bytes, 'out_relu')).toEqual({ blocks: 1, limit: (err as FineTuneError).message });
    expect(onnxTrainableBlocks(await floatFixture(), 'out_relu')).toEqual({ blocks: 5, limit: null });
    expect(() => planOnnxTop(bytes, { tap: 'nope', blockCount: 1 })).toThrow(FineTuneError);
  });
});
