// TF tensors are channels-last; ONNX Conv and pooling are channels-first. Converters keep
// each rank-4 value in whichever layout its producer gave and insert a Transpose only when
// a consumer needs the other one, once per value.
import { attr, type Dim, type OnnxGraphBuilder } from './onnx-graph-builder';
import { ElemType } from './onnx-proto';

export const TO_NCHW = [0, 3, 1, 2];
export const TO_NHWC = [0, 2, 3, 1];

/** A converted value: its ONNX name, its TF (channels-last) shape, and whether it is stored NCHW. */
export interface Val {
  name: string;
  shape: (number | null)[];
  nchw: boolean;
}

export class LayoutValues {
  private readonly transposed = new Map<string, Val>();

  constructor(private readonly b: OnnxGraphBuilder) {}

  nchw(v: Val): Val {
    if (v.nchw || v.shape.length !== 4) return v;
    return this.transpose(v, true);
  }

  /** The value in TF's own (channels-last) layout. */
  plain(v: Val): Val {
    if (!v.nchw) return v;
    return this.transpose(v, false);
  }

  /** Declares a float graph input with a TF (channels-last) shape, stored NCHW if asked and rank 4. */
  addGraphInput(
    name: string,
    tfShape: (number | null)[],
    wantNchw: boolean,
    layer: string,
  ): { val: Val; tensor: ConvertedTensor } {
    const val: Val = {
      name: this.b.claimName(name),
      shape: [null, ...tfShape.slice(1)],
      nchw: wantNchw && tfShape.length === 4,
    };
    const tensor = describeTensor(val, layer);
    this.b.addInput(val.name, ElemType.FLOAT, tensor.shape);
    return { val, tensor };
  }

  /** Declares `v` as a graph output in TF's layout, under a fresh name if its own is taken. */
  addGraphOutput(v: Val, layer: string): ConvertedTensor {
    const plain = this.plain(v);
    let name = plain.name;
    if (this.b.isGraphInput(name) || this.b.isGraphOutput(name)) {
      name = this.b.uniqueName(`${layer}_output`);
      this.b.addNode('Identity', [plain.name], [name]);
    }
    const tensor = describeTensor({ ...plain, name }, layer);
    this.b.addOutput(name, ElemType.FLOAT, tensor.shape);
    return tensor;
  }

  /** A TF axis (channels-last, may be negative) as the ONNX axis of `v`. */
  onnxAxis(v: Val, tfAxis: number): number {
    const rank = v.shape.length;
    const axis = tfAxis < 0 ? tfAxis + rank : tfAxis;
    if (axis < 0 || axis >= rank) throw new Error(`Axis ${tfAxis} is out of range for rank ${rank}`);
    return v.nchw ? TO_NCHW.indexOf(axis) : axis;
  }

  private transpose(v: Val, toNchw: boolean): Val {
    const key = `${v.name}->${toNchw ? 'nchw' : 'nhwc'}`;
    const cached = this.transposed.get(key);
    if (cached) return cached;
    const name = this.b.uniqueName(`${v.name}/${toNchw ? 'nchw' : 'nhwc'}`);
    this.b.addNode('Transpose', [v.name], [name], { perm: attr.ints(toNchw ? TO_NCHW : TO_NHWC) });
    const out: Val = { name, shape: v.shape, nchw: toNchw };
    this.transposed.set(key, out);
    return out;
  }
}

export function product(xs: number[]): number {
  return xs.reduce((a, b) => a * b, 1);
}

export type TensorLayout = 'NHWC' | 'NCHW' | 'flat';

/** Where a converted layer's or node's output lives in the ONNX graph. */
export interface ConvertedTensor {
  /** ONNX tensor name. */
  name: string;
  /** TF.js layer or graph node that produced it. */
  layer: string;
  /** Shape in the tensor's ONNX layout; null where unknown, 'N' for the batch. */
  shape: Dim[];
  layout: TensorLayout;
}

export function describeTensor(v: Val, layer: string): ConvertedTensor {
  const shape: Dim[] = v.shape.map((d, i) => (i === 0 ? 'N' : d));
  if (v.nchw) return { name: v.name, layer, shape: TO_NCHW.map((i) => shape[i]), layout: 'NCHW' };
  return { name: v.name, layer, shape, layout: v.shape.length === 4 ? 'NHWC' : 'flat' };
}
