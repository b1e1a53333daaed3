// The layer graph of a TF.js LayersModel (Keras 2 JSON: Sequential or functional Model),
// as explicit nodes: one per application of a layer, with references to the tensors it reads.
import type { JsValue } from './js-literal';
import { isJsonObject, type JsonObject, TfjsModelError } from './tfjs-artifacts';

export interface KerasLayer {
  name: string;
  className: string;
  config: JsonObject;
}

export interface TensorRef {
  layer: string;
  nodeIndex: number;
  tensorIndex: number;
}

export interface KerasNode {
  key: string;
  layer: KerasLayer;
  nodeIndex: number;
  inputs: TensorRef[];
}

export interface KerasGraph {
  name: string;
  layers: Map<string, KerasLayer>;
  nodes: Map<string, KerasNode>;
  inputs: TensorRef[];
  outputs: TensorRef[];
}

export function nodeKey(layer: string, nodeIndex: number): string {
  return `${layer}@${nodeIndex}`;
}

export function refKey(ref: TensorRef): string {
  return `${nodeKey(ref.layer, ref.nodeIndex)}#${ref.tensorIndex}`;
}

const MODEL_CLASSES = new Set(['Model', 'Functional', 'Sequential']);

export function parseKerasTopology(topology: JsonObject): KerasGraph {
  const root = isJsonObject(topology.model_config ?? null) ? (topology.model_config as JsonObject) : topology;
  const className = root.class_name;
  if (className === 'Sequential') return parseSequential(root.config ?? null);
  if (className === 'Model' || className === 'Functional') return parseFunctional(root.config ?? null);
  throw new TfjsModelError(`Not a Keras LayersModel topology (class ${String(className)})`);
}

function readLayer(value: JsValue): KerasLayer {
  if (!isJsonObject(value) || typeof value.class_name !== 'string' || !isJsonObject(value.config ?? null)) {
    throw new TfjsModelError('A layer entry needs class_name and config');
  }
  const config = value.config as JsonObject;
  const name = typeof value.name === 'string' ? value.name : config.name;
  if (typeof name !== 'string') throw new TfjsModelError(`A ${value.class_name} layer has no name`);
  if (MODEL_CLASSES.has(value.class_name)) {
    throw new TfjsModelError(
      `Layer "${name}" is a nested ${value.class_name}; Graft reads flat models only. Save the inner model on its own.`,
    );
  }
  return { name, className: value.class_name, config };
}

function readRef(value: JsValue, where: string): TensorRef {
  if (!Array.isArray(value) || typeof value[0] !== 'string') {
    throw new TfjsModelError(`Unreadable tensor reference in ${where} (Keras 3 files are not supported)`);
  }
  return {
    layer: value[0],
    nodeIndex: typeof value[1] === 'number' ? value[1] : 0,
    tensorIndex: typeof value[2] === 'number' ? value[2] : 0,
  };
}

function readRefList(value: JsValue, where: string): TensorRef[] {
  if (!Array.isArray(value)) throw new TfjsModelError(`${where} is missing`);
  if (typeof value[0] === 'string') return [readRef(value, where)];
  return value.map((v) => readRef(v, where));
}

function parseFunctional(config: JsValue): KerasGraph {
  if (!isJsonObject(config) || !Array.isArray(config.layers)) throw new TfjsModelError('Model config has no layers');
  const layers = new Map<string, KerasLayer>();
  const nodes = new Map<string, KerasNode>();
  for (const entry of config.layers) {
    const layer = readLayer(entry);
    layers.set(layer.name, layer);
    const inbound = isJsonObject(entry) ? entry.inbound_nodes : undefined;
    if (layer.className === 'InputLayer') {
      nodes.set(nodeKey(layer.name, 0), { key: nodeKey(layer.name, 0), layer, nodeIndex: 0, inputs: [] });
      continue;
    }
    if (!Array.isArray(inbound)) throw new TfjsModelError(`Layer "${layer.name}" has no inbound_nodes`);
    inbound.forEach((node, nodeIndex) => {
      if (!Array.isArray(node)) {
        throw new TfjsModelError(`Layer "${layer.name}" uses the Keras 3 node format, which Graft cannot read`);
      }
      const key = nodeKey(layer.name, nodeIndex);
      nodes.set(key, { key, layer, nodeIndex, inputs: node.map((r) => readRef(r, `layer ${layer.name}`)) });
    });
  }
  const name = typeof config.name === 'string' ? config.name : 'model';
  return {
    name,
    layers,
    nodes,
    inputs: readRefList(config.input_layers ?? null, 'input_layers'),
    outputs: readRefList(config.output_layers ?? null, 'output_layers'),
  };
}

function parseSequential(config: JsValue): KerasGraph {
  const list = Array.isArray(config) ? config : isJsonObject(config) ? config.layers : undefined;
  if (!Array.isArray(list) || list.length === 0) throw new TfjsModelError('Sequential model has no layers');
  const name = isJsonObject(config) && typeof config.name === 'string' ? config.name : 'sequential';
  const layers = new Map<string, KerasLayer>();
  const nodes = new Map<string, KerasNode>();
  let parsed = list.map(readLayer);
  if (parsed[0].className !== 'InputLayer') {
    const shape = parsed[0].config.batch_input_shape ?? parsed[0].config.batch_shape;
    if (!Array.isArray(shape)) throw new TfjsModelError('Sequential model does not declare its input shape');
    const input: KerasLayer = {
      name: `${parsed[0].name}_input`,
      className: 'InputLayer',
      config: { batch_input_shape: shape, dtype: 'float32', name: `${parsed[0].name}_input` },
    };
    parsed = [input, ...parsed];
  }
  let previous: TensorRef | null = null;
  for (const layer of parsed) {
    layers.set(layer.name, layer);
    const key = nodeKey(layer.name, 0);
    nodes.set(key, { key, layer, nodeIndex: 0, inputs: previous ? [previous] : [] });
    previous = { layer: layer.name, nodeIndex: 0, tensorIndex: 0 };
  }
  return {
    name,
    layers,
    nodes,
    inputs: [{ layer: parsed[0].name, nodeIndex: 0, tensorIndex: 0 }],
    outputs: [previous as TensorRef],
  };
}
