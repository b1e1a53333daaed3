// onnxruntime returns only a graph's declared outputs, so reading an internal tensor (a
// backbone's features) means editing the graph: declare the tensor, optionally average it
// over its spatial axes and flatten it, and drop the nodes nothing reads any more.
import { attr, attributeProto, int64Tensor, type OnnxAttribute, valueInfo } from './onnx-graph-builder';
import { defaultOpset, graphInfo, isFloatType, nodesNeededFor } from './onnx-graph-info';
import { decodeModel, ElemType, encodeModel, type NodeProto, type TensorProto } from './onnx-proto';

/** How a tapped tensor becomes a feature vector. Rank-2 tensors need 'none'. */
export type TapReduce = 'none' | 'spatial-mean-nchw' | 'spatial-mean-nhwc';

export interface TapRequest {
  tensor: string;
  reduce: TapReduce;
}

export interface ExposeOptions {
  /** Keep the model's own outputs too (default false: they and their nodes are dropped). */
  keepOriginalOutputs?: boolean;
  /** Prefix of the added output names; output i is `${prefix}${i}`. */
  outputPrefix?: string;
}

export interface ExposedModel {
  bytes: Uint8Array;
  /** One output per tap, [N, features] float32, in the order of the taps. */
  tapOutputs: string[];
}

export class ExposeError extends Error {}

export const TAP_OUTPUT_PREFIX = 'graft_tap_';

/**
 * Returns the model with each tap declared as a graph output of shape [N, features]:
 * the tensor itself flattened, or its mean over the spatial axes.
 */
export function exposeTaps(bytes: Uint8Array, taps: TapRequest[], options: ExposeOptions = {}): ExposedModel {
  if (taps.length === 0) throw new ExposeError('No tensor to expose');
  const model = decodeModel(bytes);
  const graph = model.graph;
  if (!graph) throw new ExposeError('The ONNX file has no graph');
  const opset = defaultOpset(model.opsetImport ?? []);
  const info = graphInfo(graph, opset);
  const prefix = options.outputPrefix ?? TAP_OUTPUT_PREFIX;
  const added: NodeProto[] = [];
  const addedInits: TensorProto[] = [];
  const tapOutputs = taps.map((tap, i) => {
    const known = info.producer.has(tap.tensor) || info.graphInputs.has(tap.tensor);
    if (!known) throw new ExposeError(`The model has no tensor named "${tap.tensor}"`);
    const t = info.elemType.get(tap.tensor);
    if (t !== undefined && !isFloatType(t)) {
      throw new ExposeError(
        `Tensor "${tap.tensor}" holds ${elemTypeName(t)} values, not floats; choose a float tensor (for a quantised model, the output of a DequantizeLinear).`,
      );
    }
    const out = `${prefix}${i}`;
    if (info.producer.has(out) || info.graphInputs.has(out)) throw new ExposeError(`Output name ${out} is taken`);
    let current = tap.tensor;
    if (tap.reduce !== 'none') {
      const axes = tap.reduce === 'spatial-mean-nchw' ? [2, 3] : [1, 2];
      const reduced = `${out}/mean`;
      if (opset >= 18) {
        const axesName = `${out}/axes`;
        addedInits.push(int64Tensor(axesName, [2], axes));
        added.push(node('ReduceMean', [current, axesName], [reduced], { keepdims: attr.int(0) }));
      } else {
        added.push(node('ReduceMean', [current], [reduced], { axes: attr.ints(axes), keepdims: attr.int(0) }));
      }
      current = reduced;
    }
    const flatInput = current;
    if (t !== undefined && t !== ElemType.FLOAT) {
      current = `${out}/float`;
      added.push(node('Cast', [flatInput], [current], { to: attr.int(ElemType.FLOAT) }));
    }
    added.push(node('Flatten', [current], [out], { axis: attr.int(1) }));
    return out;
  });

  const newOutputs = tapOutputs.map((name) => valueInfo(name, ElemType.FLOAT, ['N', null]));
  const keptOutputs = options.keepOriginalOutputs ? (graph.output ?? []) : [];
  const wanted = [...keptOutputs.map((o) => o.name ?? ''), ...taps.map((t) => t.tensor)];
  const kept = nodesNeededFor(info, wanted);
  const keptSet = new Set(kept);
  const used = new Set<string>();
  for (const n of [...kept, ...added]) for (const i of n.input ?? []) used.add(i);
  for (const o of keptOutputs) used.add(o.name ?? '');
  const produced = new Set<string>();
  for (const n of kept) for (const o of n.output ?? []) produced.add(o);

  graph.node = info.nodes.filter((n) => keptSet.has(n)).concat(added);
  graph.initializer = [...(graph.initializer ?? []).filter((t) => used.has(t.name ?? '')), ...addedInits];
  graph.input = (graph.input ?? []).filter((v) => !info.initializers.has(v.name ?? '') || used.has(v.name ?? ''));
  graph.valueInfo = (graph.valueInfo ?? []).filter((v) => produced.has(v.name ?? ''));
  graph.output = [...keptOutputs, ...newOutputs];
  return { bytes: encodeModel(model), tapOutputs };
}

/**
 * The model with one more graph output: the internal tensor `name`, as it is. Its type and
 * shape come from value_info when declared, else the type is propagated and the shape left open.
 */
export function exposeNode(bytes: Uint8Array, name: string): Uint8Array {
  const model = decodeModel(bytes);
  const graph = model.graph;
  if (!graph) throw new ExposeError('The ONNX file has no graph');
  const info = graphInfo(graph, defaultOpset(model.opsetImport ?? []));
  if (!info.producer.has(name) && !info.graphInputs.has(name)) {
    throw new ExposeError(`The model has no tensor named "${name}"`);
  }
  if (info.graphOutputs.includes(name)) return bytes;
  const declared = (graph.valueInfo ?? []).find((v) => v.name === name);
  const t = info.elemType.get(name);
  if (!declared && t === undefined) throw new ExposeError(`The element type of "${name}" cannot be determined`);
  graph.output = [...(graph.output ?? []), declared ?? valueInfo(name, t as number)];
  return encodeModel(model);
}

/**
 * A default-domain node for nodes Graft adds to a graph, named after its first output
 * (`graft/<output>` unless a name is given; node names must be unique in a graph).
 */
export function node(
  opType: string,
  input: string[],
  output: string[],
  attributes: Record<string, OnnxAttribute> = {},
  name = `graft/${output[0]}`,
): NodeProto {
  return {
    opType,
    domain: '',
    name,
    input,
    output,
    attribute: Object.entries(attributes).map(([k, v]) => attributeProto(k, v)),
  };
}

function elemTypeName(t: number): string {
  const entry = Object.entries(ElemType).find(([, v]) => v === t);
  return entry ? entry[0].toLowerCase() : `type ${t}`;
}
