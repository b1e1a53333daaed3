// The trainable top of an ONNX backbone: the graph's nodes from a cut tensor to the feature
// tap, rebuilt as tfjs operations on variables initialised from the graph's own weights, so
// stage 2 trains an ONNX backbone (bundled GraphModels as Graft converts them, imported float
// ONNX, quantised ONNX) as layers-top.ts lets it train a Keras one.
//
// Blocks: the cut must separate the network (every path from the image to the tap passes
// through it). The block boundaries are the separating tensors at residual connections — the
// output of an Add of two activations, or a tensor such an Add reads (the input of a residual
// block) — or, in a network without residual connections, the separating inputs of its
// convolutions; numbered 1..K from the image, block k+1 is what lies between boundary k and the
// next (block K+1 ends at the tap). Unfreezing N blocks cuts at boundary K-N+1.
//
// Weights: float initializers as they are; QDQ weights (DequantizeLinear of an int8/uint8
// initializer) dequantised; QOperator nodes (QLinearConv, com.microsoft QLinearAdd) and
// QuantizeLinear run in float on dequantised weights, their output fake-quantised with the
// graph's own scale and zero point: clamped to the range the quantised tensor can hold (which is
// how such models fuse ReLU/ReLU6) and rounded to its step (half to even, as ONNX QuantizeLinear),
// the gradient passing straight through inside the range (the straight-through estimator of
// quantisation-aware training, Jacob et al. 2018). So the top computes what the int8 graph
// computes, and the fine-tuned model exported is that top in float ops, rounding included
// (onnx-top-export.ts).
import * as tf from '@tensorflow/tfjs';
import { defaultOpset, type GraphInfo, graphInfo, nodesNeededFor } from '../onnx/onnx-graph-info';
import { type AttributeProto, decodeModel, ElemType, type NodeProto, toNumber } from '../onnx/onnx-proto';
import { FineTuneError } from './finetune-error';
import { dequantise, type OnnxWeight, quantisedRange, tensorValues } from './onnx-values';
import type { TrainableTop } from './trainable-top';

type Pads = [number, number, number, number];

/** How a quantised tensor's float value is stored: the graph's scale and zero-point initializers, and their values. */
export interface Quantised {
  scale: string;
  zeroPoint: string;
  step: number;
  /** The float interval its integer type can hold. */
  range: [number, number];
}

/** One node of the top in float terms; tensor names are the graph's, weights keyed in OnnxTopPlan.weights. */
export type TopOp =
  | {
      kind: 'conv';
      node: string;
      input: string;
      output: string;
      /** Keys of the float weight [O, I/group, kh, kw] and bias [O] (null: none). */
      weight: string;
      bias: string | null;
      group: number;
      strides: [number, number];
      dilations: [number, number];
      /** ONNX pads [top, left, bottom, right]; 'same-upper' resolves them from the input size as ONNX SAME_UPPER does. */
      pads: Pads | 'same-upper';
      /** A quantised output (QLinearConv): fake-quantised. */
      quantised: Quantised | null;
    }
  | { kind: 'add' | 'mul'; node: string; inputs: [string, string]; output: string; quantised: Quantised | null }
  | { kind: 'quantise'; node: string; input: string; output: string; quantised: Quantised }
  | { kind: 'relu' | 'sigmoid' | 'hardswish' | 'identity' | 'mean'; node: string; input: string; output: string }
  | { kind: 'clip'; node: string; input: string; output: string; min: number; max: number }
  | { kind: 'hardsigmoid'; node: string; input: string; output: string; alpha: number; beta: number };

export interface OnnxTopPlan {
  /** The cut tensor in the graph: the trunk's output. */
  cut: string;
  /** How to read the cut as floats when the graph holds it quantised. */
  cutQuantisation: { scale: string; zeroPoint: string } | null;
  /** The tap tensor (NCHW) the top ends at. */
  tap: string;
  blocks: number[];
  ops: TopOp[];
  /** Float weights and constants in ONNX layout, keyed as the ops name them. */
  weights: Map<string, OnnxWeight>;
}

const RESIDUAL_ADDS = new Set(['Add', 'QLinearAdd']);

/**
 * The block boundaries (separating tensors at residual connections, image first) on the way to
 * `tap`. Throws FineTuneError FINETUNE_INVALID when the graph has no tensor `tap`.
 */
export function onnxBlockBoundaries(bytes: Uint8Array, tap: string): string[] {
  return boundaries(infoOf(bytes), tap);
}

/**
 * How many of the top blocks up to `tap` Graft can train, and, where not all, the message naming
 * the first node below them it cannot (planOnnxTop's). Tops grow with the block count, so a
 * binary search over planOnnxTop finds the largest that plans.
 */
export function onnxTrainableBlocks(bytes: Uint8Array, tap: string): { blocks: number; limit: string | null } {
  const info = infoOf(bytes);
  const total = boundaries(info, tap).length;
  if (total === 0) return { blocks: 0, limit: 'This network has no block boundary Graft can cut at.' };
  const failure = (blockCount: number): string | null => {
    try {
      planFrom(info, { tap, blockCount });
      return null;
    } catch (err) {
      if (!(err instanceof FineTuneError) || err.code !== 'FINETUNE_UNSUPPORTED') throw err;
      return err.message;
    }
  };
  let [lo, hi] = [0, total];
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (failure(mid) === null) lo = mid;
    else hi = mid - 1;
  }
  // The smallest top that fails names the node nearest the tap that Graft cannot train.
  return { blocks: lo, limit: lo < total ? failure(lo + 1) : null };
}

/**
 * The top holding the last `blockCount` blocks up to `tap`, translated to float ops.
 * Throws FineTuneError FINETUNE_INVALID for a tap or block count the graph does not have and
 * FINETUNE_UNSUPPORTED naming the node (and how many blocks can be unfrozen) where a node of
 * the top cannot be trained.
 */
export function planOnnxTop(bytes: Uint8Array, options: { tap: string; blockCount: number }): OnnxTopPlan {
  return planFrom(infoOf(bytes), options);
}

function planFrom(info: GraphInfo, options: { tap: string; blockCount: number }): OnnxTopPlan {
  const { tap, blockCount } = options;
  const found = boundaries(info, tap);
  if (!Number.isInteger(blockCount) || blockCount < 1 || blockCount > found.length) {
    throw new FineTuneError(
      'FINETUNE_INVALID',
      `This backbone has ${found.length} blocks Graft can unfreeze before its feature tensor; ${blockCount} cannot be unfrozen.`,
    );
  }
  const at = found.length - blockCount;
  const cut = found[at];
  const nodes = topNodes(info, cut, tap) as NodeProto[];
  const weights = new Map<string, OnnxWeight>();
  const ops: TopOp[] = [];
  const index = new Map(info.nodes.map((n, i) => [n, i]));
  for (const node of nodes) {
    try {
      const op = translate(info, node, weights);
      if (op) ops.push(op);
    } catch (err) {
      if (!(err instanceof FineTuneError) || err.code !== 'FINETUNE_UNSUPPORTED') throw err;
      const position = index.get(node) as number;
      const possible = found.filter((b) => (index.get(info.producer.get(b) as NodeProto) as number) >= position).length;
      throw new FineTuneError(
        'FINETUNE_UNSUPPORTED',
        `${err.message} It is in block ${blockOf(info, found, node) + 1}; ${possible > 0 ? `unfreeze at most ${possible} block${possible === 1 ? '' : 's'}` : 'no block above it can be unfrozen'}.`,
      );
    }
  }
  const producer = info.producer.get(cut) as NodeProto;
  const quantised = QUANTISED_OUTPUT[producer.opType ?? ''];
  return {
    cut,
    cutQuantisation: quantised
      ? { scale: (producer.input ?? [])[quantised[0]], zeroPoint: (producer.input ?? [])[quantised[1]] }
      : null,
    tap,
    blocks: Array.from({ length: blockCount }, (_, i) => at + 2 + i),
    ops,
    weights,
  };
}

/** A top built in tfjs: variables hold the convolution weights (tfjs layout) stage 2 trains. */
export interface OnnxTop extends TrainableTop {
  plan: OnnxTopPlan;
  /** The trained weights back in ONNX layout, keyed as plan.weights (convolutions only). */
  onnxWeights(): Map<string, OnnxWeight>;
  dispose(): void;
}

let instances = 0;

/** The plan as tfjs ops; `cutShape` is one photo's cut activation [H, W, C] (the trunk's NHWC output). */
export function buildOnnxTop(plan: OnnxTopPlan, cutShape: [number, number, number]): OnnxTop {
  instances += 1;
  const prefix = `graft_onnx_top_${instances}`;
  const variables = new Map<string, tf.Variable>();
  const constants = new Map<string, tf.Tensor>();
  for (const op of plan.ops) {
    if (op.kind === 'conv') {
      const w = plan.weights.get(op.weight) as OnnxWeight;
      variables.set(op.weight, tf.variable(kernelToTfjs(w, op.group), true, `${prefix}/${op.weight}`));
      if (op.bias) {
        const b = plan.weights.get(op.bias) as OnnxWeight;
        variables.set(op.bias, tf.variable(tf.tensor1d(b.data), true, `${prefix}/${op.bias}`));
      }
    } else if (op.kind === 'add' || op.kind === 'mul') {
      for (const input of op.inputs) {
        const c = plan.weights.get(input);
        if (c) constants.set(input, tf.keep(constantToNhwc(c, op.node)));
      }
    }
  }
  const run = (cut: tf.Tensor4D): tf.Tensor4D =>
    tf.tidy(() => {
      const values = new Map<string, tf.Tensor>([[plan.cut, cut]]);
      const read = (name: string): tf.Tensor => {
        const v = values.get(name) ?? constants.get(name);
        if (!v) throw new FineTuneError('TRAINING_FAILED', `The top reads "${name}" before it is computed.`);
        return v;
      };
      for (const op of plan.ops) values.set(op.output, apply(op, read, variables));
      return read(plan.tap) as tf.Tensor4D;
    });
  return {
    plan,
    cutName: plan.cut,
    cutShape,
    blocks: plan.blocks,
    trainable: [...variables.values()],
    run,
    onnxWeights: () => {
      const out = new Map<string, OnnxWeight>();
      for (const op of plan.ops) {
        if (op.kind !== 'conv') continue;
        const w = plan.weights.get(op.weight) as OnnxWeight;
        const kernel = variables.get(op.weight) as tf.Variable;
        out.set(op.weight, { dims: w.dims, data: kernelToOnnx(kernel, w.dims, op.group) });
        if (op.bias) {
          const b = variables.get(op.bias) as tf.Variable;
          out.set(op.bias, { dims: [b.shape[0]], data: Float32Array.from(b.dataSync()) });
        }
      }
      return out;
    },
    dispose: () => {
      tf.dispose([...variables.values(), ...constants.values()]);
    },
  };
}

function apply(op: TopOp, read: (name: string) => tf.Tensor, vars: Map<string, tf.Variable>): tf.Tensor {
  switch (op.kind) {
    case 'conv': {
      let x = read(op.input) as tf.Tensor4D;
      const kernel = vars.get(op.weight) as tf.Variable;
      const [kh, kw] = kernel.shape;
      const pads = op.pads === 'same-upper' ? sameUpper(x.shape, [kh, kw], op.strides, op.dilations) : op.pads;
      if (pads.some((p) => p !== 0)) {
        x = tf.pad(x, [
          [0, 0],
          [pads[0], pads[2]],
          [pads[1], pads[3]],
          [0, 0],
        ]);
      }
      let y: tf.Tensor =
        op.group === 1
          ? tf.conv2d(x, kernel as tf.Tensor4D, op.strides, 'valid', 'NHWC', op.dilations)
          : tf.depthwiseConv2d(x, kernel as tf.Tensor4D, op.strides, 'valid', 'NHWC', op.dilations);
      if (op.bias) y = tf.add(y, vars.get(op.bias) as tf.Variable);
      return op.quantised ? fakeQuantise(y, op.quantised) : y;
    }
    case 'add':
    case 'mul': {
      const [a, b] = op.inputs.map(read);
      const y = op.kind === 'add' ? tf.add(a, b) : tf.mul(a, b);
      return op.quantised ? fakeQuantise(y, op.quantised) : y;
    }
    case 'quantise':
      return fakeQuantise(read(op.input), op.quantised);
    case 'relu':
      return tf.relu(read(op.input));
    case 'sigmoid':
      return tf.sigmoid(read(op.input));
    case 'hardswish': {
      const x = read(op.input);
      return tf.mul(x, tf.div(tf.clipByValue(tf.add(x, 3), 0, 6), 6));
    }
    case 'hardsigmoid':
      return tf.clipByValue(tf.add(tf.mul(read(op.input), op.alpha), op.beta), 0, 1);
    case 'clip':
      return tf.clipByValue(read(op.input), op.min, op.max);
    case 'mean':
      return tf.mean(read(op.input), [1, 2], true);
    case 'identity':
      return read(op.input);
  }
}

/**
 * QuantizeLinear then DequantizeLinear in float: round(clamp(x, range) / step) * step (the range's
 * bounds are whole steps from zero, so clamping first is the same as saturating after), with
 * gradient dy where x lies inside the range and 0 where it was clamped.
 */
function fakeQuantise(x: tf.Tensor, q: Quantised): tf.Tensor {
  const [lo, hi] = q.range;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([input]);
    return {
      value: tf.mul(tf.round(tf.div(tf.clipByValue(input, lo, hi), q.step)), q.step),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.mul(dy, tf.cast(tf.logicalAnd(tf.greaterEqual(saved[0], lo), tf.lessEqual(saved[0], hi)), 'float32')),
    };
  });
  return op(x);
}

/** ONNX SAME_UPPER pads [top, left, bottom, right] for an NHWC input. */
function sameUpper(
  shape: number[],
  kernel: [number, number],
  strides: [number, number],
  dilations: [number, number],
): Pads {
  const total = [0, 1].map((a) => {
    const size = shape[1 + a];
    const out = Math.ceil(size / strides[a]);
    return Math.max((out - 1) * strides[a] + (kernel[a] - 1) * dilations[a] + 1 - size, 0);
  });
  return [Math.floor(total[0] / 2), Math.floor(total[1] / 2), Math.ceil(total[0] / 2), Math.ceil(total[1] / 2)];
}

/** ONNX kernel [O, I/g, kh, kw] -> tfjs conv2d [kh, kw, I, O] (g = 1) or depthwise [kh, kw, g, O/g]. */
function kernelToTfjs(w: OnnxWeight, group: number): tf.Tensor4D {
  const [o, i, kh, kw] = w.dims;
  const t = tf.tensor4d(w.data, [o, i, kh, kw]);
  return tf.tidy(() =>
    group === 1
      ? (tf.transpose(t, [2, 3, 1, 0]) as tf.Tensor4D)
      : (tf.transpose(tf.reshape(t, [group, o / group, kh, kw]), [2, 3, 0, 1]) as tf.Tensor4D),
  );
}

function kernelToOnnx(kernel: tf.Tensor, dims: number[], group: number): Float32Array {
  return tf.tidy(() => {
    const back = group === 1 ? tf.transpose(kernel, [3, 2, 0, 1]) : tf.transpose(kernel, [2, 3, 0, 1]);
    return Float32Array.from(tf.reshape(back, dims).dataSync());
  });
}

/** A constant operand in NHWC terms: a scalar, or one value per channel ([C], [C,1,1] or [1,C,1,1]). */
function constantToNhwc(c: OnnxWeight, node: string): tf.Tensor {
  if (c.data.length === 1) return tf.scalar(c.data[0]);
  const dims = [...c.dims];
  while (dims.length > 0 && dims[0] === 1) dims.shift();
  const perChannel = dims.length === 1 || (dims.length === 3 && dims[1] === 1 && dims[2] === 1);
  if (!perChannel) {
    throw new FineTuneError(
      'FINETUNE_UNSUPPORTED',
      `Node "${node}" combines its input with a constant of shape [${c.dims}]; Graft reads scalars and per-channel constants.`,
    );
  }
  return tf.tensor4d(c.data, [1, 1, 1, c.data.length]);
}

function infoOf(bytes: Uint8Array): GraphInfo {
  const model = decodeModel(bytes);
  if (!model.graph) throw new FineTuneError('FINETUNE_INVALID', 'The ONNX file has no graph.');
  return graphInfo(model.graph, defaultOpset(model.opsetImport ?? []));
}

/** A weight or constant: an initializer, a Constant node's value, or a DequantizeLinear of an initializer. */
function isConstant(info: GraphInfo, name: string): boolean {
  if (info.initializers.has(name)) return true;
  const p = info.producer.get(name);
  if (!p) return false;
  if (p.opType === 'Constant') return true;
  return p.opType === 'DequantizeLinear' && info.initializers.has((p.input ?? [])[0] ?? '');
}

/** The nodes from `cut` (excluded) to `tap`, in graph order, or null when a path reaches the image around the cut. */
function topNodes(info: GraphInfo, cut: string, tap: string): NodeProto[] | null {
  const nodes = new Set<NodeProto>();
  const seen = new Set<string>();
  const stack = [tap];
  while (stack.length > 0) {
    const t = stack.pop() as string;
    if (t === cut || seen.has(t) || isConstant(info, t)) continue;
    seen.add(t);
    const p = info.producer.get(t);
    if (!p) return null;
    nodes.add(p);
    for (const i of p.input ?? []) if (i) stack.push(i);
  }
  return info.nodes.filter((n) => nodes.has(n));
}

function boundaries(info: GraphInfo, tap: string): string[] {
  if (!info.producer.has(tap)) throw new FineTuneError('FINETUNE_INVALID', `The backbone has no tensor "${tap}".`);
  const upstream = nodesNeededFor(info, [tap]);
  const residual = new Set<string>();
  for (const n of upstream) {
    if (!RESIDUAL_ADDS.has(n.opType ?? '')) continue;
    const [a, b] = n.opType === 'Add' ? (n.input ?? []) : [(n.input ?? [])[0], (n.input ?? [])[3]];
    if (!a || !b || isConstant(info, a) || isConstant(info, b)) continue;
    for (const t of [a, b, (n.output ?? [])[0]]) if (t && info.producer.has(t)) residual.add(t);
  }
  const separating = (candidates: Iterable<string>) =>
    [...candidates].filter((t) => t !== tap && topNodes(info, t, tap) !== null);
  let found = separating(residual);
  // A network without residual connections (ShuffleNet's concatenations, VGG's chain): each
  // separating convolution input is a boundary, so a block is one convolution and what follows it.
  if (found.length === 0) {
    const convInputs = upstream
      .filter((n) => n.opType === 'Conv' || n.opType === 'QLinearConv')
      .map((n) => (n.input ?? [])[0] ?? '')
      .filter((t) => info.producer.has(t) && !isConstant(info, t));
    found = separating(new Set(convInputs));
  }
  const order = new Map(info.nodes.map((n, i) => [n, i]));
  return found.sort(
    (x, y) =>
      (order.get(info.producer.get(x) as NodeProto) as number) -
      (order.get(info.producer.get(y) as NodeProto) as number),
  );
}

/** Block number (0-based count of boundaries at or before it) of a node in the top. */
function blockOf(info: GraphInfo, found: string[], node: NodeProto): number {
  const order = new Map(info.nodes.map((n, i) => [n, i]));
  const at = order.get(node) as number;
  return found.filter((b) => (order.get(info.producer.get(b) as NodeProto) as number) < at).length;
}

/** Output [scale, zero point] input indices of ops whose output is quantised. */
const QUANTISED_OUTPUT: Record<string, [number, number]> = {
  QLinearConv: [6, 7],
  QLinearAdd: [6, 7],
  QuantizeLinear: [1, 2],
};

function translate(info: GraphInfo, n: NodeProto, weights: Map<string, OnnxWeight>): TopOp | null {
  const op = n.opType ?? '';
  const ins = n.input ?? [];
  const output = (n.output ?? [])[0] ?? '';
  const node = n.name || output;
  const fail = (why: string): never => {
    throw new FineTuneError(
      'FINETUNE_UNSUPPORTED',
      `Node "${node}" (${op}, output "${output}") cannot be trained by Graft: ${why}.`,
    );
  };
  if ((n.domain ?? '') !== '' && n.domain !== 'ai.onnx' && !(n.domain === 'com.microsoft' && op === 'QLinearAdd')) {
    fail(`operator domain ${n.domain} is not supported`);
  }
  const constant = (name: string): OnnxWeight => {
    const w = constantValue(info, name);
    if (!w) fail(`input "${name}" is computed, where Graft needs a weight`);
    return w as OnnxWeight;
  };
  const scalar = (name: string): number => constant(name).data[0];
  const quantised = (scaleName: string, zpName: string): Quantised => ({
    scale: scaleName,
    zeroPoint: zpName,
    step: scalar(scaleName),
    range: quantisedRange(scalar(scaleName), scalar(zpName), info.elemType.get(zpName) ?? ElemType.UINT8),
  });
  const activation = (name: string): string => {
    if (isConstant(info, name)) fail(`input "${name}" is a constant where Graft expects an activation`);
    return name;
  };
  switch (op) {
    case 'Conv':
    case 'QLinearConv': {
      const q = op === 'QLinearConv';
      const kernel = q ? dequantise(constant(ins[3]), constant(ins[4]), constant(ins[5]), 0) : constant(ins[1]);
      if (kernel.dims.length !== 4) fail('only 2-d convolutions are supported');
      const group = intAttr(n, 'group', 1);
      const inputChannels = kernel.dims[1] * group;
      if (group !== 1 && !(kernel.dims[1] === 1 && kernel.dims[0] % group === 0)) {
        fail(`a grouped convolution with ${group} groups of ${kernel.dims[1]} channels is neither plain nor depthwise`);
      }
      if (group !== 1 && group !== inputChannels) fail('grouped convolution');
      const autoPad = stringAttr(n, 'auto_pad', 'NOTSET');
      if (autoPad !== 'NOTSET' && autoPad !== 'VALID' && autoPad !== 'SAME_UPPER') fail(`auto_pad ${autoPad}`);
      const pads = intsAttr(n, 'pads', [0, 0, 0, 0]);
      const weight = `${output}/W`;
      weights.set(weight, kernel);
      let bias: string | null = null;
      const biasName = q ? ins[8] : ins[2];
      if (biasName) {
        bias = `${output}/B`;
        const raw = constant(biasName);
        if (q) {
          // QLinearConv's int32 bias is quantised with scale x_scale * w_scale and zero point 0.
          const xScale = scalar(ins[1]);
          const wScale = constant(ins[4]).data;
          weights.set(bias, {
            dims: raw.dims,
            data: raw.data.map((v, o) => v * xScale * wScale[wScale.length === 1 ? 0 : o]),
          });
        } else weights.set(bias, raw);
      }
      const pair = (name: string): [number, number] => {
        const v = intsAttr(n, name, [1, 1]);
        return [v[0], v[1]];
      };
      return {
        kind: 'conv',
        node,
        input: activation(ins[0]),
        output,
        weight,
        bias,
        group,
        strides: pair('strides'),
        dilations: pair('dilations'),
        pads: autoPad === 'SAME_UPPER' ? 'same-upper' : autoPad === 'VALID' ? [0, 0, 0, 0] : (pads as Pads),
        quantised: q ? quantised(ins[6], ins[7]) : null,
      };
    }
    case 'Add':
    case 'Mul':
    case 'QLinearAdd': {
      const [a, b] = op === 'QLinearAdd' ? [ins[0], ins[3]] : [ins[0], ins[1]];
      for (const x of [a, b]) if (isConstant(info, x)) weights.set(x, constant(x));
      return {
        kind: op === 'Mul' ? 'mul' : 'add',
        node,
        inputs: [a, b],
        output,
        quantised: op === 'QLinearAdd' ? quantised(ins[6], ins[7]) : null,
      };
    }
    case 'Relu':
      return { kind: 'relu', node, input: activation(ins[0]), output };
    case 'Sigmoid':
      return { kind: 'sigmoid', node, input: activation(ins[0]), output };
    case 'HardSwish':
      return { kind: 'hardswish', node, input: activation(ins[0]), output };
    case 'HardSigmoid':
      return {
        kind: 'hardsigmoid',
        node,
        input: activation(ins[0]),
        output,
        alpha: floatAttr(n, 'alpha', 0.2),
        beta: floatAttr(n, 'beta', 0.5),
      };
    case 'Clip': {
      const min = ins[1] ? scalar(ins[1]) : floatAttr(n, 'min', -Infinity);
      const max = ins[2] ? scalar(ins[2]) : floatAttr(n, 'max', Infinity);
      return { kind: 'clip', node, input: activation(ins[0]), output, min, max };
    }
    case 'QuantizeLinear':
      if (constant(ins[1]).data.length !== 1) fail('only per-tensor quantisation of activations is supported');
      return { kind: 'quantise', node, input: activation(ins[0]), output, quantised: quantised(ins[1], ins[2]) };
    case 'DequantizeLinear':
    case 'Identity':
      return { kind: 'identity', node, input: activation(ins[0]), output };
    case 'GlobalAveragePool':
      return { kind: 'mean', node, input: activation(ins[0]), output };
    case 'ReduceMean': {
      const axes = ins[1] ? Array.from(constant(ins[1]).data) : intsAttr(n, 'axes', []);
      if (axes.join() !== '2,3' || intAttr(n, 'keepdims', 1) !== 1) fail('only a spatial mean that keeps its axes');
      return { kind: 'mean', node, input: activation(ins[0]), output };
    }
    default:
      return fail('Graft has no trainable version of this operator');
  }
}

function constantValue(info: GraphInfo, name: string): OnnxWeight | null {
  const init = (info.graph.initializer ?? []).find((t) => t.name === name);
  if (init) return tensorValues(init);
  const p = info.producer.get(name);
  if (p?.opType === 'Constant') {
    const t = (p.attribute ?? []).find((a) => a.name === 'value')?.t;
    return t ? tensorValues(t) : null;
  }
  if (p?.opType === 'DequantizeLinear') {
    const [q, s, zp] = (p.input ?? []).map((i) => (i ? constantValue(info, i) : null));
    if (!q || !s) return null;
    return dequantise(q, s, zp, intAttr(p, 'axis', 1));
  }
  return null;
}

function attribute(n: NodeProto, name: string): AttributeProto | undefined {
  return (n.attribute ?? []).find((a) => a.name === name);
}

function intAttr(n: NodeProto, name: string, fallback: number): number {
  const a = attribute(n, name);
  return a ? toNumber(a.i) : fallback;
}

function intsAttr(n: NodeProto, name: string, fallback: number[]): number[] {
  const a = attribute(n, name);
  return a?.ints && a.ints.length > 0 ? a.ints.map((v) => toNumber(v)) : fallback;
}

function floatAttr(n: NodeProto, name: string, fallback: number): number {
  const a = attribute(n, name);
  return a ? (a.f ?? fallback) : fallback;
}

function stringAttr(n: NodeProto, name: string, fallback: string): string {
  const a = attribute(n, name);
  return a?.s ? new TextDecoder().decode(a.s) : fallback;
}
