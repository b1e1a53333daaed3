// What a decoded ONNX graph says about its tensors: who produces and reads each one, its
// element type (declared, or propagated through the ops when a converter left value_info
// out, as the ONNX Model Zoo's quantised models do), and its shape where declared.
import type { Dim } from './onnx-graph-builder';
import { ElemType, type GraphProto, type NodeProto, toNumber, type ValueInfoProto } from './onnx-proto';

export interface GraphInfo {
  graph: GraphProto;
  nodes: NodeProto[];
  producer: Map<string, NodeProto>;
  consumers: Map<string, NodeProto[]>;
  initializers: Set<string>;
  graphInputs: Set<string>;
  graphOutputs: string[];
  elemType: Map<string, number>;
  shape: Map<string, Dim[]>;
  /** Version of the default ('' / ai.onnx) opset the model imports. */
  opset: number;
}

export function graphInfo(graph: GraphProto, opset: number): GraphInfo {
  const nodes = graph.node ?? [];
  const producer = new Map<string, NodeProto>();
  const consumers = new Map<string, NodeProto[]>();
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const elemType = new Map<string, number>();
  const shape = new Map<string, Dim[]>();
  for (const t of graph.initializer ?? []) {
    elemType.set(t.name ?? '', t.dataType ?? 0);
    shape.set(
      t.name ?? '',
      (t.dims ?? []).map((d) => toNumber(d)),
    );
  }
  const declare = (v: ValueInfoProto): void => {
    const tt = v.type?.tensorType;
    if (!v.name || !tt) return;
    if (tt.elemType) elemType.set(v.name, tt.elemType);
    if (tt.shape) {
      shape.set(
        v.name,
        (tt.shape.dim ?? []).map((d) =>
          d.dimValue !== null && d.dimValue !== undefined && toNumber(d.dimValue) > 0
            ? toNumber(d.dimValue)
            : (d.dimParam ?? null),
        ),
      );
    }
  };
  for (const v of [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])]) declare(v);
  for (const n of nodes) {
    for (const o of n.output ?? []) if (o) producer.set(o, n);
    for (const i of n.input ?? []) {
      if (!i) continue;
      const list = consumers.get(i) ?? [];
      list.push(n);
      consumers.set(i, list);
    }
  }
  for (const n of nodes) propagateTypes(n, elemType);
  return {
    graph,
    nodes,
    producer,
    consumers,
    initializers,
    graphInputs: new Set((graph.input ?? []).map((v) => v.name ?? '').filter((n) => !initializers.has(n))),
    graphOutputs: (graph.output ?? []).map((v) => v.name ?? ''),
    elemType,
    shape,
    opset,
  };
}

/** The default-domain opset a model imports. */
export function defaultOpset(
  opsetImport: { domain?: string | null; version?: number | { toNumber(): number } | null }[],
): number {
  const entry = opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  return entry ? toNumber(entry.version) : 1;
}

const INT64_OUTPUT_OPS = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin', 'NonMaxSuppression']);
const BOOL_OUTPUT_OPS = new Set([
  'Equal',
  'Less',
  'Greater',
  'LessOrEqual',
  'GreaterOrEqual',
  'Not',
  'And',
  'Or',
  'Xor',
  'IsNaN',
  'IsInf',
]);
/** Quantised ops whose output type is that of their output zero point, by input index. */
const OUTPUT_ZERO_POINT_INPUT: Record<string, number> = {
  QLinearConv: 7,
  QLinearMatMul: 7,
  QLinearAdd: 7,
  QLinearMul: 7,
  QLinearGlobalAveragePool: 4,
  QLinearAveragePool: 4,
  QLinearLeakyRelu: 4,
  QLinearSigmoid: 4,
  QLinearSoftmax: 4,
  QLinearConcat: 1,
  QGemm: 8,
};

function propagateTypes(n: NodeProto, types: Map<string, number>): void {
  const outs = (n.output ?? []).filter((o) => o && !types.has(o));
  if (outs.length === 0) return;
  const ins = n.input ?? [];
  const typeOf = (i: number): number | undefined => (ins[i] ? types.get(ins[i]) : undefined);
  const attrInt = (name: string): number | undefined => {
    const a = (n.attribute ?? []).find((x) => x.name === name);
    return a ? toNumber(a.i) : undefined;
  };
  const op = n.opType ?? '';
  let t: number | undefined;
  if (op === 'DequantizeLinear') t = ElemType.FLOAT;
  else if (op === 'QuantizeLinear') t = typeOf(2) ?? ElemType.UINT8;
  else if (Object.hasOwn(OUTPUT_ZERO_POINT_INPUT, op))
    t = typeOf(OUTPUT_ZERO_POINT_INPUT[op]) ?? (op === 'QGemm' ? ElemType.FLOAT : ElemType.UINT8);
  else if (op === 'MatMulInteger' || op === 'ConvInteger') t = ElemType.INT32;
  else if (INT64_OUTPUT_OPS.has(op)) t = ElemType.INT64;
  else if (BOOL_OUTPUT_OPS.has(op)) t = ElemType.BOOL;
  else if (op === 'Cast') t = attrInt('to');
  else if (op === 'Constant') t = (n.attribute ?? []).find((x) => x.name === 'value')?.t?.dataType ?? undefined;
  else if (op === 'ConstantOfShape')
    t = (n.attribute ?? []).find((x) => x.name === 'value')?.t?.dataType ?? ElemType.FLOAT;
  else if (op === 'DynamicQuantizeLinear') {
    const [y, scale, zp] = n.output ?? [];
    if (y) types.set(y, ElemType.UINT8);
    if (scale) types.set(scale, ElemType.FLOAT);
    if (zp) types.set(zp, ElemType.UINT8);
    return;
  } else if (op === 'TopK') {
    const [values, indices] = n.output ?? [];
    const v = typeOf(0);
    if (values && v) types.set(values, v);
    if (indices) types.set(indices, ElemType.INT64);
    return;
  } else {
    for (let i = 0; i < ins.length && t === undefined; i++) t = typeOf(i);
  }
  if (t !== undefined) for (const o of outs) types.set(o, t);
}

export function isFloatType(t: number | undefined): boolean {
  return t === ElemType.FLOAT || t === ElemType.FLOAT16 || t === ElemType.DOUBLE;
}

/** Nodes needed to compute `outputs`, in the graph's (topological) order. */
export function nodesNeededFor(info: GraphInfo, outputs: string[]): NodeProto[] {
  const needed = new Set<NodeProto>();
  const stack = [...outputs];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const t = stack.pop() as string;
    if (seen.has(t)) continue;
    seen.add(t);
    const p = info.producer.get(t);
    if (!p || needed.has(p)) continue;
    needed.add(p);
    for (const i of p.input ?? []) if (i) stack.push(i);
    for (const sub of subgraphInputs(p)) stack.push(sub);
  }
  return info.nodes.filter((n) => needed.has(n));
}

/** Outer-scope tensors read by a node's subgraphs (If/Loop/Scan bodies). */
function subgraphInputs(n: NodeProto): string[] {
  const names: string[] = [];
  for (const a of n.attribute ?? []) {
    for (const g of [a.g, ...(a.graphs ?? [])]) {
      if (!g) continue;
      const local = new Set<string>([
        ...(g.initializer ?? []).map((t) => t.name ?? ''),
        ...(g.input ?? []).map((v) => v.name ?? ''),
      ]);
      for (const sn of g.node ?? []) for (const o of sn.output ?? []) local.add(o);
      for (const sn of g.node ?? []) {
        for (const i of sn.input ?? []) if (i && !local.has(i)) names.push(i);
        names.push(...subgraphInputs(sn));
      }
    }
  }
  return names;
}
