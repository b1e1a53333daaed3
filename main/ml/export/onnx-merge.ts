// Putting two ONNX graphs into one: every tensor and node of each part gets its own prefix
// (subgraphs of If/Loop included, so outer-scope references stay intact), and nodes written
// for one opset are checked before they run under another.

import type { GraphProto, NodeProto } from '../onnx/onnx-proto';
import { ExportError } from './export-error';

/** Renames every tensor of `graph` (and of its subgraphs) with `rename`, and prefixes node names. */
export function renameGraph(graph: GraphProto, rename: (name: string) => string, nodePrefix: string): void {
  const renameAll = (names: string[] | null | undefined): string[] => (names ?? []).map((n) => (n ? rename(n) : n));
  (graph.node ?? []).forEach((n, i) => {
    n.input = renameAll(n.input);
    n.output = renameAll(n.output);
    n.name = `${nodePrefix}${n.name || `${n.opType}_${i}`}`;
    for (const a of n.attribute ?? []) {
      if (a.g) renameGraph(a.g, rename, nodePrefix);
      for (const g of a.graphs ?? []) renameGraph(g, rename, nodePrefix);
    }
  });
  for (const t of graph.initializer ?? []) t.name = rename(t.name ?? '');
  for (const s of graph.sparseInitializer ?? []) {
    if (s.values) s.values.name = rename(s.values.name ?? '');
    if (s.indices?.name) s.indices.name = rename(s.indices.name);
  }
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
    v.name = rename(v.name ?? '');
  }
  for (const q of graph.quantizationAnnotation ?? []) q.tensorName = rename(q.tensorName ?? '');
}

/**
 * First default-domain opset at which each op, in the form Graft's converters write it
 * (axes as attributes, Clip bounds as inputs, rank-2 Softmax), computes what it does at
 * opset 13. Until opset 18 moves Reduce* axes into inputs, the forms stay valid upwards.
 */
const SAME_MEANING_SINCE: Record<string, number> = {
  Add: 7,
  Clip: 11,
  Concat: 4,
  Div: 7,
  Elu: 6,
  Flatten: 1,
  Gather: 1,
  Gemm: 7,
  HardSigmoid: 6,
  Identity: 1,
  LeakyRelu: 6,
  MatMul: 1,
  Max: 8,
  Mean: 8,
  Min: 8,
  Mul: 7,
  ReduceL2: 1,
  ReduceMean: 1,
  Relu: 6,
  Reshape: 5,
  Selu: 6,
  Sigmoid: 6,
  Softmax: 1,
  Softplus: 1,
  Softsign: 1,
  Sum: 8,
  Tanh: 6,
  Transpose: 1,
};

/** Highest default-domain opset at which the forms above are still valid. */
export const MAX_SHARED_OPSET = 17;

/**
 * Throws unless every node (all default-domain, written for opset 13) means the same at
 * `opset`. Softmax before opset 13 flattens to 2-D around its axis: the same only for
 * rank-2 inputs with axis 1, which is all Graft writes (heads end on [N, classes]).
 */
export function checkNodesAtOpset(nodes: NodeProto[], opset: number, part: string): void {
  if (opset > MAX_SHARED_OPSET) {
    throw new ExportError(
      'EXPORT_UNSUPPORTED',
      `The ${part} would run at ONNX opset ${opset}; Graft writes ONNX up to opset ${MAX_SHARED_OPSET}.`,
    );
  }
  for (const n of nodes) {
    const op = n.opType ?? '';
    const since = Object.hasOwn(SAME_MEANING_SINCE, op) ? SAME_MEANING_SINCE[op] : undefined;
    if ((n.domain ?? '') !== '' || since === undefined || since > opset) {
      throw new ExportError(
        'EXPORT_UNSUPPORTED',
        `The ${part} uses ${op}, which Graft cannot write at the backbone's ONNX opset ${opset}.`,
      );
    }
  }
}
