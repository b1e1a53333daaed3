// The whole classifier as one ONNX file: the prepared backbone (its tap outputs), the feature
// combination the app computes in combineTaps (each tap L2-normalised, concatenated, and
// normalised again when there are several), the trained head converted from TF.js, and its
// softmax as the output `probabilities`. For a run that averages each photo with its mirror
// image (flipTestTime), the graph does that too: the backbone input is mirrored left-right by a
// Gather along its width axis, a second copy of backbone + features + head (sharing every
// weight) runs on it, and `probabilities` is the Mean of the two softmax outputs, exactly what
// predictWithHead averages. Optionally the model takes raw 0-255 RGB and does the per-channel
// normalisation and the layout transpose itself; resizing and the centre crop stay outside, as
// the metadata says.
import fs from 'node:fs/promises';
import type { PreparedBackbone } from '../backbones/backbone-spec';
import type { HeadArtifacts } from '../head/head-model';
import { layersModelToOnnx, UnsupportedLayerError } from '../onnx/layers-to-onnx';
import { attr, OnnxGraphBuilder, valueInfo } from '../onnx/onnx-graph-builder';
import { defaultOpset } from '../onnx/onnx-graph-info';
import {
  decodeModel,
  ElemType,
  encodeModel,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  toNumber,
  type ValueInfoProto,
} from '../onnx/onnx-proto';
import { channelAffine, type Preprocessing } from '../preprocess';
import { ExportError } from './export-error';
import { describeExport, describeInput, type ExportDescription, metadataEntries, summary } from './export-metadata';
import { headAsTfjsArtifacts } from './head-artifacts';
import { checkNodesAtOpset, MAX_SHARED_OPSET, renameGraph } from './onnx-merge';

export const INPUT_NAME = 'input';
export const RAW_INPUT_NAME = 'image';
export const OUTPUT_NAME = 'probabilities';
/** The two views' softmax outputs when the graph averages a photo with its mirror image. */
const ORIGINAL_VIEW = 'graft/probabilities_original';
const MIRROR_VIEW = 'graft/probabilities_mirrored';
const MIRROR_SCOPE = 'mirror/';
export const COMPOSED_IR_VERSION = 8;
/** Oldest backbone opset the added nodes can join (Max with broadcasting arrived in opset 8). */
export const MIN_BACKBONE_OPSET = 8;

/**
 * Floor under each feature norm: the smallest normal float32. A zero vector stays zero
 * (0 / floor), as l2Normalise leaves it; every other float32 norm is at or above it.
 */
const NORM_FLOOR = 1.1754943508222875e-38;

export interface ComposeClassifierOptions {
  backbone: PreparedBackbone;
  head: HeadArtifacts;
  /** In the head's output order. */
  classNames: string[];
  /** Written into the metadata, e.g. the app's package version. */
  graftVersion: string;
  /** Take raw 0-255 RGB NHWC as `image` instead of the backbone's normalised input. */
  rawInput?: boolean;
  /**
   * Average each photo's probabilities with its left-right mirror image's inside the graph, as
   * the app does for a run trained with flipTestTime (main/services/predictor.ts).
   */
  flipTestTime?: boolean;
}

export interface ComposedClassifier {
  bytes: Uint8Array;
  inputName: string;
  /** Batch first ('N' when free), in `layout`. */
  inputShape: (number | string)[];
  layout: 'NCHW' | 'NHWC';
  outputName: string;
  classCount: number;
  opset: number;
  irVersion: number;
  /** Batch size the backbone fixes, or null. */
  maxBatch: number | null;
  description: ExportDescription;
}

/** Reads the prepared backbone's ONNX file and composes the classifier. */
export async function composeClassifierOnnx(options: ComposeClassifierOptions): Promise<ComposedClassifier> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fs.readFile(options.backbone.onnxPath));
  } catch {
    throw new ExportError(
      'EXPORT_INVALID',
      `The prepared backbone file ${options.backbone.onnxPath} cannot be read; open the backbone again to rebuild it.`,
    );
  }
  return composeClassifierModel(bytes, options);
}

/** Composes the classifier from the prepared backbone's ONNX bytes (the file at backbone.onnxPath). */
export function composeClassifierModel(
  backboneBytes: Uint8Array,
  options: ComposeClassifierOptions,
): ComposedClassifier {
  const { backbone, classNames } = options;
  const raw = options.rawInput === true;
  const model = decodeBackbone(backboneBytes);
  const graph = model.graph;
  if (!graph) throw new ExportError('EXPORT_INVALID', 'The prepared backbone file has no graph.');
  const opset = defaultOpset(model.opsetImport ?? []);
  if (opset > MAX_SHARED_OPSET || opset < MIN_BACKBONE_OPSET) {
    throw new ExportError(
      'EXPORT_UNSUPPORTED',
      `The backbone uses ONNX opset ${opset}; Graft exports ONNX at opsets ${MIN_BACKBONE_OPSET}-${MAX_SHARED_OPSET} (what onnxruntime and the onnx 1.12 checker both read). Convert the backbone to an opset in that range and import it again.`,
    );
  }
  if (classNames.length < 2) throw new ExportError('EXPORT_INVALID', 'A classifier needs at least two class names.');

  const pre = backbone.preprocessing;
  const batch = backboneBatch(graph.input ?? [], backbone.inputName, pre);
  const outputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  for (const tap of backbone.tapOutputs) {
    if (!outputs.has(tap)) {
      throw new ExportError('EXPORT_INVALID', `The prepared backbone has no output ${tap}; open the backbone again.`);
    }
  }

  const head = convertHead(options.head, backbone.featureDim, classNames.length);
  checkNodesAtOpset(head.graph.node ?? [], opset, 'classification head');

  const S = pre.inputSize;
  const flip = options.flipTestTime === true;
  const inputName = raw ? RAW_INPUT_NAME : INPUT_NAME;
  const layout = raw ? 'NHWC' : pre.layout;
  const inputShape = layout === 'NCHW' ? [batch, 3, S, S] : [batch, S, S, 3];
  const before = new OnnxGraphBuilder('graft');
  const backboneInput = raw ? normaliseInside(before, pre) : INPUT_NAME;
  const mirrored = flip ? mirrorInside(before, backboneInput, pre) : null;
  const beforeGraph = builtGraph(before, 'graft/input/');
  checkNodesAtOpset(beforeGraph.node ?? [], opset, 'input preparation');

  const original = viewGraph(graph, head, backbone, backboneInput, mirrored ? ORIGINAL_VIEW : OUTPUT_NAME);
  checkNodesAtOpset(original.featureNodes, opset, 'feature normalisation');
  const views = [original.graph];
  const averaging: NodeProto[] = [];
  if (mirrored) {
    // A second, independently decoded copy, renamed into its own scope; it keeps the
    // original's weight names, so both copies read one set of initializers.
    const copy = viewGraph(
      decodeBackbone(backboneBytes).graph ?? {},
      convertHead(options.head, backbone.featureDim, classNames.length),
      backbone,
      mirrored,
      MIRROR_VIEW,
    ).graph;
    const shared = new Set([...weightNames(original.graph), mirrored, MIRROR_VIEW]);
    renameGraph(copy, (n) => (shared.has(n) ? n : `${MIRROR_SCOPE}${n}`), MIRROR_SCOPE);
    views.push({
      ...copy,
      initializer: [],
      sparseInitializer: [],
      valueInfo: (copy.valueInfo ?? []).filter((v) => !shared.has(v.name ?? '')),
    });
    averaging.push({
      opType: 'Mean',
      domain: '',
      name: 'graft/average/Mean',
      input: [ORIGINAL_VIEW, MIRROR_VIEW],
      output: [OUTPUT_NAME],
    });
    checkNodesAtOpset(averaging, opset, 'mirror averaging');
  }

  const input = valueInfo(inputName, ElemType.FLOAT, inputShape);
  const description = describeExport(
    backbone.spec,
    classNames,
    options.graftVersion,
    describeInput(pre, { name: inputName, shape: inputShape, layout, raw }),
    OUTPUT_NAME,
    flip,
  );
  const composed = encodeModel({
    irVersion: COMPOSED_IR_VERSION,
    producerName: 'graft',
    producerVersion: options.graftVersion,
    docString: summary(description),
    // Every domain the backbone imports stays (com.microsoft for quantised models), at its version.
    opsetImport: model.opsetImport ?? [],
    functions: model.functions ?? [],
    metadataProps: Object.entries(metadataEntries(description)).map(([key, value]) => ({ key, value })),
    graph: {
      name: 'graft_classifier',
      input: [input],
      output: [valueInfo(OUTPUT_NAME, ElemType.FLOAT, [batch, classNames.length])],
      node: [...(beforeGraph.node ?? []), ...views.flatMap((v) => v.node ?? []), ...averaging],
      initializer: [...(beforeGraph.initializer ?? []), ...views.flatMap((v) => v.initializer ?? [])],
      sparseInitializer: views.flatMap((v) => v.sparseInitializer ?? []),
      valueInfo: views.flatMap((v) => v.valueInfo ?? []),
      quantizationAnnotation: views.flatMap((v) => v.quantizationAnnotation ?? []),
    },
  });
  return {
    bytes: composed,
    inputName,
    inputShape,
    layout,
    outputName: OUTPUT_NAME,
    classCount: classNames.length,
    opset,
    irVersion: COMPOSED_IR_VERSION,
    maxBatch: typeof batch === 'number' ? batch : null,
    description,
  };
}

/** The builder's nodes and initializers, node names prefixed (each builder counts from 1). */
function builtGraph(b: OnnxGraphBuilder, nodePrefix: string): GraphProto {
  const graph = b.toModel().graph ?? {};
  for (const n of graph.node ?? []) n.name = `${nodePrefix}${n.name}`;
  return graph;
}

function decodeBackbone(bytes: Uint8Array): ModelProto {
  try {
    return decodeModel(bytes);
  } catch (err) {
    throw new ExportError(
      'EXPORT_INVALID',
      `The prepared backbone file is damaged (${(err as Error).message}); open the backbone again to rebuild it.`,
    );
  }
}

/** The backbone input's batch size ('N' when free), after checking it takes the crops the app makes. */
function backboneBatch(inputs: ValueInfoProto[], name: string, pre: Preprocessing): number | string {
  const input = inputs.find((v) => v.name === name);
  const dims = input?.type?.tensorType?.shape?.dim;
  if (!input || !dims) throw new ExportError('EXPORT_INVALID', `The prepared backbone has no input ${name}.`);
  const sizes = dims.map((d) => (d.dimValue !== null && d.dimValue !== undefined ? toNumber(d.dimValue) : 0));
  const S = pre.inputSize;
  const expected = pre.layout === 'NCHW' ? [0, 3, S, S] : [0, S, S, 3];
  const fits = sizes.length === 4 && sizes.every((d, i) => i === 0 || d <= 0 || d === expected[i]);
  if (!fits || input.type?.tensorType?.elemType !== ElemType.FLOAT) {
    throw new ExportError(
      'EXPORT_INVALID',
      `The backbone input ${name} is not a float ${pre.layout} image of ${S} x ${S} pixels as its preprocessing says.`,
    );
  }
  return sizes[0] > 0 ? sizes[0] : 'N';
}

/**
 * One view's classifier as one graph: the backbone (read from `input`), combineTaps, and the
 * head (its softmax written to `output`). Renames the tensors of `backbone` and `head` in place.
 */
function viewGraph(
  backbone: GraphProto,
  head: ConvertedHead,
  prepared: PreparedBackbone,
  input: string,
  output: string,
): { graph: GraphProto; featureNodes: NodeProto[] } {
  const b = new OnnxGraphBuilder('graft');
  const features = combineFeatures(
    b,
    prepared.tapOutputs.map((t) => `backbone/${t}`),
  );
  const featureGraph = builtGraph(b, 'graft/features/');
  renameGraph(backbone, (n) => (n === prepared.inputName ? input : `backbone/${n}`), 'backbone/');
  renameGraph(
    head.graph,
    (n) => (n === head.inputName ? features : n === head.outputName ? output : `head/${n}`),
    'head/',
  );
  const parts = [backbone, featureGraph, head.graph];
  return {
    graph: {
      node: parts.flatMap((g) => g.node ?? []),
      initializer: parts.flatMap((g) => g.initializer ?? []),
      sparseInitializer: backbone.sparseInitializer ?? [],
      valueInfo: backbone.valueInfo ?? [],
      quantizationAnnotation: backbone.quantizationAnnotation ?? [],
    },
    featureNodes: featureGraph.node ?? [],
  };
}

/** Names of a graph's dense and sparse initializers. */
function weightNames(graph: GraphProto): string[] {
  return [
    ...(graph.initializer ?? []).map((t) => t.name ?? ''),
    ...(graph.sparseInitializer ?? []).map((t) => t.values?.name ?? ''),
  ];
}

/** The backbone input mirrored left-right: a Gather of its width axis in reverse order. Returns its name. */
function mirrorInside(b: OnnxGraphBuilder, input: string, pre: Preprocessing): string {
  const S = pre.inputSize;
  const reversed = b.addInt64Initializer(
    'graft/width_reversed',
    [S],
    Array.from({ length: S }, (_, i) => S - 1 - i),
  );
  const mirrored = 'graft/mirrored';
  b.addNode('Gather', [input, reversed], [mirrored], { axis: attr.int(pre.layout === 'NCHW' ? 3 : 2) });
  return mirrored;
}

/** image (raw RGB, NHWC) -> pixel * a + b per channel -> the backbone's layout. Returns the result's name. */
function normaliseInside(b: OnnxGraphBuilder, pre: Preprocessing): string {
  const { a, b: offset } = channelAffine(pre.normalisation);
  const scale = b.addFloatInitializer('graft/pixel_scale', [3], Float32Array.from(a));
  const shift = b.addFloatInitializer('graft/pixel_offset', [3], Float32Array.from(offset));
  b.addNode('Mul', [RAW_INPUT_NAME, scale], ['graft/scaled']);
  const normalised = 'graft/normalised';
  if (pre.layout === 'NHWC') {
    b.addNode('Add', ['graft/scaled', shift], [normalised]);
  } else {
    b.addNode('Add', ['graft/scaled', shift], ['graft/normalised_nhwc']);
    b.addNode('Transpose', ['graft/normalised_nhwc'], [normalised], { perm: attr.ints([0, 3, 1, 2]) });
  }
  return normalised;
}

/** combineTaps as ONNX nodes; returns the feature tensor's name. */
function combineFeatures(b: OnnxGraphBuilder, taps: string[]): string {
  const floor = b.addFloatInitializer('graft/norm_floor', [], Float32Array.of(NORM_FLOOR));
  const normalise = (x: string, out: string): void => {
    b.addNode('ReduceL2', [x], [`${out}/norm`], { axes: attr.ints([1]), keepdims: attr.int(1) });
    b.addNode('Max', [`${out}/norm`, floor], [`${out}/norm_floored`]);
    b.addNode('Div', [x, `${out}/norm_floored`], [out]);
  };
  const features = 'graft/features';
  if (taps.length === 1) {
    normalise(taps[0], features);
    return features;
  }
  const units = taps.map((t, i) => {
    normalise(t, `graft/tap_${i}_unit`);
    return `graft/tap_${i}_unit`;
  });
  b.addNode('Concat', units, ['graft/concatenated'], { axis: attr.int(1) });
  normalise('graft/concatenated', features);
  return features;
}

interface ConvertedHead {
  graph: NonNullable<ModelProto['graph']>;
  inputName: string;
  outputName: string;
}

function convertHead(head: HeadArtifacts, featureDim: number, classCount: number): ConvertedHead {
  let converted: ReturnType<typeof layersModelToOnnx>;
  try {
    converted = layersModelToOnnx(headAsTfjsArtifacts(head), { graphName: 'head' });
  } catch (err) {
    if (err instanceof UnsupportedLayerError) throw new ExportError('EXPORT_UNSUPPORTED', err.message);
    throw new ExportError('EXPORT_INVALID', `The trained head cannot be read: ${(err as Error).message}`);
  }
  const [input] = converted.inputs;
  const [output] = converted.outputs;
  if (converted.inputs.length !== 1 || converted.outputs.length !== 1 || input.shape.length !== 2) {
    throw new ExportError('EXPORT_INVALID', 'The trained head does not map one feature vector to one output.');
  }
  if (input.shape[1] !== featureDim) {
    throw new ExportError(
      'EXPORT_INVALID',
      `The head reads ${input.shape[1]} features but the backbone gives ${featureDim}: it was trained on another backbone or tap.`,
    );
  }
  if (output.shape.length !== 2 || output.shape[1] !== classCount) {
    throw new ExportError(
      'EXPORT_INVALID',
      `The head has ${output.shape[1]} outputs but ${classCount} class names were given.`,
    );
  }
  const graph = decodeModel(converted.bytes).graph;
  const last = graph?.node?.find((n) => (n.output ?? []).includes(output.name));
  if (!graph || last?.opType !== 'Softmax') {
    throw new ExportError('EXPORT_INVALID', 'The trained head does not end in a softmax.');
  }
  return { graph, inputName: input.name, outputName: output.name };
}
