import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from '../onnxruntime';
import type { JsValue } from '../tfjs/js-literal';
import { parseModelJson, type TfjsArtifacts } from '../tfjs/tfjs-artifacts';
import { graphModelToOnnx, UnsupportedOpError } from './graph-to-onnx';
import { loadGraphArtifacts, maxAbsDiff, runOnnx, seededArray, toNchw } from './parity-support';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const ints = (xs: number[]) => ({ list: { i: xs.map(String) } });
const strs = (xs: string[]) => ({ list: { s: xs.map(b64) } });
const str = (s: string) => ({ s: b64(s) });
const T = { type: 'DT_FLOAT' };

/** Writes a frozen TF graph the way the TF.js converter does: NodeDefs, constants as weights. */
class GraphFixture {
  private readonly nodes: JsValue[] = [];
  private readonly specs: JsValue[] = [];
  private readonly parts: Uint8Array[] = [];
  private seed = 1;

  placeholder(name: string, shape: number[]): string {
    const dim = shape.map((d) => ({ size: String(d) }));
    this.nodes.push({ name, op: 'Placeholder', attr: { dtype: T, shape: { shape: { dim } } } });
    return name;
  }

  floats(name: string, shape: number[], lo = -1, hi = 1): string {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = seededArray(n, this.seed++, lo, hi);
    this.nodes.push({ name, op: 'Const', attr: { dtype: T, value: { tensor: { dtype: 'DT_FLOAT' } } } });
    this.specs.push({ name, shape, dtype: 'float32' });
    this.parts.push(new Uint8Array(data.buffer));
    return name;
  }

  int32(name: string, values: number[], shape = [values.length]): string {
    this.nodes.push({
      name,
      op: 'Const',
      attr: { dtype: { type: 'DT_INT32' }, value: { tensor: { dtype: 'DT_INT32' } } },
    });
    this.specs.push({ name, shape, dtype: 'int32' });
    this.parts.push(new Uint8Array(Int32Array.from(values).buffer));
    return name;
  }

  op(name: string, op: string, input: string[], attr: Record<string, JsValue> = {}): string {
    this.nodes.push({ name, op, input, attr: { T, ...attr } });
    return name;
  }

  conv(
    name: string,
    op: string,
    x: string,
    filterShape: number[],
    opts: {
      strides?: number;
      padding?: string;
      fused?: string[];
      extra?: number;
      dilation?: number;
      explicit?: number[];
      leaky?: number;
    } = {},
  ): string {
    const filter = this.floats(`${name}/filter`, filterShape, -0.5, 0.5);
    const fused = opts.fused ?? [];
    const cout = op.includes('Depthwise') ? filterShape[2] * filterShape[3] : filterShape[3];
    const args: string[] = [];
    if (fused[0] === 'BiasAdd') args.push(this.floats(`${name}/bias`, [cout]));
    if (fused.includes('Prelu')) args.push(this.floats(`${name}/alpha`, [cout], 0, 0.5));
    const s = opts.strides ?? 1;
    const d = opts.dilation ?? 1;
    const attr: Record<string, JsValue> = {
      strides: ints([1, s, s, 1]),
      dilations: ints([1, d, d, 1]),
      padding: str(opts.padding ?? 'SAME'),
      data_format: str('NHWC'),
    };
    if (opts.explicit) attr.explicit_paddings = ints(opts.explicit);
    if (op.startsWith('_Fused') || op.startsWith('Fused')) {
      attr.fused_ops = strs(fused);
      attr.num_args = { i: String(args.length) };
      if (opts.leaky !== undefined) attr.leakyrelu_alpha = { f: opts.leaky };
    }
    return this.op(name, op, [x, filter, ...args], attr);
  }

  artifacts(): TfjsArtifacts {
    const json = {
      format: 'graph-model',
      modelTopology: { node: this.nodes, library: {}, versions: { producer: 1 } },
      weightsManifest: [{ paths: ['w.bin'], weights: this.specs }],
    };
    const total = this.parts.reduce((n, p) => n + p.length, 0);
    const data = new Uint8Array(total);
    let at = 0;
    for (const p of this.parts) {
      data.set(p, at);
      at += p.length;
    }
    return { model: parseModelJson(json), groupData: [data] };
  }
}

async function graphParity(
  g: TfjsArtifacts,
  input: string,
  shape: number[],
  outputs: string[],
  inputLayout: 'NHWC' | 'NCHW' = 'NHWC',
): Promise<Record<string, number>> {
  const model = await loadGraphArtifacts(g);
  const data = seededArray(
    shape.reduce((a, b) => a * b, 1),
    3,
    -2,
    2,
  );
  const expected = model.execute({ [input]: tf.tensor(data, shape) }, outputs) as tf.Tensor[];
  const converted = graphModelToOnnx(g, { outputs, inputLayout });
  const [n, h, w, c] = shape;
  const feed =
    inputLayout === 'NCHW'
      ? new ort.Tensor('float32', toNchw(data, n, h, w, c), [n, c, h, w])
      : new ort.Tensor('float32', data, shape);
  const got = await runOnnx(converted.bytes, { [input]: feed });
  const diffs: Record<string, number> = {};
  outputs.forEach((o, i) => {
    diffs[o] = maxAbsDiff(got[converted.outputs[i].name], expected[i].dataSync());
  });
  return diffs;
}

function expectClose(diffs: Record<string, number>): void {
  for (const [name, d] of Object.entries(diffs)) expect(d, `node ${name}`).toBeLessThan(1e-4);
}

/** A MobileNetV3-like stack: input scaling, fused convs, depthwise, residual, squeeze-excite, pools, head. */
function mobileGraph(): TfjsArtifacts {
  const g = new GraphFixture();
  const x = g.placeholder('image', [-1, 9, 9, 3]);
  const scaled = g.op('scaled', 'Mul', [g.floats('two', []), x]);
  const shifted = g.op('shifted', 'Sub', [scaled, g.floats('mean', [3])]);
  const c1 = g.conv('c1', '_FusedConv2D', shifted, [3, 3, 3, 8], { strides: 2, fused: ['BiasAdd', 'Relu6'] });
  const d1 = g.conv('d1', 'FusedDepthwiseConv2dNative', c1, [3, 3, 8, 2], { fused: ['BiasAdd', 'Relu'] });
  const p1 = g.conv('p1', '_FusedConv2D', d1, [1, 1, 16, 8], { padding: 'VALID', fused: ['BiasAdd'] });
  const res = g.op('res', 'AddV2', [p1, c1]);
  const act = g.op('act', 'Relu6', [res]);
  const se = g.op('se_mean', 'Mean', [act, g.int32('se_axes', [1, 2])], {
    keep_dims: { b: true },
    Tidx: { type: 'DT_INT32' },
  });
  const gate = g.conv('se_gate', '_FusedConv2D', se, [1, 1, 8, 8], { padding: 'VALID', fused: ['BiasAdd', 'Sigmoid'] });
  const excited = g.op('excited', 'Mul', [act, gate]);
  const avg = g.op('avg', 'AvgPool', [excited], {
    ksize: ints([1, 2, 2, 1]),
    strides: ints([1, 2, 2, 1]),
    padding: str('SAME'),
  });
  const mx = g.op('mx', 'MaxPool', [avg], {
    ksize: ints([1, 3, 3, 1]),
    strides: ints([1, 1, 1, 1]),
    padding: str('SAME'),
  });
  const plain = g.conv('plain', 'Conv2D', mx, [2, 2, 8, 6], { padding: 'VALID' });
  const dw = g.conv('dw', 'DepthwiseConv2dNative', plain, [2, 2, 6, 1], { padding: 'SAME' });
  const biased = g.op('biased', 'BiasAdd', [dw, g.floats('dw_bias', [6])], { data_format: str('NHWC') });
  const pooled = g.op('pooled', 'Mean', [biased, g.int32('axes', [1, 2])], {
    keep_dims: { b: false },
    Tidx: { type: 'DT_INT32' },
  });
  const logits = g.op('logits', '_FusedMatMul', [pooled, g.floats('fc_w', [6, 4]), g.floats('fc_b', [4])], {
    fused_ops: strs(['BiasAdd']),
    num_args: { i: '1' },
    transpose_a: { b: false },
    transpose_b: { b: false },
  });
  g.op('probs', 'Softmax', [logits]);
  g.op('out', 'Identity', ['probs']);
  return g.artifacts();
}

const MOBILE_OUTPUTS = ['c1', 'res', 'se_mean', 'excited', 'avg', 'mx', 'plain', 'biased', 'pooled', 'logits', 'out'];

/** The remaining ops: unary maths, merges with constants, pad/concat/reshape/squeeze, MatMul variants, PReLU, LeakyReLU. */
function oddsGraph(): TfjsArtifacts {
  const g = new GraphFixture();
  const x = g.placeholder('x', [-1, 6, 5, 4]);
  const padded = g.op('padded', 'Pad', [x, g.int32('paddings', [0, 0, 1, 1, 1, 1, 0, 0], [4, 2])], {
    Tpaddings: { type: 'DT_INT32' },
  });
  const pv2 = g.op(
    'pv2',
    'PadV2',
    [x, g.int32('paddings2', [0, 0, 2, 0, 0, 2, 0, 0], [4, 2]), g.floats('padval', [])],
    {},
  );
  const cA = g.conv('cA', '_FusedConv2D', padded, [3, 3, 4, 5], { padding: 'VALID', fused: ['BiasAdd', 'Prelu'] });
  const cB = g.conv('cB', '_FusedConv2D', pv2, [3, 3, 4, 5], {
    padding: 'VALID',
    fused: ['BiasAdd', 'LeakyRelu'],
    leaky: 0.3,
  });
  const cC = g.conv('cC', 'Conv2D', x, [3, 3, 4, 5], { padding: 'EXPLICIT', explicit: [0, 0, 2, 0, 2, 0, 0, 0] });
  const cD = g.conv('cD', 'Conv2D', x, [3, 3, 4, 5], { padding: 'SAME', dilation: 2 });
  const cE = g.conv('cE', 'FusedDepthwiseConv2dNative', x, [3, 3, 4, 1], { fused: ['BiasAdd', 'Elu'], strides: 2 });
  const maxed = g.op('maxed', 'Maximum', [cA, cB]);
  const mined = g.op('mined', 'Minimum', [cC, g.floats('floor', [5])]);
  const divided = g.op('divided', 'RealDiv', [mined, g.floats('den', [1, 1, 1, 5], 1, 2)]);
  const summed = g.op('summed', 'Add', [divided, cD]);
  const weighted = g.op('weighted', 'Mul', [summed, g.floats('wmap', [6, 5, 5])]);
  const cat = g.op('cat', 'ConcatV2', [maxed, weighted, g.int32('cat_axis', [-1], [])], {
    N: { i: '2' },
    Tidx: { type: 'DT_INT32' },
  });
  const u1 = g.op('u1', 'Elu', [cat]);
  const u2 = g.op('u2', 'Selu', [u1]);
  const u3 = g.op('u3', 'Tanh', [u2]);
  const u4 = g.op('u4', 'Softplus', [u3]);
  const u5 = g.op('u5', 'Sqrt', [u4]);
  const u6 = g.op('u6', 'Rsqrt', [u5]);
  const u7 = g.op('u7', 'Square', [u6]);
  const u8 = g.op('u8', 'Neg', [u7]);
  const u9 = g.op('u9', 'Abs', [u8]);
  const u10 = g.op('u10', 'Exp', [g.op('small', 'Mul', [u9, g.floats('tenth', [], 0.1, 0.1)])]);
  const u11 = g.op('u11', 'LeakyRelu', [g.op('centred', 'Sub', [u10, g.floats('one', [], 1, 1)])], {
    alpha: { f: 0.2 },
  });
  const u12 = g.op('u12', 'Sigmoid', [u11]);
  const u13 = g.op('u13', 'Relu', [g.op('u13in', 'Sub', [u12, g.floats('half', [], 0.5, 0.5)])]);
  const flat = g.op('flat', 'Reshape', [u13, g.int32('flat_shape', [-1, 300])], { Tshape: { type: 'DT_INT32' } });
  const mm = g.op('mm', 'MatMul', [flat, g.floats('w_t', [7, 300])], {
    transpose_a: { b: false },
    transpose_b: { b: true },
  });
  const mm2 = g.op('mm2', '_FusedMatMul', [mm, g.floats('w2', [7, 3]), g.floats('b2', [3])], {
    fused_ops: strs(['BiasAdd', 'Relu']),
    num_args: { i: '1' },
    transpose_a: { b: false },
    transpose_b: { b: false },
  });
  const kept = g.op('kept', 'Mean', [cE, g.int32('hw', [1, 2])], {
    keep_dims: { b: true },
    Tidx: { type: 'DT_INT32' },
  });
  const sq = g.op('sq', 'Squeeze', [kept], { squeeze_dims: ints([1, 2]) });
  const maxOverW = g.op('max_w', 'Max', [cE, g.int32('w_axis', [2])], {
    keep_dims: { b: false },
    Tidx: { type: 'DT_INT32' },
  });
  g.op('combo', 'Identity', [mm2]);
  g.op('sq_out', 'Identity', [sq]);
  g.op('maxw_out', 'Identity', [maxOverW]);
  return g.artifacts();
}

const ODDS_OUTPUTS = [
  'padded',
  'pv2',
  'cA',
  'cB',
  'cC',
  'cD',
  'cE',
  'divided',
  'weighted',
  'cat',
  'u13',
  'flat',
  'mm',
  'combo',
  'sq_out',
  'maxw_out',
];

describe('graphModelToOnnx', () => {
  it('matches TF.js on a MobileNetV3-like graph, at every tapped node', async () => {
    expectClose(await graphParity(mobileGraph(), 'image', [2, 9, 9, 3], MOBILE_OUTPUTS));
  });

  it('takes NCHW input when asked', async () => {
    expectClose(await graphParity(mobileGraph(), 'image', [3, 9, 9, 3], ['res', 'out'], 'NCHW'));
  });

  it('matches TF.js on padding, merges with constants, unary maths, reshape, squeeze and MatMul variants', async () => {
    expectClose(await graphParity(oddsGraph(), 'x', [2, 6, 5, 4], ODDS_OUTPUTS));
  });

  it('converts only what the outputs need', () => {
    const full = graphModelToOnnx(mobileGraph(), { outputs: ['out'] });
    const part = graphModelToOnnx(mobileGraph(), { outputs: ['c1'] });
    expect(part.bytes.length).toBeLessThan(full.bytes.length);
    expect(part.nodeTensors.has('logits')).toBe(false);
  });

  it('names an unsupported op', () => {
    const g = new GraphFixture();
    const x = g.placeholder('x', [-1, 4, 4, 3]);
    g.op('resized', 'ResizeBilinear', [x, g.int32('size', [8, 8])], { align_corners: { b: false } });
    expect(() => graphModelToOnnx(g.artifacts(), { outputs: ['resized'] })).toThrow(UnsupportedOpError);
    expect(() => graphModelToOnnx(g.artifacts(), { outputs: ['resized'] })).toThrow(/ResizeBilinear/);
  });

  it('takes op names from the file as names only: toString, constructor and __proto__ are unsupported ops', () => {
    for (const op of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      const g = new GraphFixture();
      const x = g.placeholder('x', [-1, 4, 4, 3]);
      g.op('odd', op, [x]);
      expect(() => graphModelToOnnx(g.artifacts(), { outputs: ['odd'] }), op).toThrow(UnsupportedOpError);
    }
  });
});
