// TF.js LayersModel (Keras 2 JSON + weights) -> ONNX opset 13.
//
// Keras tensors are channels-last; ONNX Conv and pooling are channels-first. Every rank-4
// value is therefore tracked with its layout and moved with a Transpose only where an op
// needs the other one (Flatten, Reshape, Dense on images, graph outputs), so a plain CNN has
// a single Transpose after the input and none inside. BatchNormalization that directly
// follows a linear Conv/Dense is folded into its weights; ZeroPadding2D before a 'valid'
// Conv becomes that Conv's pads.

import type { JsValue } from '../tfjs/js-literal';
import {
  type KerasGraph,
  type KerasLayer,
  type KerasNode,
  nodeKey,
  parseKerasTopology,
  refKey,
  type TensorRef,
} from '../tfjs/keras-topology';
import { type DecodedWeight, decodeWeights, type TfjsArtifacts } from '../tfjs/tfjs-artifacts';
import { convKernelToOnnx, depthwiseKernelToOnnx, outSize, padAttrs, tfPads } from './conv-geometry';
import { type ConvertedTensor, describeTensor, LayoutValues, type Val as PlainVal, product } from './layout-values';
import { attr, type OnnxAttribute, OnnxGraphBuilder } from './onnx-graph-builder';

export class UnsupportedLayerError extends Error {
  constructor(
    readonly layerClass: string,
    readonly layerName: string,
    detail?: string,
  ) {
    super(
      `Layer "${layerName}" (${layerClass}) cannot be converted to ONNX${detail ? `: ${detail}` : ': this layer type is not supported'}.`,
    );
    this.name = 'UnsupportedLayerError';
  }
}

export type { ConvertedTensor, TensorLayout } from './layout-values';

export interface LayersToOnnxOptions {
  /** Layers whose outputs become graph outputs (channels-last, as Keras gives them). Default: the model's outputs. */
  outputs?: string[];
  /** Layout of rank-4 graph inputs. NCHW saves the input Transpose when the caller can fill NCHW directly. */
  inputLayout?: 'NHWC' | 'NCHW';
  graphName?: string;
  docString?: string;
}

export interface LayersToOnnxResult {
  bytes: Uint8Array;
  inputs: ConvertedTensor[];
  outputs: ConvertedTensor[];
  /** Where each converted layer's output lives in the ONNX graph (layers folded away or skipped are absent). */
  layerTensors: Map<string, ConvertedTensor>;
}

export function layersModelToOnnx(artifacts: TfjsArtifacts, options: LayersToOnnxOptions = {}): LayersToOnnxResult {
  const graph = parseKerasTopology(artifacts.model.modelTopology);
  return layersGraphToOnnx(graph, decodeWeights(artifacts), options);
}

export function layersGraphToOnnx(
  graph: KerasGraph,
  weights: Map<string, DecodedWeight>,
  options: LayersToOnnxOptions = {},
): LayersToOnnxResult {
  return new LayersConverter(graph, weights, options).convert();
}

/** A value, possibly a ZeroPadding2D not emitted yet ([top, bottom, left, right] around `source`). */
interface Val extends PlainVal {
  pendingPad?: { source: Val; pads: [number, number, number, number] };
}

/** Training-only layers: identities at inference. */
const IDENTITY_LAYERS = new Set(['Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);

const FOLDABLE_PRODUCERS = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'Dense']);

class LayersConverter {
  private readonly b: OnnxGraphBuilder;
  private readonly layouts: LayoutValues;
  private readonly values = new Map<string, Val>();
  private readonly materialised = new Map<Val, Val>();
  /** Producer node key -> BatchNormalization node folded into it. */
  private readonly folds = new Map<string, KerasNode>();
  private readonly foldedBn = new Set<string>();
  private readonly layerTensors = new Map<string, ConvertedTensor>();
  private readonly outputRefs: TensorRef[];

  constructor(
    private readonly graph: KerasGraph,
    private readonly weights: Map<string, DecodedWeight>,
    private readonly options: LayersToOnnxOptions,
  ) {
    this.b = new OnnxGraphBuilder(options.graphName ?? graph.name);
    this.layouts = new LayoutValues(this.b);
    this.outputRefs = options.outputs
      ? options.outputs.map((layer) => {
          if (!graph.layers.has(layer)) throw new Error(`The model has no layer named "${layer}"`);
          return { layer, nodeIndex: 0, tensorIndex: 0 };
        })
      : graph.outputs;
  }

  convert(): LayersToOnnxResult {
    const order = this.reachableNodes();
    this.planFolds(order);
    const inputs = this.graph.inputs.map((ref) => this.addGraphInput(ref));
    for (const node of order) {
      if (node.layer.className === 'InputLayer') continue;
      if (node.inputs.some((r) => r.tensorIndex !== 0)) {
        throw new UnsupportedLayerError(node.layer.className, node.layer.name, 'it reads a second output of a layer');
      }
      const ins = node.inputs.map((r) => {
        const v = this.values.get(refKey(r));
        if (!v) throw new Error(`Layer "${node.layer.name}" reads "${r.layer}" before it is computed`);
        return v;
      });
      const out = this.convertNode(node, ins);
      this.values.set(refKey({ layer: node.layer.name, nodeIndex: node.nodeIndex, tensorIndex: 0 }), out);
      const recordable = !out.pendingPad && !this.folds.has(node.key);
      if (recordable && !this.layerTensors.has(node.layer.name)) {
        this.layerTensors.set(node.layer.name, describeTensor(out, node.layer.name));
      }
    }
    const outputs = this.outputRefs.map((ref) => this.addGraphOutput(ref));
    const bytes = this.b.serialize({ producerName: 'graft layers-to-onnx', docString: this.options.docString });
    return { bytes, inputs, outputs, layerTensors: this.layerTensors };
  }

  /** Nodes needed for the requested outputs, inputs first. */
  private reachableNodes(): KerasNode[] {
    const order: KerasNode[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (key: string): void => {
      const s = state.get(key);
      if (s === 'done') return;
      if (s === 'visiting') throw new Error(`The layer graph has a cycle at ${key}`);
      const node = this.graph.nodes.get(key);
      if (!node) throw new Error(`The layer graph refers to a missing layer application ${key}`);
      state.set(key, 'visiting');
      for (const r of node.inputs) visit(nodeKey(r.layer, r.nodeIndex));
      state.set(key, 'done');
      order.push(node);
    };
    for (const r of this.outputRefs) visit(nodeKey(r.layer, r.nodeIndex));
    return order;
  }

  /** BatchNormalization folds into a linear Conv/Dense whose output nothing else reads. */
  private planFolds(order: KerasNode[]): void {
    const readers = new Map<string, number>();
    for (const node of order) for (const r of node.inputs) readers.set(refKey(r), (readers.get(refKey(r)) ?? 0) + 1);
    for (const r of this.outputRefs) readers.set(refKey(r), (readers.get(refKey(r)) ?? 0) + 1);
    for (const node of order) {
      if (node.layer.className !== 'BatchNormalization' || node.inputs.length !== 1) continue;
      const src = node.inputs[0];
      const producer = this.graph.nodes.get(nodeKey(src.layer, src.nodeIndex));
      if (!producer || !FOLDABLE_PRODUCERS.has(producer.layer.className)) continue;
      if ((producer.layer.config.activation ?? 'linear') !== 'linear') continue;
      if (!normalisesLastAxis(node.layer, producer.layer.className === 'Dense' ? null : 4)) continue;
      if (readers.get(refKey(src)) !== 1) continue;
      if (this.folds.has(producer.key)) continue;
      this.folds.set(producer.key, node);
      this.foldedBn.add(node.key);
    }
  }

  private addGraphInput(ref: TensorRef): ConvertedTensor {
    const layer = this.graph.layers.get(ref.layer);
    if (layer?.className !== 'InputLayer') throw new Error(`Model input ${ref.layer} is not an InputLayer`);
    const raw = layer.config.batch_input_shape ?? layer.config.batch_shape;
    if (!Array.isArray(raw)) throw new Error(`Input ${layer.name} has no batch_input_shape`);
    const shape = raw.map((d) => (typeof d === 'number' ? d : null));
    const { val, tensor } = this.layouts.addGraphInput(
      layer.name,
      shape,
      this.options.inputLayout === 'NCHW',
      layer.name,
    );
    this.values.set(refKey(ref), val);
    this.layerTensors.set(layer.name, tensor);
    return tensor;
  }

  private addGraphOutput(ref: TensorRef): ConvertedTensor {
    const v = this.values.get(refKey(ref));
    if (!v) throw new Error(`Output ${ref.layer} was not computed`);
    return this.layouts.addGraphOutput(this.materialise(v), ref.layer);
  }

  // ---- layout helpers -------------------------------------------------------------------

  private materialise(v: Val): Val {
    if (!v.pendingPad) return v;
    const cached = this.materialised.get(v);
    if (cached) return cached;
    const src = this.nchw(v.pendingPad.source);
    const [t, bt, l, r] = v.pendingPad.pads;
    const pads = this.b.addInt64Initializer(`${v.name}/pads`, [8], [0, 0, t, l, 0, 0, bt, r]);
    this.b.addNode('Pad', [src.name, pads], [v.name], { mode: attr.string('constant') });
    const out: Val = { name: v.name, shape: v.shape, nchw: true };
    this.materialised.set(v, out);
    return out;
  }

  private nchw(v: Val): Val {
    return this.layouts.nchw(this.materialise(v));
  }

  private plain(v: Val): Val {
    return this.layouts.plain(this.materialise(v));
  }

  private onnxAxis(v: Val, kerasAxis: number): number {
    return this.layouts.onnxAxis(v, kerasAxis);
  }

  // ---- weights ---------------------------------------------------------------------------

  private weight(layer: KerasLayer, weightName: string): DecodedWeight {
    const exact = `${layer.name}/${weightName}`;
    const found =
      this.weights.get(exact) ??
      this.weights.get(`${exact}:0`) ??
      [...this.weights.entries()].find(([k]) => k.endsWith(`/${exact}`) || k.endsWith(`/${exact}:0`))?.[1];
    if (!found) throw new Error(`Weight ${exact} of layer "${layer.name}" is missing from the weight files`);
    if (found.dtype !== 'float32') throw new Error(`Weight ${exact} is not float32`);
    return found;
  }

  private hasWeight(layer: KerasLayer, weightName: string): boolean {
    try {
      this.weight(layer, weightName);
      return true;
    } catch {
      return false;
    }
  }

  // ---- dispatch --------------------------------------------------------------------------

  private outName(node: KerasNode): string {
    const base = node.nodeIndex === 0 ? node.layer.name : `${node.layer.name}_${node.nodeIndex}`;
    return this.b.uniqueName(base);
  }

  private convertNode(node: KerasNode, ins: Val[]): Val {
    const { layer } = node;
    const c = layer.config;
    if (c.data_format === 'channels_first') {
      throw new UnsupportedLayerError(layer.className, layer.name, 'channels_first data is not supported');
    }
    if (this.foldedBn.has(node.key)) return ins[0];
    if (IDENTITY_LAYERS.has(layer.className)) return ins[0];
    const one = (): Val => {
      if (ins.length !== 1) throw new UnsupportedLayerError(layer.className, layer.name, `expected one input`);
      return ins[0];
    };
    switch (layer.className) {
      case 'Conv2D':
      case 'DepthwiseConv2D':
      case 'SeparableConv2D':
        return this.conv(node, one());
      case 'Dense':
        return this.dense(node, one());
      case 'BatchNormalization':
        return this.batchNorm(node, one());
      case 'Activation':
        return this.activation(node, one(), str(c.activation, 'linear'), this.outName(node));
      case 'ReLU':
        return this.relu(node, one());
      case 'LeakyReLU':
        return this.unary(node, one(), 'LeakyRelu', { alpha: attr.float(num(c.alpha, 0.3)) });
      case 'ELU':
        return this.unary(node, one(), 'Elu', { alpha: attr.float(num(c.alpha, 1)) });
      case 'Softmax':
        return this.softmax(one(), num(c.axis, -1), this.outName(node));
      case 'ZeroPadding2D':
        return this.zeroPadding(node, one());
      case 'MaxPooling2D':
      case 'AveragePooling2D':
        return this.pool(node, one());
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D':
        return this.globalPool(node, one());
      case 'Flatten':
        return this.flatten(node, one());
      case 'Reshape':
        return this.reshape(node, one());
      case 'Rescaling':
        return this.rescaling(node, one());
      case 'Add':
      case 'Multiply':
      case 'Average':
      case 'Maximum':
      case 'Minimum':
        return this.merge(node, ins);
      case 'Concatenate':
        return this.concatenate(node, ins);
      default:
        throw new UnsupportedLayerError(layer.className, layer.name);
    }
  }

  // ---- layers ----------------------------------------------------------------------------

  private conv(node: KerasNode, input: Val): Val {
    const { layer } = node;
    const c = layer.config;
    const padding = str(c.padding, 'valid');
    if (padding !== 'same' && padding !== 'valid') {
      throw new UnsupportedLayerError(layer.className, layer.name, `padding "${padding}" is not supported`);
    }
    const [kh, kw] = pair(c.kernel_size, layer);
    const [sh, sw] = pair(c.strides ?? 1, layer);
    const [dh, dw] = pair(c.dilation_rate ?? 1, layer);
    let src = input;
    let extra: [number, number, number, number] = [0, 0, 0, 0];
    if (input.pendingPad && padding === 'valid') {
      extra = input.pendingPad.pads;
      src = input.pendingPad.source;
    }
    src = this.nchw(src);
    if (src.shape.length !== 4) throw new UnsupportedLayerError(layer.className, layer.name, 'input is not an image');
    const [, inH, inW, cin] = src.shape;
    if (cin === null) throw new UnsupportedLayerError(layer.className, layer.name, 'input channel count is unknown');
    const padH = tfPads(inH, kh, sh, dh, padding, extra[0], extra[1]);
    const padW = tfPads(inW, kw, sw, dw, padding, extra[2], extra[3]);
    const spatial = {
      strides: attr.ints([sh, sw]),
      dilations: attr.ints([dh, dw]),
      ...padAttrs(padH, padW),
    };
    const outH = outSize(inH, kh, sh, dh, padH);
    const outW = outSize(inW, kw, sw, dw, padW);
    const fold = this.folds.get(node.key);
    const useBias = c.use_bias !== false;
    const final = this.outName(fold ? fold : node);
    const activation = str(c.activation, 'linear');
    const convOut = activation === 'linear' ? final : this.b.uniqueName(`${layer.name}/conv`);
    let cout: number;
    if (layer.className === 'Conv2D') {
      const groups = num(c.groups, 1);
      const k = this.weight(layer, 'kernel');
      cout = k.shape[3];
      if (k.shape[2] * groups !== cin) {
        throw new Error(
          `Layer "${layer.name}": kernel expects ${k.shape[2] * groups} input channels, input has ${cin}`,
        );
      }
      const w = convKernelToOnnx(k);
      const bias = useBias ? Float32Array.from(this.weight(layer, 'bias').data) : new Float32Array(cout);
      this.emitConv(layer, src.name, w, [cout, k.shape[2], kh, kw], bias, fold, convOut, {
        ...spatial,
        group: attr.int(groups),
        kernel_shape: attr.ints([kh, kw]),
      });
    } else {
      const dk = this.weight(layer, 'depthwise_kernel');
      const mult = dk.shape[3];
      if (dk.shape[2] !== cin) {
        throw new Error(`Layer "${layer.name}": depthwise kernel expects ${dk.shape[2]} channels, input has ${cin}`);
      }
      const dwW = depthwiseKernelToOnnx(dk);
      const depthwiseAttrs = { ...spatial, group: attr.int(cin), kernel_shape: attr.ints([kh, kw]) };
      if (layer.className === 'DepthwiseConv2D') {
        cout = cin * mult;
        const bias = useBias ? Float32Array.from(this.weight(layer, 'bias').data) : new Float32Array(cout);
        this.emitConv(layer, src.name, dwW, [cout, 1, kh, kw], bias, fold, convOut, depthwiseAttrs);
      } else {
        const mid = this.b.uniqueName(`${layer.name}/depthwise`);
        this.emitConv(layer, src.name, dwW, [cin * mult, 1, kh, kw], new Float32Array(cin * mult), undefined, mid, {
          ...depthwiseAttrs,
        });
        const pk = this.weight(layer, 'pointwise_kernel');
        cout = pk.shape[3];
        const bias = useBias ? Float32Array.from(this.weight(layer, 'bias').data) : new Float32Array(cout);
        this.emitConv(layer, mid, convKernelToOnnx(pk), [cout, cin * mult, 1, 1], bias, fold, convOut, {
          kernel_shape: attr.ints([1, 1]),
        });
      }
    }
    const out: Val = { name: convOut, shape: [null, outH, outW, cout], nchw: true };
    return activation === 'linear' ? out : this.activation(node, out, activation, final);
  }

  /** One Conv node, with a following BatchNormalization folded into its weights if planned. */
  private emitConv(
    layer: KerasLayer,
    x: string,
    w: Float32Array,
    dims: number[],
    bias: Float32Array,
    fold: KerasNode | undefined,
    out: string,
    attrs: Record<string, OnnxAttribute>,
  ): void {
    if (fold) this.foldBatchNorm(fold.layer, w, dims[0], bias);
    const wName = this.b.addFloatInitializer(`${layer.name}/W`, dims, w);
    const bName = this.b.addFloatInitializer(`${layer.name}/B`, [dims[0]], bias);
    this.b.addNode('Conv', [x, wName, bName], [out], attrs);
  }

  /** Scales weights (output channel = outermost axis, or innermost for Dense) and shifts bias in place. */
  private foldBatchNorm(bn: KerasLayer, w: Float32Array, channels: number, bias: Float32Array, outerAxis = true): void {
    const { scale, shift } = this.batchNormAffine(bn, channels);
    const per = w.length / channels;
    for (let o = 0; o < channels; o++) {
      if (outerAxis) for (let i = 0; i < per; i++) w[o * per + i] *= scale[o];
      else for (let i = 0; i < per; i++) w[i * channels + o] *= scale[o];
      bias[o] = bias[o] * scale[o] + shift[o];
    }
  }

  /** BatchNormalization as y = x * scale + shift per channel. */
  private batchNormAffine(bn: KerasLayer, channels: number): { scale: Float32Array; shift: Float32Array } {
    const c = bn.config;
    const eps = num(c.epsilon, 1e-3);
    const mean = this.weight(bn, 'moving_mean').data;
    const variance = this.weight(bn, 'moving_variance').data;
    const gamma = c.scale !== false && this.hasWeight(bn, 'gamma') ? this.weight(bn, 'gamma').data : null;
    const beta = c.center !== false && this.hasWeight(bn, 'beta') ? this.weight(bn, 'beta').data : null;
    if (mean.length !== channels) {
      throw new Error(`Layer "${bn.name}" normalises ${mean.length} channels but its input has ${channels}`);
    }
    const scale = new Float32Array(channels);
    const shift = new Float32Array(channels);
    for (let i = 0; i < channels; i++) {
      scale[i] = (gamma ? gamma[i] : 1) / Math.sqrt(variance[i] + eps);
      shift[i] = (beta ? beta[i] : 0) - mean[i] * scale[i];
    }
    return { scale, shift };
  }

  private batchNorm(node: KerasNode, input: Val): Val {
    const { layer } = node;
    const x = this.materialise(input);
    const rank = x.shape.length;
    if (!normalisesLastAxis(layer, rank)) {
      throw new UnsupportedLayerError(layer.className, layer.name, 'only the channel (last) axis is supported');
    }
    const channels = x.shape[rank - 1];
    if (channels === null) throw new UnsupportedLayerError(layer.className, layer.name, 'channel count unknown');
    const { scale, shift } = this.batchNormAffine(layer, channels);
    const dims = x.nchw ? [1, channels, 1, 1] : [channels];
    const s = this.b.addFloatInitializer(`${layer.name}/scale`, dims, scale);
    const t = this.b.addFloatInitializer(`${layer.name}/shift`, dims, shift);
    const mid = this.b.uniqueName(`${layer.name}/mul`);
    const out = this.outName(node);
    this.b.addNode('Mul', [x.name, s], [mid]);
    this.b.addNode('Add', [mid, t], [out]);
    return { name: out, shape: x.shape, nchw: x.nchw };
  }

  private dense(node: KerasNode, input: Val): Val {
    const { layer } = node;
    const c = layer.config;
    const k = this.weight(layer, 'kernel');
    const [fin, units] = k.shape;
    const x = input.shape.length === 2 ? this.materialise(input) : this.plain(input);
    const lastDim = x.shape[x.shape.length - 1];
    if (lastDim !== null && lastDim !== fin) {
      throw new Error(`Layer "${layer.name}": kernel expects ${fin} inputs, input has ${lastDim}`);
    }
    const w = Float32Array.from(k.data);
    const bias = c.use_bias !== false ? Float32Array.from(this.weight(layer, 'bias').data) : new Float32Array(units);
    const fold = this.folds.get(node.key);
    if (fold) this.foldBatchNorm(fold.layer, w, units, bias, false);
    const final = this.outName(fold ? fold : node);
    const activation = str(c.activation, 'linear');
    const linearOut = activation === 'linear' ? final : this.b.uniqueName(`${layer.name}/linear`);
    const wName = this.b.addFloatInitializer(`${layer.name}/W`, [fin, units], w);
    const bName = this.b.addFloatInitializer(`${layer.name}/B`, [units], bias);
    if (x.shape.length === 2) {
      this.b.addNode('Gemm', [x.name, wName, bName], [linearOut]);
    } else {
      const mm = this.b.uniqueName(`${layer.name}/matmul`);
      this.b.addNode('MatMul', [x.name, wName], [mm]);
      this.b.addNode('Add', [mm, bName], [linearOut]);
    }
    const out: Val = { name: linearOut, shape: [...x.shape.slice(0, -1), units], nchw: false };
    return activation === 'linear' ? out : this.activation(node, out, activation, final);
  }

  private unary(node: KerasNode, input: Val, op: string, attrs: Record<string, OnnxAttribute> = {}): Val {
    const x = this.materialise(input);
    const out = this.outName(node);
    this.b.addNode(op, [x.name], [out], attrs);
    return { name: out, shape: x.shape, nchw: x.nchw };
  }

  private clip(x: Val, min: number, max: number, out: string): Val {
    const lo = this.b.addFloatInitializer(`${out}/min`, [], Float32Array.of(min));
    const hi = this.b.addFloatInitializer(`${out}/max`, [], Float32Array.of(max));
    this.b.addNode('Clip', [x.name, lo, hi], [out]);
    return { name: out, shape: x.shape, nchw: x.nchw };
  }

  private relu(node: KerasNode, input: Val): Val {
    const { layer } = node;
    const c = layer.config;
    if (num(c.threshold, 0) !== 0 || num(c.negative_slope, 0) !== 0) {
      throw new UnsupportedLayerError(layer.className, layer.name, 'a threshold or negative slope');
    }
    const x = this.materialise(input);
    const maxValue = c.max_value;
    if (typeof maxValue === 'number') return this.clip(x, 0, maxValue, this.outName(node));
    return this.unary(node, x, 'Relu');
  }

  private softmax(input: Val, kerasAxis: number, out: string): Val {
    const x = this.materialise(input);
    const axis = this.onnxAxis(x, kerasAxis);
    this.b.addNode('Softmax', [x.name], [out], { axis: attr.int(axis) });
    return { name: out, shape: x.shape, nchw: x.nchw };
  }

  /** A Keras activation function by name (Keras snake_case or TF.js camelCase), written to `out`. */
  private activation(node: KerasNode, input: Val, name: string, out: string): Val {
    const fn = name.replace(/_/g, '').toLowerCase();
    const x = this.materialise(input);
    const same = (name: string): Val => ({ name, shape: x.shape, nchw: x.nchw });
    const simple: Record<string, string> = {
      relu: 'Relu',
      sigmoid: 'Sigmoid',
      tanh: 'Tanh',
      elu: 'Elu',
      selu: 'Selu',
      softplus: 'Softplus',
      softsign: 'Softsign',
    };
    if (fn in simple) {
      this.b.addNode(simple[fn], [x.name], [out]);
      return same(out);
    }
    switch (fn) {
      case 'linear':
        this.b.addNode('Identity', [x.name], [out]);
        return same(out);
      case 'relu6':
        return this.clip(x, 0, 6, out);
      case 'softmax':
        return this.softmax(x, -1, out);
      case 'hardsigmoid':
        this.b.addNode('HardSigmoid', [x.name], [out], { alpha: attr.float(0.2), beta: attr.float(0.5) });
        return same(out);
      case 'swish': {
        const sig = this.b.uniqueName(`${out}/sigmoid`);
        this.b.addNode('Sigmoid', [x.name], [sig]);
        this.b.addNode('Mul', [x.name, sig], [out]);
        return same(out);
      }
      case 'mish': {
        const sp = this.b.uniqueName(`${out}/softplus`);
        const th = this.b.uniqueName(`${out}/tanh`);
        this.b.addNode('Softplus', [x.name], [sp]);
        this.b.addNode('Tanh', [sp], [th]);
        this.b.addNode('Mul', [x.name, th], [out]);
        return same(out);
      }
      default:
        throw new UnsupportedLayerError(node.layer.className, node.layer.name, `activation "${name}" is not supported`);
    }
  }

  private zeroPadding(node: KerasNode, input: Val): Val {
    const { layer } = node;
    const x = this.materialise(input);
    if (x.shape.length !== 4) throw new UnsupportedLayerError(layer.className, layer.name, 'input is not an image');
    const pads = zeroPaddingAmounts(layer);
    const [, h, w, ch] = x.shape;
    const shape = [null, h === null ? null : h + pads[0] + pads[1], w === null ? null : w + pads[2] + pads[3], ch];
    return { name: this.outName(node), shape, nchw: true, pendingPad: { source: x, pads } };
  }

  private pool(node: KerasNode, input: Val): Val {
    const { layer } = node;
    const c = layer.config;
    const x = this.nchw(input);
    const [kh, kw] = pair(c.pool_size ?? 2, layer);
    const [sh, sw] = c.strides === null || c.strides === undefined ? [kh, kw] : pair(c.strides, layer);
    const padding = str(c.padding, 'valid');
    if (padding !== 'same' && padding !== 'valid') {
      throw new UnsupportedLayerError(layer.className, layer.name, `padding "${padding}" is not supported`);
    }
    const [, inH, inW, ch] = x.shape;
    const padH = tfPads(inH, kh, sh, 1, padding, 0, 0);
    const padW = tfPads(inW, kw, sw, 1, padding, 0, 0);
    const out = this.outName(node);
    const op = layer.className === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool';
    // TF averages only over the window's in-image pixels, which is ONNX's count_include_pad=0.
    this.b.addNode(op, [x.name], [out], {
      kernel_shape: attr.ints([kh, kw]),
      strides: attr.ints([sh, sw]),
      ...padAttrs(padH, padW),
    });
    return { name: out, shape: [null, outSize(inH, kh, sh, 1, padH), outSize(inW, kw, sw, 1, padW), ch], nchw: true };
  }

  private globalPool(node: KerasNode, input: Val): Val {
    const { layer } = node;
    const x = this.nchw(input);
    if (x.shape.length !== 4) throw new UnsupportedLayerError(layer.className, layer.name, 'input is not an image');
    const keep = layer.config.keepdims === true;
    const out = this.outName(node);
    const op = layer.className === 'GlobalMaxPooling2D' ? 'ReduceMax' : 'ReduceMean';
    this.b.addNode(op, [x.name], [out], { axes: attr.ints([2, 3]), keepdims: attr.int(keep ? 1 : 0) });
    const ch = x.shape[3];
    return keep ? { name: out, shape: [null, 1, 1, ch], nchw: true } : { name: out, shape: [null, ch], nchw: false };
  }

  private flatten(node: KerasNode, input: Val): Val {
    const x = this.plain(input);
    const out = this.outName(node);
    this.b.addNode('Flatten', [x.name], [out], { axis: attr.int(1) });
    const rest = x.shape.slice(1);
    return { name: out, shape: [null, rest.includes(null) ? null : product(rest as number[])], nchw: false };
  }

  private reshape(node: KerasNode, input: Val): Val {
    const { layer } = node;
    const target = layer.config.target_shape;
    if (!Array.isArray(target) || target.some((d) => typeof d !== 'number')) {
      throw new UnsupportedLayerError(layer.className, layer.name, 'target_shape is missing');
    }
    const dims = target as number[];
    const x = this.plain(input);
    const shapeName = this.b.addInt64Initializer(`${layer.name}/shape`, [dims.length + 1], [0, ...dims]);
    const out = this.outName(node);
    this.b.addNode('Reshape', [x.name, shapeName], [out]);
    const known = x.shape.slice(1);
    const total = known.includes(null) ? null : product(known as number[]);
    const fixed = product(dims.filter((d) => d !== -1));
    const shape = dims.map((d) => (d === -1 ? (total === null ? null : total / fixed) : d));
    return { name: out, shape: [null, ...shape], nchw: false };
  }

  private rescaling(node: KerasNode, input: Val): Val {
    const { layer } = node;
    const x = this.materialise(input);
    const scale = this.b.addFloatInitializer(`${layer.name}/scale`, [], Float32Array.of(num(layer.config.scale, 1)));
    const offset = this.b.addFloatInitializer(`${layer.name}/offset`, [], Float32Array.of(num(layer.config.offset, 0)));
    const mid = this.b.uniqueName(`${layer.name}/mul`);
    const out = this.outName(node);
    this.b.addNode('Mul', [x.name, scale], [mid]);
    this.b.addNode('Add', [mid, offset], [out]);
    return { name: out, shape: x.shape, nchw: x.nchw };
  }

  /** Brings inputs of an element-wise or concat layer to one layout. */
  private aligned(node: KerasNode, ins: Val[]): Val[] {
    const rank = ins[0].shape.length;
    if (ins.some((v) => v.shape.length !== rank)) {
      throw new UnsupportedLayerError(node.layer.className, node.layer.name, 'inputs of different ranks');
    }
    const anyNchw = ins.some((v) => v.nchw || v.pendingPad);
    return ins.map((v) => (rank === 4 && anyNchw ? this.nchw(v) : this.plain(v)));
  }

  private merge(node: KerasNode, inputs: Val[]): Val {
    const { layer } = node;
    if (inputs.length < 2) throw new UnsupportedLayerError(layer.className, layer.name, 'needs two or more inputs');
    const ins = this.aligned(node, inputs);
    const out = this.outName(node);
    const names = ins.map((v) => v.name);
    // Keras merge layers broadcast size-1 axes.
    const shape = ins[0].shape.map((_, i) => {
      const sizes = ins.map((v) => v.shape[i]);
      return sizes.includes(null) ? null : Math.max(...(sizes as number[]));
    });
    const ops: Record<string, string> = { Add: 'Sum', Maximum: 'Max', Minimum: 'Min' };
    if (layer.className === 'Average') {
      const sum = this.b.uniqueName(`${layer.name}/sum`);
      this.b.addNode('Sum', names, [sum]);
      const k = this.b.addFloatInitializer(`${layer.name}/inv_n`, [], Float32Array.of(1 / names.length));
      this.b.addNode('Mul', [sum, k], [out]);
    } else if (layer.className === 'Multiply') {
      let acc = names[0];
      for (let i = 1; i < names.length; i++) {
        const to = i === names.length - 1 ? out : this.b.uniqueName(`${layer.name}/mul`);
        this.b.addNode('Mul', [acc, names[i]], [to]);
        acc = to;
      }
    } else {
      this.b.addNode(names.length === 2 && layer.className === 'Add' ? 'Add' : ops[layer.className], names, [out]);
    }
    return { name: out, shape, nchw: ins[0].nchw };
  }

  private concatenate(node: KerasNode, inputs: Val[]): Val {
    const ins = this.aligned(node, inputs);
    const kerasAxis = num(node.layer.config.axis, -1);
    const axis = this.onnxAxis(ins[0], kerasAxis);
    const out = this.outName(node);
    this.b.addNode(
      'Concat',
      ins.map((v) => v.name),
      [out],
      { axis: attr.int(axis) },
    );
    const rank = ins[0].shape.length;
    const k = kerasAxis < 0 ? kerasAxis + rank : kerasAxis;
    const shape = ins[0].shape.slice();
    const parts = ins.map((v) => v.shape[k]);
    shape[k] = parts.includes(null) ? null : (parts as number[]).reduce((a, b) => a + b, 0);
    return { name: out, shape, nchw: ins[0].nchw };
  }
}

// ---- config readers ----------------------------------------------------------------------

/** Whether a BatchNormalization normalises the channel (last) axis; rank null accepts only -1. */
function normalisesLastAxis(bn: KerasLayer, rank: number | null): boolean {
  const axis = bn.config.axis;
  const list = Array.isArray(axis) ? axis : [axis ?? -1];
  if (list.length !== 1 || typeof list[0] !== 'number') return false;
  return list[0] === -1 || (rank !== null && list[0] === rank - 1);
}

function num(v: JsValue | undefined, fallback: number): number {
  return typeof v === 'number' ? v : fallback;
}

function str(v: JsValue | undefined, fallback: string): string {
  return typeof v === 'string' ? v : fallback;
}

function pair(v: JsValue | undefined, layer: KerasLayer): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number') return [v[0], v[1]];
  throw new UnsupportedLayerError(layer.className, layer.name, `expected a 2-D size, got ${JSON.stringify(v)}`);
}

/** ZeroPadding2D's padding as [top, bottom, left, right]. */
function zeroPaddingAmounts(layer: KerasLayer): [number, number, number, number] {
  const p = layer.config.padding ?? 1;
  if (typeof p === 'number') return [p, p, p, p];
  if (Array.isArray(p) && p.length === 2) {
    const [h, w] = p;
    if (typeof h === 'number' && typeof w === 'number') return [h, h, w, w];
    if (Array.isArray(h) && Array.isArray(w)) {
      const flat = [h[0], h[1], w[0], w[1]];
      if (flat.every((x) => typeof x === 'number')) return flat as [number, number, number, number];
    }
  }
  throw new UnsupportedLayerError(layer.className, layer.name, `padding ${JSON.stringify(p)} is not understood`);
}
