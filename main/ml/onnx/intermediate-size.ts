// How large an imported model's intermediate tensors can be, read from the graph before anything
// runs: a model with a small declared input can still grow a huge tensor inside (an Expand, Tile,
// ConstantOfShape or Resize whose target shape is a constant), which onnxruntime would allocate
// for every photo.
import { graphInfo } from './onnx-graph-info';
import { decodeModel, type TensorProto, toNumber } from './onnx-proto';

/**
 * Most elements an intermediate tensor of an imported backbone may hold: 64 Mi (256 MiB as
 * float32). The largest activations of real image backbones at their own input size are far
 * smaller: EfficientNet-B7 at 600×600 peaks at 1×64×300×300 ≈ 5.8 M (its stem), ResNet-152 at
 * 224×224 at 1×256×56×56 ≈ 0.8 M, ViT-L/16 at 1×197×4096 ≈ 0.8 M, so 64 Mi leaves room of ten.
 */
export const MAX_INTERMEDIATE_ELEMENTS = 64 * 2 ** 20;

export interface OversizedTensor {
  /** The tensor's name, or its node's output name. */
  tensor: string;
  op: string;
  /** Elements it holds at least. */
  elements: number;
}

function tensorNumbers(t: TensorProto): number[] | null {
  if (t.int64Data?.length) return t.int64Data.map((v) => toNumber(v));
  if (t.int32Data?.length) return [...t.int32Data];
  if (t.floatData?.length) return [...t.floatData];
  const raw = t.rawData;
  if (!raw?.length) return (t.dims ?? []).length > 0 && (t.dims ?? []).every((d) => toNumber(d) === 0) ? [] : null;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (t.dataType === 7)
    return Array.from({ length: raw.byteLength / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
  if (t.dataType === 6) return Array.from({ length: raw.byteLength / 4 }, (_, i) => view.getInt32(i * 4, true));
  if (t.dataType === 1) return Array.from({ length: raw.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
  return null;
}

const product = (values: number[]): number => values.reduce((a, b) => a * Math.max(b, 1), 1);

/**
 * The first tensor of `bytes` (an ONNX model) that holds more than `cap` elements by what the
 * graph says without running it: a declared shape (input, value_info, output), or the output of
 * Expand, Tile, ConstantOfShape or Resize/Upsample whose shape, repeats, sizes or scales are
 * constants (an initializer or a Constant node). A lower bound: a shape computed at run time
 * (Shape → … → Expand) is not seen. Null when none is found.
 */
/**
 * Why the ONNX model `bytes` (named `model` to the person) is refused for an oversized tensor
 * inside (see oversizedTensor), or null.
 */
export function oversizedTensorProblem(bytes: Uint8Array, model: string): string | null {
  const t = oversizedTensor(bytes);
  if (!t) return null;
  return `“${model}” makes a tensor of at least ${t.elements.toLocaleString('en')} values inside (${t.tensor}, ${t.op}); Graft accepts at most ${MAX_INTERMEDIATE_ELEMENTS.toLocaleString('en')}, far above real image backbones, so it would need gigabytes per photo.`;
}

export function oversizedTensor(bytes: Uint8Array, cap = MAX_INTERMEDIATE_ELEMENTS): OversizedTensor | null {
  const model = decodeModel(bytes);
  const graph = model.graph ?? {};
  const info = graphInfo(graph, 0);
  const constants = new Map<string, TensorProto>();
  for (const t of graph.initializer ?? []) constants.set(t.name ?? '', t);
  for (const n of info.nodes) {
    const value = n.opType === 'Constant' ? (n.attribute ?? []).find((a) => a.name === 'value')?.t : undefined;
    if (value && n.output?.[0]) constants.set(n.output[0], value);
  }
  const numbers = (name: string | undefined): number[] | null => {
    const t = name ? constants.get(name) : undefined;
    return t ? tensorNumbers(t) : null;
  };
  const known = (name: string | undefined): number[] | null => {
    const dims = name ? info.shape.get(name) : undefined;
    return dims?.every((d): d is number => typeof d === 'number') ? dims : null;
  };
  for (const [name, dims] of info.shape) {
    const fixed = dims.filter((d): d is number => typeof d === 'number');
    if (!constants.has(name) && product(fixed) > cap)
      return { tensor: name, op: 'declared shape', elements: product(fixed) };
  }
  for (const n of info.nodes) {
    const inputs = n.input ?? [];
    const op = n.opType ?? '';
    let elements = 0;
    if (op === 'Expand' || op === 'ConstantOfShape') {
      elements = product(numbers(op === 'Expand' ? inputs[1] : inputs[0]) ?? []);
    } else if (op === 'Tile') {
      elements = product(numbers(inputs[1]) ?? []) * product(known(inputs[0]) ?? []);
    } else if (op === 'Resize' || op === 'Upsample') {
      const sizes = op === 'Resize' ? numbers(inputs[3]) : null;
      const scales = numbers(op === 'Resize' ? inputs[2] : inputs[1]);
      const input = known(inputs[0]);
      if (sizes?.length) elements = product(sizes);
      else if (scales?.length && input) elements = product(input.map((d, i) => d * (scales[i] ?? 1)));
    }
    if (elements > cap) return { tensor: n.output?.[0] ?? n.name ?? op, op, elements };
  }
  return null;
}
