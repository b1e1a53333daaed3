// The two ONNX models a fine-tuning run of an ONNX backbone needs, both cut from the backbone's
// own graph at the plan's cut (onnx-top.ts):
// - the frozen trunk: image -> cut activation, channels-last [N, H, W, C] (dequantised when the
//   graph holds it quantised), which onnxruntime runs once per photo and view;
// - the fine-tuned backbone: that trunk followed by the top re-serialised as float ONNX nodes
//   (Conv, Clip, Add, Mul, Relu, Sigmoid, HardSigmoid/HardSwish, GlobalAveragePool; a quantised
//   output rounded to the graph's own quantisation step by Clip, Div, Round, Mul) with the
//   trained weights, ending at the tap tensor (NCHW) — what Predict and export then run.
import { node } from '../onnx/expose-node';
import { attr, floatTensor, type OnnxAttribute, valueInfo } from '../onnx/onnx-graph-builder';
import { defaultOpset, graphInfo, nodesNeededFor } from '../onnx/onnx-graph-info';
import { decodeModel, ElemType, encodeModel, type NodeProto, type TensorProto } from '../onnx/onnx-proto';
import type { OnnxTopPlan, Quantised, TopOp } from './onnx-top';
import type { OnnxWeight } from './onnx-values';

/** Name of the trunk's output: the cut activation, channels-last. */
export const TRUNK_OUTPUT = 'graft_cut_nhwc';
const FLOAT_CUT = 'graft_cut/float';
const PREFIX = 'graft_top/';

/** The graph up to the cut, output TRUNK_OUTPUT [N, H, W, C] float. */
export function trunkOnnx(
  bytes: Uint8Array,
  plan: OnnxTopPlan,
): { bytes: Uint8Array; inputName: string; outputName: string } {
  const cut = cutNodes(plan);
  const nodes = [...cut.nodes, node('Transpose', [cut.float], [TRUNK_OUTPUT], { perm: attr.ints([0, 2, 3, 1]) })];
  const out = withNodes(bytes, plan.cut, nodes, [], [valueInfo(TRUNK_OUTPUT, ElemType.FLOAT, ['N', null, null, null])]);
  return { bytes: out.bytes, inputName: out.inputName, outputName: TRUNK_OUTPUT };
}

/**
 * The whole backbone with the top's convolution weights replaced by `weights` (ONNX layout,
 * keyed as plan.weights; missing keys keep the plan's own), the tap as its only output.
 */
export function fineTunedBackboneOnnx(
  bytes: Uint8Array,
  plan: OnnxTopPlan,
  weights: Map<string, OnnxWeight>,
): { bytes: Uint8Array; tapTensor: string } {
  const opset = defaultOpset(decodeModel(bytes).opsetImport ?? []);
  const cut = cutNodes(plan);
  const nodes: NodeProto[] = [...cut.nodes];
  const inits: TensorProto[] = [];
  const name = (t: string) => (t === plan.cut ? cut.float : `${PREFIX}${t}`);
  const written = new Set<string>();
  const weight = (key: string): string => {
    const w = weights.get(key) ?? (plan.weights.get(key) as OnnxWeight);
    if (!written.has(key)) inits.push(floatTensor(`${PREFIX}${key}`, w.dims, w.data));
    written.add(key);
    return `${PREFIX}${key}`;
  };
  const clip = (input: string, output: string, min: number, max: number): NodeProto => {
    if (opset < 11) return node('Clip', [input], [output], { min: attr.float(min), max: attr.float(max) });
    const bound = (v: number, which: string) => {
      if (!Number.isFinite(v)) return '';
      inits.push(floatTensor(`${output}/${which}`, [], Float32Array.of(v)));
      return `${output}/${which}`;
    };
    return node('Clip', [input, bound(min, 'min'), bound(max, 'max')], [output]);
  };
  // Round(Clip(x) / step) * step is what QuantizeLinear -> DequantizeLinear computes (ONNX Round is
  // half to even, as QuantizeLinear rounds), written in float ops: onnxruntime fuses a Conv between
  // Q/DQ nodes into its own int8 kernel, whose weights and rounding differ from the trained top's.
  const fakeQuantise = (input: string, output: string, q: Quantised): NodeProto[] => {
    const step = `${output}/step`;
    inits.push(floatTensor(step, [], Float32Array.of(q.step)));
    return [
      clip(input, `${output}/clipped`, q.range[0], q.range[1]),
      node('Div', [`${output}/clipped`, step], [`${output}/steps`]),
      node('Round', [`${output}/steps`], [`${output}/rounded`]),
      node('Mul', [`${output}/rounded`, step], [output]),
    ];
  };
  const emitter: Emitter = { name, weight, clip, fakeQuantise, opset, isConstant: (t) => plan.weights.has(t) };
  for (const op of plan.ops) nodes.push(...emit(op, emitter));
  const tapTensor = name(plan.tap);
  const out = withNodes(bytes, plan.cut, nodes, inits, [valueInfo(tapTensor, ElemType.FLOAT, ['N', null, null, null])]);
  return { bytes: out.bytes, tapTensor };
}

/** What emit writes nodes with: tensor and weight names, and the node patterns shared by several ops. */
interface Emitter {
  name: (t: string) => string;
  weight: (key: string) => string;
  clip: (input: string, output: string, min: number, max: number) => NodeProto;
  fakeQuantise: (input: string, output: string, q: Quantised) => NodeProto[];
  opset: number;
  /** An add/mul operand is a constant exactly when the plan holds a value under its name. */
  isConstant: (t: string) => boolean;
}

function emit(op: TopOp, e: Emitter): NodeProto[] {
  const { name, weight, clip, fakeQuantise, opset, isConstant } = e;
  const out = name(op.output);
  switch (op.kind) {
    case 'conv': {
      const w = weight(op.weight);
      const raw = op.quantised ? `${out}/float` : out;
      const attributes: Record<string, OnnxAttribute> = {
        group: attr.int(op.group),
        strides: attr.ints(op.strides),
        dilations: attr.ints(op.dilations),
        ...(op.pads === 'same-upper' ? { auto_pad: attr.string('SAME_UPPER') } : { pads: attr.ints(op.pads) }),
      };
      const conv = node('Conv', [name(op.input), w, ...(op.bias ? [weight(op.bias)] : [])], [raw], attributes);
      return op.quantised ? [conv, ...fakeQuantise(raw, out, op.quantised)] : [conv];
    }
    case 'add':
    case 'mul': {
      const inputs = op.inputs.map((t) => (isConstant(t) ? weight(t) : name(t)));
      const raw = op.quantised ? `${out}/float` : out;
      const n = node(op.kind === 'add' ? 'Add' : 'Mul', inputs, [raw]);
      return op.quantised ? [n, ...fakeQuantise(raw, out, op.quantised)] : [n];
    }
    case 'quantise':
      return fakeQuantise(name(op.input), out, op.quantised);
    case 'relu':
      return [node('Relu', [name(op.input)], [out])];
    case 'sigmoid':
      return [node('Sigmoid', [name(op.input)], [out])];
    case 'hardsigmoid':
      return [node('HardSigmoid', [name(op.input)], [out], { alpha: attr.float(op.alpha), beta: attr.float(op.beta) })];
    case 'hardswish':
      if (opset >= 14) return [node('HardSwish', [name(op.input)], [out])];
      return [
        node('HardSigmoid', [name(op.input)], [`${out}/gate`], { alpha: attr.float(1 / 6), beta: attr.float(0.5) }),
        node('Mul', [name(op.input), `${out}/gate`], [out]),
      ];
    case 'clip':
      return [clip(name(op.input), out, op.min, op.max)];
    case 'mean':
      return [node('GlobalAveragePool', [name(op.input)], [out])];
    case 'identity':
      return [node('Identity', [name(op.input)], [out])];
  }
}

function cutNodes(plan: OnnxTopPlan): { nodes: NodeProto[]; float: string } {
  if (!plan.cutQuantisation) return { nodes: [], float: plan.cut };
  const { scale, zeroPoint } = plan.cutQuantisation;
  return { nodes: [node('DequantizeLinear', [plan.cut, scale, zeroPoint], [FLOAT_CUT])], float: FLOAT_CUT };
}

/** The source graph's nodes up to `cut`, then `extra`, with only what they use kept. */
function withNodes(
  bytes: Uint8Array,
  cut: string,
  extra: NodeProto[],
  extraInits: TensorProto[],
  outputs: ReturnType<typeof valueInfo>[],
): { bytes: Uint8Array; inputName: string } {
  const model = decodeModel(bytes);
  const graph = model.graph;
  if (!graph) throw new Error('The ONNX file has no graph.');
  const info = graphInfo(graph, defaultOpset(model.opsetImport ?? []));
  const kept = nodesNeededFor(info, [cut]);
  const used = new Set<string>();
  for (const n of [...kept, ...extra]) for (const i of n.input ?? []) used.add(i);
  const produced = new Set(kept.flatMap((n) => n.output ?? []));
  graph.node = [...kept, ...extra];
  graph.initializer = [...(graph.initializer ?? []).filter((t) => used.has(t.name ?? '')), ...extraInits];
  graph.input = (graph.input ?? []).filter((v) => !info.initializers.has(v.name ?? '') || used.has(v.name ?? ''));
  graph.valueInfo = (graph.valueInfo ?? []).filter((v) => produced.has(v.name ?? ''));
  graph.output = outputs;
  const inputName = [...info.graphInputs][0] ?? '';
  return { bytes: encodeModel(model), inputName };
}
