// Builds an ONNX ModelProto node by node and serialises it. Writes opset 13 and IR 8 by
// default: the newest pair every runtime we target (onnxruntime 1.30, onnx 1.12's checker) reads.
import {
  type AttributeProto,
  ElemType,
  encodeModel,
  type IModelProto,
  type NodeProto,
  onnx,
  type TensorProto,
  type ValueInfoProto,
} from './onnx-proto';

export type OnnxAttribute =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'float'; value: number }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string };

export const attr = {
  int: (value: number): OnnxAttribute => ({ kind: 'int', value }),
  ints: (value: number[]): OnnxAttribute => ({ kind: 'ints', value }),
  float: (value: number): OnnxAttribute => ({ kind: 'float', value }),
  floats: (value: number[]): OnnxAttribute => ({ kind: 'floats', value }),
  string: (value: string): OnnxAttribute => ({ kind: 'string', value }),
};

/** A dimension: a fixed size, a symbolic name (dim_param) or unknown. */
export type Dim = number | string | null;

export interface ModelOptions {
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  opsetVersion?: number;
  irVersion?: number;
  /** Other operator domains the graph uses, such as com.microsoft contrib ops. */
  extraOpsets?: { domain: string; version: number }[];
}

export const DEFAULT_OPSET = 13;
export const DEFAULT_IR_VERSION = 8;

const AttrType = onnx.AttributeProto.AttributeType;

export function attributeProto(name: string, a: OnnxAttribute): AttributeProto {
  switch (a.kind) {
    case 'int':
      return { name, type: AttrType.INT, i: a.value };
    case 'ints':
      return { name, type: AttrType.INTS, ints: a.value };
    case 'float':
      return { name, type: AttrType.FLOAT, f: a.value };
    case 'floats':
      return { name, type: AttrType.FLOATS, floats: a.value };
    case 'string':
      return { name, type: AttrType.STRING, s: new TextEncoder().encode(a.value) };
  }
}

/** Float tensor stored as little-endian raw bytes, whatever the host's byte order. */
export function floatTensor(name: string, dims: number[], data: Float32Array): TensorProto {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (expected !== data.length) {
    throw new Error(`Tensor ${name}: ${data.length} values do not fill shape [${dims.join(', ')}]`);
  }
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return { name, dims, dataType: ElemType.FLOAT, rawData: raw };
}

export function int64Tensor(name: string, dims: number[], data: number[]): TensorProto {
  return { name, dims, dataType: ElemType.INT64, int64Data: data };
}

export function valueInfo(name: string, elemType: number, shape?: Dim[]): ValueInfoProto {
  const tensorType: { elemType: number; shape?: { dim: { dimValue?: number; dimParam?: string }[] } } = { elemType };
  if (shape) {
    tensorType.shape = {
      dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})),
    };
  }
  return { name, type: { tensorType } };
}

export class OnnxGraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly usedNames = new Set<string>();
  private nodeCount = 0;

  constructor(private readonly graphName: string) {}

  /** A tensor name not used yet, derived from `base`. */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.usedNames.has(name); i++) name = `${base}_${i}`;
    this.usedNames.add(name);
    return name;
  }

  /** Claims an exact name, failing if it is taken (graph inputs and outputs must keep their names). */
  claimName(name: string): string {
    if (this.usedNames.has(name)) throw new Error(`ONNX tensor name used twice: ${name}`);
    this.usedNames.add(name);
    return name;
  }

  addInput(name: string, elemType: number, shape: Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, shape));
    return name;
  }

  addOutput(name: string, elemType: number, shape?: Dim[]): void {
    this.outputs.push(valueInfo(name, elemType, shape));
  }

  isGraphInput(name: string): boolean {
    return this.inputs.some((v) => v.name === name);
  }

  isGraphOutput(name: string): boolean {
    return this.outputs.some((v) => v.name === name);
  }

  addFloatInitializer(base: string, dims: number[], data: Float32Array): string {
    const name = this.uniqueName(base);
    this.initializers.push(floatTensor(name, dims, data));
    return name;
  }

  /** Any initializer (quantised weights, zero points); its name must be unused. */
  addInitializer(tensor: TensorProto): string {
    const name = this.claimName(tensor.name ?? '');
    this.initializers.push(tensor);
    return name;
  }

  addInt64Initializer(base: string, dims: number[], data: number[]): string {
    const name = this.uniqueName(base);
    this.initializers.push(int64Tensor(name, dims, data));
    return name;
  }

  addNode(
    opType: string,
    inputs: string[],
    outputs: string[],
    attributes: Record<string, OnnxAttribute> = {},
    domain = '',
  ): void {
    this.nodeCount += 1;
    this.nodes.push({
      opType,
      domain,
      name: `${opType}_${this.nodeCount}`,
      input: inputs,
      output: outputs,
      attribute: Object.entries(attributes).map(([k, v]) => attributeProto(k, v)),
    });
  }

  toModel(options: ModelOptions = {}): IModelProto {
    return {
      irVersion: options.irVersion ?? DEFAULT_IR_VERSION,
      producerName: options.producerName ?? 'graft',
      producerVersion: options.producerVersion ?? '1',
      docString: options.docString ?? '',
      opsetImport: [{ domain: '', version: options.opsetVersion ?? DEFAULT_OPSET }, ...(options.extraOpsets ?? [])],
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
  }

  serialize(options: ModelOptions = {}): Uint8Array {
    return encodeModel(this.toModel(options));
  }
}
