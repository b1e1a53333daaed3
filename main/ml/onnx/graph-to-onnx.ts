// TF.js GraphModel (a frozen TensorFlow graph of NodeDefs + weights) -> ONNX opset 13.
//
// Covers the ops of the CNN backbones Graft bundles (MobileNetV2/V3 feature extractors):
// fused convolutions with their bias and activation, depthwise convolutions,
// element-wise arithmetic with constants, pooling, reductions, MatMul, Softmax and the
// shape ops around them. Only the nodes needed for the requested outputs are converted,
// so a detector's post-processing never has to be. Any other op fails with its name.
import type { JsValue } from '../tfjs/js-literal';
import {
  type DecodedWeight,
  decodeWeights,
  isJsonObject,
  type JsonObject,
  type TfjsArtifacts,
} from '../tfjs/tfjs-artifacts';
import { convKernelToOnnx, depthwiseKernelToOnnx, outSize, padAttrs, tfPads } from './conv-geometry';
import { type ConvertedTensor, describeTensor, LayoutValues, product, TO_NCHW, type Val } from './layout-values';
import { attr, type OnnxAttribute, OnnxGraphBuilder } from './onnx-graph-builder';

export class UnsupportedOpError extends Error {
  constructor(
    readonly op: string,
    readonly nodeName: string,
    detail?: string,
  ) {
    super(
      `TF op ${op} (node "${nodeName}") cannot be converted to ONNX${detail ? `: ${detail}` : ': this op is not supported'}.`,
    );
    this.name = 'UnsupportedOpError';
  }
}

export interface GraphToOnnxOptions {
  /** Node names whose first output becomes a graph output (channels-last). Default: the graph's sink nodes. */
  outputs?: string[];
  /** Layout of rank-4 graph inputs. */
  inputLayout?: 'NHWC' | 'NCHW';
  /** Replaces the placeholders' spatial size (fully convolutional models run at other sizes). */
  inputSize?: [number, number];
  graphName?: string;
  docString?: string;
}

export interface GraphToOnnxResult {
  bytes: Uint8Array;
  inputs: ConvertedTensor[];
  outputs: ConvertedTensor[];
  /** Where each converted node's first output lives in the ONNX graph. */
  nodeTensors: Map<string, ConvertedTensor>;
}

interface TfNode {
  name: string;
  op: string;
  inputs: string[];
  attr: JsonObject;
}

type Operand = { kind: 'const'; weight: DecodedWeight } | { kind: 'val'; val: Val };

export function graphModelToOnnx(artifacts: TfjsArtifacts, options: GraphToOnnxOptions = {}): GraphToOnnxResult {
  const topology = artifacts.model.modelTopology;
  if (!Array.isArray(topology.node)) throw new Error('Not a TF.js GraphModel: modelTopology has no node list');
  const nodes = topology.node.map(readNode);
  return new GraphConverter(nodes, decodeWeights(artifacts), options).convert();
}

function readNode(v: JsValue): TfNode {
  if (!isJsonObject(v) || typeof v.name !== 'string' || typeof v.op !== 'string') {
    throw new Error('A graph node needs a name and an op');
  }
  const inputs = Array.isArray(v.input) ? v.input.filter((i): i is string => typeof i === 'string') : [];
  return { name: v.name, op: v.op, inputs, attr: isJsonObject(v.attr ?? null) ? (v.attr as JsonObject) : {} };
}

/** "name", "name:0" -> name; control inputs ("^name") are dropped by the caller. */
function inputNode(ref: string): { node: string; index: number } {
  const m = /^(.*?)(?::(\d+))?$/.exec(ref) as RegExpExecArray;
  return { node: m[1], index: m[2] ? Number(m[2]) : 0 };
}

const ALIAS_OPS = new Set(['Identity', 'StopGradient', 'Snapshot']);
const UNARY_OPS: Record<string, string> = {
  Relu: 'Relu',
  Elu: 'Elu',
  Selu: 'Selu',
  Sigmoid: 'Sigmoid',
  Tanh: 'Tanh',
  Softplus: 'Softplus',
  Exp: 'Exp',
  Sqrt: 'Sqrt',
  Neg: 'Neg',
  Abs: 'Abs',
};
const BINARY_OPS: Record<string, string> = {
  Add: 'Add',
  AddV2: 'Add',
  BiasAdd: 'Add',
  Sub: 'Sub',
  Mul: 'Mul',
  RealDiv: 'Div',
  Maximum: 'Max',
  Minimum: 'Min',
};

class GraphConverter {
  private readonly b: OnnxGraphBuilder;
  private readonly layouts: LayoutValues;
  private readonly byName: Map<string, TfNode>;
  private readonly operands = new Map<string, Operand>();
  private readonly nodeTensors = new Map<string, ConvertedTensor>();
  private readonly outputNames: string[];

  constructor(
    private readonly nodes: TfNode[],
    private readonly weights: Map<string, DecodedWeight>,
    private readonly options: GraphToOnnxOptions,
  ) {
    this.b = new OnnxGraphBuilder(options.graphName ?? 'graph');
    this.layouts = new LayoutValues(this.b);
    this.byName = new Map(nodes.map((n) => [n.name, n]));
    this.outputNames = options.outputs ?? this.sinks();
    for (const o of this.outputNames) if (!this.byName.has(o)) throw new Error(`The graph has no node named "${o}"`);
  }

  private sinks(): string[] {
    const read = new Set<string>();
    for (const n of this.nodes) for (const i of n.inputs) read.add(inputNode(i.replace(/^\^/, '')).node);
    return this.nodes.filter((n) => !read.has(n.name) && n.op !== 'Const' && n.op !== 'NoOp').map((n) => n.name);
  }

  convert(): GraphToOnnxResult {
    const order = this.reachable();
    const inputs: ConvertedTensor[] = [];
    for (const node of order) {
      if (node.op === 'Placeholder') {
        inputs.push(this.placeholder(node));
        continue;
      }
      if (node.op === 'Const') {
        const w = this.weights.get(node.name);
        if (!w) throw new Error(`Constant ${node.name} is missing from the weight files`);
        this.operands.set(node.name, { kind: 'const', weight: w });
        continue;
      }
      const ins = node.inputs.filter((i) => !i.startsWith('^')).map((ref) => this.operand(node, ref));
      const out = this.convertNode(node, ins);
      this.operands.set(node.name, out);
      if (out.kind === 'val' && !this.nodeTensors.has(node.name)) {
        this.nodeTensors.set(node.name, describeTensor(out.val, node.name));
      }
    }
    const outputs = this.outputNames.map((name) => this.addGraphOutput(name));
    const bytes = this.b.serialize({ producerName: 'graft graph-to-onnx', docString: this.options.docString });
    return { bytes, inputs, outputs, nodeTensors: this.nodeTensors };
  }

  private reachable(): TfNode[] {
    const order: TfNode[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (name: string): void => {
      const s = state.get(name);
      if (s === 'done') return;
      if (s === 'visiting') throw new Error(`The graph has a cycle at ${name}`);
      const node = this.byName.get(name);
      if (!node) throw new Error(`The graph refers to a missing node ${name}`);
      state.set(name, 'visiting');
      for (const i of node.inputs) if (!i.startsWith('^')) visit(inputNode(i).node);
      state.set(name, 'done');
      order.push(node);
    };
    for (const o of this.outputNames) visit(o);
    return order;
  }

  private operand(node: TfNode, ref: string): Operand {
    const { node: name, index } = inputNode(ref);
    if (index !== 0) throw new UnsupportedOpError(node.op, node.name, `it reads output ${index} of ${name}`);
    const found = this.operands.get(name);
    if (!found) throw new Error(`Node ${node.name} reads ${name} before it is computed`);
    return found;
  }

  private placeholder(node: TfNode): ConvertedTensor {
    const dtype = node.attr.dtype;
    if (isJsonObject(dtype ?? null) && (dtype as JsonObject).type !== 'DT_FLOAT') {
      throw new UnsupportedOpError(node.op, node.name, 'only float inputs are supported');
    }
    const shape = attrShape(node, 'shape');
    if (!shape) throw new UnsupportedOpError(node.op, node.name, 'the input shape is not declared');
    if (this.options.inputSize && shape.length === 4) {
      shape[1] = this.options.inputSize[0];
      shape[2] = this.options.inputSize[1];
    }
    const { val, tensor } = this.layouts.addGraphInput(
      node.name,
      shape,
      this.options.inputLayout === 'NCHW',
      node.name,
    );
    this.operands.set(node.name, { kind: 'val', val });
    this.nodeTensors.set(node.name, tensor);
    return tensor;
  }

  private addGraphOutput(nodeName: string): ConvertedTensor {
    const operand = this.operands.get(nodeName);
    if (operand?.kind !== 'val') throw new Error(`Output ${nodeName} is not a computed tensor`);
    return this.layouts.addGraphOutput(operand.val, nodeName);
  }

  // ---- helpers ----------------------------------------------------------------------------

  private val(node: TfNode, o: Operand | undefined, what = 'input'): Val {
    if (o?.kind !== 'val') throw new UnsupportedOpError(node.op, node.name, `its ${what} must be a computed tensor`);
    return o.val;
  }

  private constant(node: TfNode, o: Operand | undefined, what: string): DecodedWeight {
    if (o?.kind !== 'const') throw new UnsupportedOpError(node.op, node.name, `its ${what} must be a constant`);
    return o.weight;
  }

  private out(node: TfNode): string {
    return this.b.uniqueName(node.name);
  }

  private floatInit(base: string, w: DecodedWeight, dims = w.shape): string {
    return this.b.addFloatInitializer(base, dims, w.data instanceof Float32Array ? w.data : Float32Array.from(w.data));
  }

  // ---- dispatch ---------------------------------------------------------------------------

  private convertNode(node: TfNode, ins: Operand[]): Operand {
    const dataFormat = attrString(node, 'data_format');
    if (dataFormat && dataFormat !== 'NHWC') {
      throw new UnsupportedOpError(node.op, node.name, `data_format ${dataFormat} is not supported`);
    }
    if (ALIAS_OPS.has(node.op)) return ins[0];
    const wrap = (val: Val): Operand => ({ kind: 'val', val });
    // Own properties only: an op named "toString" in a model file must not find Object.prototype's.
    if (Object.hasOwn(UNARY_OPS, node.op)) return wrap(this.unary(node, this.val(node, ins[0]), UNARY_OPS[node.op]));
    if (Object.hasOwn(BINARY_OPS, node.op)) return wrap(this.binary(node, ins[0], ins[1], BINARY_OPS[node.op]));
    switch (node.op) {
      case 'Relu6':
        return wrap(this.clip(this.val(node, ins[0]), 0, 6, this.out(node)));
      case 'LeakyRelu':
        return wrap(
          this.unary(node, this.val(node, ins[0]), 'LeakyRelu', { alpha: attr.float(attrFloat(node, 'alpha', 0.2)) }),
        );
      case 'Rsqrt': {
        const x = this.val(node, ins[0]);
        const sq = this.b.uniqueName(`${node.name}/sqrt`);
        this.b.addNode('Sqrt', [x.name], [sq]);
        const out = this.out(node);
        this.b.addNode('Reciprocal', [sq], [out]);
        return wrap({ ...x, name: out });
      }
      case 'Square': {
        const x = this.val(node, ins[0]);
        const out = this.out(node);
        this.b.addNode('Mul', [x.name, x.name], [out]);
        return wrap({ ...x, name: out });
      }
      case 'Conv2D':
      case '_FusedConv2D':
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative':
        return wrap(this.conv(node, ins));
      case 'MatMul':
      case '_FusedMatMul':
        return wrap(this.matMul(node, ins));
      case 'AvgPool':
      case 'MaxPool':
        return wrap(this.pool(node, this.val(node, ins[0])));
      case 'Mean':
      case 'Max':
        return wrap(this.reduce(node, this.val(node, ins[0]), this.constant(node, ins[1], 'axes')));
      case 'Squeeze':
        return wrap(this.squeeze(node, this.val(node, ins[0])));
      case 'Reshape':
        return wrap(this.reshape(node, this.val(node, ins[0]), this.constant(node, ins[1], 'shape')));
      case 'ConcatV2':
        return wrap(this.concat(node, ins));
      case 'Pad':
      case 'PadV2':
        return wrap(this.pad(node, ins));
      case 'Softmax': {
        const x = this.val(node, ins[0]);
        const out = this.out(node);
        this.b.addNode('Softmax', [x.name], [out], { axis: attr.int(this.layouts.onnxAxis(x, -1)) });
        return wrap({ ...x, name: out });
      }
      default:
        throw new UnsupportedOpError(node.op, node.name);
    }
  }

  // ---- ops ----------------------------------------------------------------------------------

  private unary(node: TfNode, x: Val, op: string, attrs: Record<string, OnnxAttribute> = {}): Val {
    const out = this.out(node);
    this.b.addNode(op, [x.name], [out], attrs);
    return { ...x, name: out };
  }

  private clip(x: Val, min: number, max: number, out: string): Val {
    const lo = this.b.addFloatInitializer(`${out}/min`, [], Float32Array.of(min));
    const hi = this.b.addFloatInitializer(`${out}/max`, [], Float32Array.of(max));
    this.b.addNode('Clip', [x.name, lo, hi], [out]);
    return { ...x, name: out };
  }

  /** A constant operand shaped to broadcast against `like` in its ONNX layout. */
  private broadcastConstant(base: string, w: DecodedWeight, like: Val): string {
    if (!like.nchw || w.shape.length === 0 || product(w.shape) === 1) {
      return this.floatInit(base, w, like.nchw && w.shape.length > 0 ? [] : w.shape);
    }
    if (w.shape.length > 4) throw new Error(`Constant ${base} has rank ${w.shape.length}`);
    const nhwc = [...new Array(4 - w.shape.length).fill(1), ...w.shape] as number[];
    const [n, h, wd, c] = nhwc;
    const src = w.data;
    const out = new Float32Array(src.length);
    for (let a = 0; a < n; a++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < wd; x++)
          for (let ch = 0; ch < c; ch++) out[((a * c + ch) * h + y) * wd + x] = src[((a * h + y) * wd + x) * c + ch];
    return this.b.addFloatInitializer(base, [n, c, h, wd], out);
  }

  private binary(node: TfNode, a: Operand, bOperand: Operand, op: string): Val {
    const out = this.out(node);
    if (a.kind === 'const' && bOperand.kind === 'const') {
      throw new UnsupportedOpError(node.op, node.name, 'both operands are constants');
    }
    if (a.kind === 'val' && bOperand.kind === 'val') {
      let x = a.val;
      let y = bOperand.val;
      const rank = Math.max(x.shape.length, y.shape.length);
      const sameRank4 = x.shape.length === 4 && y.shape.length === 4;
      if (sameRank4 && (x.nchw || y.nchw)) {
        x = this.layouts.nchw(x);
        y = this.layouts.nchw(y);
      } else {
        x = this.layouts.plain(x);
        y = this.layouts.plain(y);
      }
      this.b.addNode(op, [x.name, y.name], [out]);
      return { name: out, shape: broadcastShape(x.shape, y.shape, rank), nchw: x.nchw };
    }
    const v = a.kind === 'val' ? a.val : (bOperand as { kind: 'val'; val: Val }).val;
    const w = a.kind === 'const' ? a.weight : (bOperand as { kind: 'const'; weight: DecodedWeight }).weight;
    if (w.shape.length > v.shape.length) {
      throw new UnsupportedOpError(node.op, node.name, 'the constant has a higher rank than the tensor');
    }
    const c = this.broadcastConstant(`${node.name}/${a.kind === 'const' ? 'x' : 'y'}`, w, v);
    this.b.addNode(op, a.kind === 'const' ? [c, v.name] : [v.name, c], [out]);
    const cShape = [...new Array(v.shape.length - w.shape.length).fill(1), ...w.shape] as number[];
    return { name: out, shape: broadcastShape(v.shape, cShape, v.shape.length), nchw: v.nchw };
  }

  private conv(node: TfNode, ins: Operand[]): Val {
    const x0 = this.val(node, ins[0]);
    const filter = this.constant(node, ins[1], 'filter');
    const depthwise = node.op.includes('Depthwise');
    const fused = attrStrings(node, 'fused_ops');
    const args = ins.slice(2);
    const [, sh, sw] = attrInts(node, 'strides') ?? [1, 1, 1, 1];
    const [, dh, dw] = attrInts(node, 'dilations') ?? [1, 1, 1, 1];
    const padding = attrString(node, 'padding') ?? 'VALID';
    const [kh, kw] = filter.shape;
    let padH: ReturnType<typeof tfPads>;
    let padW: ReturnType<typeof tfPads>;
    const x = this.layouts.nchw(x0);
    const [, inH, inW, cin] = x.shape;
    if (padding === 'EXPLICIT') {
      const p = attrInts(node, 'explicit_paddings') ?? [];
      padH = [p[2] ?? 0, p[3] ?? 0];
      padW = [p[4] ?? 0, p[5] ?? 0];
    } else if (padding === 'SAME' || padding === 'VALID') {
      const mode = padding === 'SAME' ? 'same' : 'valid';
      padH = tfPads(inH, kh, sh, dh, mode);
      padW = tfPads(inW, kw, sw, dw, mode);
    } else {
      throw new UnsupportedOpError(node.op, node.name, `padding ${padding} is not supported`);
    }
    if (cin === null) throw new UnsupportedOpError(node.op, node.name, 'the input channel count is unknown');
    let w: Float32Array;
    let dims: number[];
    let group: number;
    if (depthwise) {
      if (filter.shape[2] !== cin)
        throw new Error(`${node.name}: filter expects ${filter.shape[2]} channels, input has ${cin}`);
      w = depthwiseKernelToOnnx(filter);
      dims = [cin * filter.shape[3], 1, kh, kw];
      group = cin;
    } else {
      if (cin % filter.shape[2] !== 0)
        throw new Error(`${node.name}: filter expects ${filter.shape[2]} channels, input has ${cin}`);
      w = convKernelToOnnx(filter);
      dims = [filter.shape[3], filter.shape[2], kh, kw];
      group = cin / filter.shape[2];
    }
    const cout = dims[0];
    const bias = new Float32Array(cout);
    let rest = fused;
    if (rest[0] === 'BiasAdd') {
      bias.set(this.constant(node, args[0], 'bias').data);
      rest = rest.slice(1);
    }
    const activation = rest[0];
    if (rest.length > 1) throw new UnsupportedOpError(node.op, node.name, `fused ops ${fused.join('+')}`);
    const final = this.out(node);
    const convOut = activation ? this.b.uniqueName(`${node.name}/conv`) : final;
    const wName = this.b.addFloatInitializer(`${node.name}/W`, dims, w);
    const bName = this.b.addFloatInitializer(`${node.name}/B`, [cout], bias);
    this.b.addNode('Conv', [x.name, wName, bName], [convOut], {
      kernel_shape: attr.ints([kh, kw]),
      strides: attr.ints([sh, sw]),
      dilations: attr.ints([dh, dw]),
      group: attr.int(group),
      ...padAttrs(padH, padW),
    });
    const val: Val = {
      name: convOut,
      shape: [null, outSize(inH, kh, sh, dh, padH), outSize(inW, kw, sw, dw, padW), cout],
      nchw: true,
    };
    return activation ? this.fusedActivation(node, val, activation, args, fused[0] === 'BiasAdd', final) : val;
  }

  /** The activation of a fused op; a PReLU's alpha follows the bias in the op's extra arguments. */
  private fusedActivation(
    node: TfNode,
    x: Val,
    activation: string,
    args: Operand[],
    hasBias: boolean,
    out: string,
  ): Val {
    switch (activation) {
      case 'Relu':
      case 'Elu':
      case 'Sigmoid':
        this.b.addNode(activation, [x.name], [out]);
        return { ...x, name: out };
      case 'Relu6':
        return this.clip(x, 0, 6, out);
      case 'LeakyRelu':
        this.b.addNode('LeakyRelu', [x.name], [out], { alpha: attr.float(attrFloat(node, 'leakyrelu_alpha', 0.2)) });
        return { ...x, name: out };
      case 'Prelu': {
        const alpha = this.constant(node, args[hasBias ? 1 : 0], 'PReLU alpha');
        const slope = this.broadcastConstant(`${node.name}/alpha`, alpha, x);
        this.b.addNode('PRelu', [x.name, slope], [out]);
        return { ...x, name: out };
      }
      default:
        throw new UnsupportedOpError(node.op, node.name, `fused activation ${activation}`);
    }
  }

  private matMul(node: TfNode, ins: Operand[]): Val {
    const a = this.layouts.plain(this.val(node, ins[0]));
    if (attrBool(node, 'transpose_a')) throw new UnsupportedOpError(node.op, node.name, 'transpose_a');
    if (a.shape.length !== 2) throw new UnsupportedOpError(node.op, node.name, 'only rank-2 inputs are supported');
    const transB = attrBool(node, 'transpose_b');
    const fused = attrStrings(node, 'fused_ops');
    const final = this.out(node);
    const activation = fused.find((f) => f !== 'BiasAdd');
    const linearOut = activation ? this.b.uniqueName(`${node.name}/linear`) : final;
    const w = this.constant(node, ins[1], 'second operand (weights)');
    const units = transB ? w.shape[0] : w.shape[1];
    const inputs = [a.name, this.floatInit(`${node.name}/W`, w)];
    if (fused.includes('BiasAdd')) inputs.push(this.floatInit(`${node.name}/B`, this.constant(node, ins[2], 'bias')));
    this.b.addNode('Gemm', inputs, [linearOut], transB ? { transB: attr.int(1) } : {});
    const val: Val = { name: linearOut, shape: [null, units], nchw: false };
    return activation ? this.fusedActivation(node, val, activation, ins.slice(2), fused[0] === 'BiasAdd', final) : val;
  }

  private pool(node: TfNode, input: Val): Val {
    const x = this.layouts.nchw(input);
    const [, kh, kw] = attrInts(node, 'ksize') ?? [1, 1, 1, 1];
    const [, sh, sw] = attrInts(node, 'strides') ?? [1, 1, 1, 1];
    const padding = attrString(node, 'padding') ?? 'VALID';
    if (padding !== 'SAME' && padding !== 'VALID') {
      throw new UnsupportedOpError(node.op, node.name, `padding ${padding} is not supported`);
    }
    const mode = padding === 'SAME' ? 'same' : 'valid';
    const [, inH, inW, ch] = x.shape;
    const padH = tfPads(inH, kh, sh, 1, mode);
    const padW = tfPads(inW, kw, sw, 1, mode);
    const out = this.out(node);
    // TF averages only over in-image pixels: ONNX's default count_include_pad=0.
    this.b.addNode(node.op === 'MaxPool' ? 'MaxPool' : 'AveragePool', [x.name], [out], {
      kernel_shape: attr.ints([kh, kw]),
      strides: attr.ints([sh, sw]),
      ...padAttrs(padH, padW),
    });
    return { name: out, shape: [null, outSize(inH, kh, sh, 1, padH), outSize(inW, kw, sw, 1, padW), ch], nchw: true };
  }

  private reduce(node: TfNode, input: Val, axesConst: DecodedWeight): Val {
    const rank = input.shape.length;
    const tfAxes = [...axesConst.data].map((a) => (a < 0 ? a + rank : a));
    const keep = attrBool(node, 'keep_dims');
    // Dropping axes from an NCHW value keeps TF's order only when what is left is N,C or N,H,W.
    const left = [...Array(rank).keys()].filter((a) => !tfAxes.includes(a));
    const orderSafe = keep || left.every((a) => a === 0 || a === 3) || !left.includes(3);
    const x = input.nchw && !orderSafe ? this.layouts.plain(input) : input;
    const axes = tfAxes.map((a) => this.layouts.onnxAxis(x, a)).sort((p, q) => p - q);
    const out = this.out(node);
    this.b.addNode(node.op === 'Max' ? 'ReduceMax' : 'ReduceMean', [x.name], [out], {
      axes: attr.ints(axes),
      keepdims: attr.int(keep ? 1 : 0),
    });
    const shape = keep ? x.shape.map((d, i) => (tfAxes.includes(i) ? 1 : d)) : left.map((a) => x.shape[a]);
    return { name: out, shape, nchw: keep ? x.nchw : false };
  }

  private squeeze(node: TfNode, input: Val): Val {
    const rank = input.shape.length;
    let dims = (attrInts(node, 'squeeze_dims') ?? []).map((a) => (a < 0 ? a + rank : a));
    if (dims.length === 0) dims = input.shape.flatMap((d, i) => (d === 1 ? [i] : []));
    if (dims.length === 0) throw new UnsupportedOpError(node.op, node.name, 'the squeezed axes are unknown');
    const spatialOnly = dims.length === 2 && dims.includes(1) && dims.includes(2);
    const x = input.nchw && !spatialOnly ? this.layouts.plain(input) : input;
    const axes = dims.map((a) => this.layouts.onnxAxis(x, a)).sort((p, q) => p - q);
    const axesName = this.b.addInt64Initializer(`${node.name}/axes`, [axes.length], axes);
    const out = this.out(node);
    this.b.addNode('Squeeze', [x.name, axesName], [out]);
    return { name: out, shape: x.shape.filter((_, i) => !dims.includes(i)), nchw: false };
  }

  private reshape(node: TfNode, input: Val, shapeConst: DecodedWeight): Val {
    const x = this.layouts.plain(input);
    const dims = [...shapeConst.data];
    const shapeName = this.b.addInt64Initializer(`${node.name}/shape`, [dims.length], dims);
    const out = this.out(node);
    this.b.addNode('Reshape', [x.name, shapeName], [out]);
    const known = x.shape.slice(1);
    const total = known.includes(null) ? null : product(known as number[]);
    const shape = dims.map((d, i) => {
      if (i === 0) return null;
      if (d !== -1) return d;
      const fixed = product(dims.slice(1).filter((v) => v !== -1));
      return total === null ? null : total / fixed;
    });
    return { name: out, shape, nchw: false };
  }

  private concat(node: TfNode, ins: Operand[]): Val {
    const axisConst = this.constant(node, ins[ins.length - 1], 'axis');
    const parts = ins.slice(0, -1).map((o, i) => this.val(node, o, `input ${i}`));
    const rank = parts[0].shape.length;
    if (parts.some((p) => p.shape.length !== rank)) throw new UnsupportedOpError(node.op, node.name, 'mixed ranks');
    const useNchw = rank === 4 && parts.some((p) => p.nchw);
    const aligned = parts.map((p) => (useNchw ? this.layouts.nchw(p) : this.layouts.plain(p)));
    const tfAxis = axisConst.data[0] < 0 ? axisConst.data[0] + rank : axisConst.data[0];
    const out = this.out(node);
    this.b.addNode(
      'Concat',
      aligned.map((p) => p.name),
      [out],
      { axis: attr.int(this.layouts.onnxAxis(aligned[0], tfAxis)) },
    );
    const shape = aligned[0].shape.slice();
    const sizes = aligned.map((p) => p.shape[tfAxis]);
    shape[tfAxis] = sizes.includes(null) ? null : (sizes as number[]).reduce((a, b) => a + b, 0);
    return { name: out, shape, nchw: useNchw };
  }

  private pad(node: TfNode, ins: Operand[]): Val {
    const x0 = this.val(node, ins[0]);
    const p = [...this.constant(node, ins[1], 'paddings').data];
    const rank = x0.shape.length;
    if (p.length !== rank * 2) throw new UnsupportedOpError(node.op, node.name, 'paddings do not match the rank');
    const x = rank === 4 ? this.layouts.nchw(x0) : x0;
    const order = x.nchw ? TO_NCHW : [...Array(rank).keys()];
    const pads = [...order.map((a) => p[a * 2]), ...order.map((a) => p[a * 2 + 1])];
    const padsName = this.b.addInt64Initializer(`${node.name}/pads`, [pads.length], pads);
    const inputs = [x.name, padsName];
    if (node.op === 'PadV2') {
      const value = this.constant(node, ins[2], 'pad value');
      inputs.push(this.b.addFloatInitializer(`${node.name}/value`, [], Float32Array.of(value.data[0])));
    }
    const out = this.out(node);
    this.b.addNode('Pad', inputs, [out], { mode: attr.string('constant') });
    const shape = x.shape.map((d, a) => (d === null ? null : d + p[a * 2] + p[a * 2 + 1]));
    return { name: out, shape, nchw: x.nchw };
  }
}

function broadcastShape(a: (number | null)[], b: (number | null)[], rank: number): (number | null)[] {
  const pa = [...new Array(rank - a.length).fill(1), ...a];
  const pb = [...new Array(rank - b.length).fill(1), ...b];
  return pa.map((d, i) => {
    const e = pb[i];
    // A size-1 axis takes the other side's size; an unknown one stays unknown unless the other is known and not 1.
    if (d === 1) return e;
    if (e === 1) return d;
    return d === null ? e : e === null ? d : Math.max(d, e);
  });
}

// ---- NodeDef attribute readers (TF.js JSON: ints as strings, strings as base64) -------------

function attrValue(node: TfNode, key: string): JsonObject | null {
  const v = node.attr[key];
  return isJsonObject(v ?? null) ? (v as JsonObject) : null;
}

function decodeB64(s: JsValue): string {
  return typeof s === 'string' ? Buffer.from(s, 'base64').toString('utf8') : '';
}

function attrString(node: TfNode, key: string): string | null {
  const v = attrValue(node, key);
  return v && typeof v.s === 'string' ? decodeB64(v.s) : null;
}

function attrStrings(node: TfNode, key: string): string[] {
  const list = attrValue(node, key)?.list;
  if (!isJsonObject(list ?? null)) return [];
  const s = (list as JsonObject).s;
  return Array.isArray(s) ? s.map(decodeB64) : [];
}

function attrInts(node: TfNode, key: string): number[] | null {
  const list = attrValue(node, key)?.list;
  if (!isJsonObject(list ?? null)) return null;
  const i = (list as JsonObject).i;
  return Array.isArray(i) ? i.map((x) => Number(x)) : null;
}

function attrFloat(node: TfNode, key: string, fallback: number): number {
  const f = attrValue(node, key)?.f;
  return typeof f === 'number' ? f : typeof f === 'string' ? Number(f) : fallback;
}

function attrBool(node: TfNode, key: string): boolean {
  return attrValue(node, key)?.b === true;
}

function attrShape(node: TfNode, key: string): (number | null)[] | null {
  const shape = attrValue(node, key)?.shape;
  if (!isJsonObject(shape ?? null)) return null;
  const dims = (shape as JsonObject).dim;
  if (!Array.isArray(dims)) return null;
  return dims.map((d) => {
    const size = isJsonObject(d) ? Number(d.size) : Number.NaN;
    return Number.isFinite(size) && size >= 0 ? size : null;
  });
}
