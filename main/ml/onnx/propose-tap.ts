// Where a classification network keeps its image features: the input of its final
// classifier (Gemm/MatMul), which is usually a global-pool output. For quantised models the
// pooled tensor may be uint8, so the float tensor just before the pool is proposed instead,
// to be averaged by Graft.

import type { TapReduce } from './expose-node';
import type { Dim } from './onnx-graph-builder';
import { defaultOpset, type GraphInfo, graphInfo, isFloatType } from './onnx-graph-info';
import { decodeModel, type NodeProto } from './onnx-proto';

export interface TapCandidate {
  tensor: string;
  /** Op that produces the tensor. */
  op: string;
  /** Shape when the model declares it. */
  shape: Dim[] | null;
  /** Suggested reduction when the rank is declared. */
  reduce?: TapReduce;
  /** Ops between this tensor and the graph output along the main path (0 = graph output). */
  distance: number;
}

export interface ProposedTap {
  tensor: string;
  /** Undefined when the tensor's rank is not declared: decide once it has been run. */
  reduce?: TapReduce;
}

export interface TapProposal {
  tap: ProposedTap;
  /** How the tap was found, for the import dialog. */
  reason: string;
  /** Float tensors near the output, closest first, that a user may choose instead. */
  candidates: TapCandidate[];
}

const CLASSIFIER_OPS = new Set(['Gemm', 'MatMul', 'QGemm', 'QLinearMatMul', 'MatMulInteger', 'FusedMatMul']);
const POOL_OPS = new Set([
  'GlobalAveragePool',
  'ReduceMean',
  'QLinearGlobalAveragePool',
  'GlobalMaxPool',
  'ReduceMax',
  'AveragePool',
]);
/** Ops between a classifier and the output, or between the pool and the classifier. */
const PASS_THROUGH = new Set([
  'Softmax',
  'LogSoftmax',
  'Sigmoid',
  'Identity',
  'Dropout',
  'Cast',
  'Add',
  'QLinearAdd',
  'Mul',
  'Reshape',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'QuantizeLinear',
  'DequantizeLinear',
  'Transpose',
]);
const MAX_CANDIDATES = 40;

export function proposeTap(bytes: Uint8Array): TapProposal {
  const model = decodeModel(bytes);
  if (!model.graph) throw new Error('The ONNX file has no graph');
  const info = graphInfo(model.graph, defaultOpset(model.opsetImport ?? []));
  const output = info.graphOutputs[0];
  if (!output) throw new Error('The ONNX model declares no output');
  const candidates = listCandidates(info);

  const classifier = walkBack(info, output, (n) => CLASSIFIER_OPS.has(n.opType ?? '') || isPointwiseConv(info, n));
  if (!classifier) {
    return {
      tap: { tensor: output, reduce: reduceFor(info, output) },
      reason: `No final Gemm/MatMul found: the model's output "${output}" is used as the feature vector.`,
      candidates,
    };
  }
  const features = dataInputs(info, classifier)[0];
  const pool = walkBack(info, features, (n) => POOL_OPS.has(n.opType ?? ''), true);
  if (pool) {
    const pooled = pool.output?.[0] ?? '';
    if (isFloatType(info.elemType.get(pooled))) {
      return {
        tap: { tensor: pooled, reduce: 'none' },
        reason: `Output of the ${pool.opType} "${pool.name}" that feeds the final ${classifier.opType}.`,
        candidates,
      };
    }
    const dequantisedPool = floatVersion(info, pooled);
    if (dequantisedPool) {
      return {
        tap: { tensor: dequantisedPool, reduce: 'none' },
        reason: `Dequantised output of the ${pool.opType} that feeds the final ${classifier.opType}.`,
        candidates,
      };
    }
    const beforePool = floatVersion(info, dataInputs(info, pool)[0]);
    if (beforePool && pool.opType !== 'GlobalMaxPool' && pool.opType !== 'ReduceMax') {
      return {
        tap: { tensor: beforePool, reduce: 'spatial-mean-nchw' },
        reason: `The pooled features are quantised, so the float tensor before the ${pool.opType} is averaged over its spatial axes.`,
        candidates,
      };
    }
  }
  const flat = floatVersion(info, features);
  if (flat) {
    return {
      tap: { tensor: flat, reduce: reduceFor(info, flat) },
      reason: `Input of the final ${classifier.opType} "${classifier.name}".`,
      candidates,
    };
  }
  throw new Error('No float feature tensor found before the classifier; choose a tensor from the list.');
}

/** A 1x1 Conv right before the output is a classifier too (Keras MobileNet, SqueezeNet). */
function isPointwiseConv(info: GraphInfo, n: NodeProto): boolean {
  if (n.opType !== 'Conv') return false;
  const w = info.shape.get(n.input?.[1] ?? '');
  return w !== undefined && w.length === 4 && w[2] === 1 && w[3] === 1;
}

/** Inputs that carry data (not weights). */
function dataInputs(info: GraphInfo, n: NodeProto): string[] {
  return (n.input ?? []).filter((i) => i && !info.initializers.has(i) && info.producer.get(i)?.opType !== 'Constant');
}

/** Follows the main data path back from `tensor` through pass-through ops until `match`. */
function walkBack(
  info: GraphInfo,
  tensor: string,
  match: (n: NodeProto) => boolean,
  startAtShapeOps = false,
): NodeProto | null {
  let current = tensor;
  for (let steps = 0; steps < 64; steps++) {
    const p = info.producer.get(current);
    if (!p) return null;
    if (match(p)) return p;
    const op = p.opType ?? '';
    const passable = startAtShapeOps
      ? PASS_THROUGH.has(op) && op !== 'Add' && op !== 'QLinearAdd'
      : PASS_THROUGH.has(op);
    if (!passable) return null;
    const next = dataInputs(info, p)[0];
    if (!next) return null;
    current = next;
  }
  return null;
}

/** `tensor` if it is float, else a float tensor holding the same values (its dequantised twin). */
function floatVersion(info: GraphInfo, tensor: string | undefined): string | null {
  if (!tensor) return null;
  if (isFloatType(info.elemType.get(tensor))) return tensor;
  const deq = (info.consumers.get(tensor) ?? []).find((n) => n.opType === 'DequantizeLinear');
  if (deq?.output?.[0]) return deq.output[0];
  const q = info.producer.get(tensor);
  if (q?.opType === 'QuantizeLinear' && q.input?.[0] && isFloatType(info.elemType.get(q.input[0]))) return q.input[0];
  return null;
}

function reduceFor(info: GraphInfo, tensor: string): TapReduce | undefined {
  const rank = info.shape.get(tensor)?.length;
  if (rank === undefined) return undefined;
  return rank === 4 ? 'spatial-mean-nchw' : 'none';
}

/** Float tensors produced by compute ops, nearest the output first. */
function listCandidates(info: GraphInfo): TapCandidate[] {
  const distance = new Map<string, number>();
  const queue = info.graphOutputs.map((o) => ({ t: o, d: 0 }));
  while (queue.length > 0) {
    const { t, d } = queue.shift() as { t: string; d: number };
    if (distance.has(t)) continue;
    distance.set(t, d);
    const p = info.producer.get(t);
    if (p) for (const i of dataInputs(info, p)) queue.push({ t: i, d: d + 1 });
  }
  const skip = new Set(['Constant', 'Shape', 'Gather', 'Concat', 'Unsqueeze', 'ConstantOfShape', 'Cast']);
  const out: TapCandidate[] = [];
  for (const [tensor, d] of [...distance.entries()].sort((a, b) => a[1] - b[1])) {
    const p = info.producer.get(tensor);
    if (!p || skip.has(p.opType ?? '') || !isFloatType(info.elemType.get(tensor))) continue;
    if (dataInputs(info, p).length === 0) continue;
    const shape = info.shape.get(tensor) ?? null;
    out.push({ tensor, op: p.opType ?? '', shape, reduce: reduceFor(info, tensor), distance: d });
    if (out.length >= MAX_CANDIDATES) break;
  }
  return out;
}
