// Which backbones Graft can fine-tune, and what the fine-tuning run needs of each:
// - a TF.js LayersModel (nsfwjs MobileNetV2): its Keras model, whose own layers become the
//   trainable top (main/ml/finetune/layers-top.ts);
// - every other backbone — bundled GraphModels as Graft converts them, imported ONNX (float or
//   quantised) and imported TF.js folders — as the ONNX graph Graft runs for it (the prepared
//   model with its tap), whose nodes above the cut become the trainable top
//   (main/ml/finetune/onnx-top.ts). Which blocks of a graph can be trained is decided when the
//   top is planned: an operator Graft cannot train is named there, with how many blocks can be.
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import type { BackboneSpec } from '../ml/backbones/backbone-spec';
import { preprocessingOf } from '../ml/backbones/backbone-spec';
import { packageFile } from '../ml/backbones/package-files';
import { prepareBackbone, preparedModelPath } from '../ml/backbones/prepare-backbone';
import { FineTuneError } from '../ml/finetune/finetune-error';
import { onnxTrainableBlocks } from '../ml/finetune/onnx-top';
import { tensorValues } from '../ml/finetune/onnx-values';
import { TAP_OUTPUT_PREFIX } from '../ml/onnx/expose-node';
import { defaultOpset, type GraphInfo, graphInfo } from '../ml/onnx/onnx-graph-info';
import { decodeModel, type NodeProto, toNumber } from '../ml/onnx/onnx-proto';
import type { Preprocessing } from '../ml/preprocess';
import { readUmdModel, type TfjsArtifacts } from '../ml/tfjs/tfjs-artifacts';

/** Whether a backbone's top can be fine-tuned, and if not, why in plain words. */
export interface FineTuneSupport {
  supported: boolean;
  reason: string | null;
  /** How many top blocks can be unfrozen, where Graft has looked (an ONNX graph it has prepared); else null. */
  maxBlocks: number | null;
  /** Where fewer blocks can be unfrozen than the network has: the node below them Graft cannot train, and why. */
  limit: string | null;
}

/** A fine-tunable backbone in the form its trainable top is built from. */
export type TrainableBackbone =
  | {
      kind: 'layers';
      artifacts: TfjsArtifacts;
      /** The Keras layer whose spatial mean is the feature (the spec's one tap). */
      tapLayer: string;
      /** Always channels-last: the trunk is converted from the Keras model, which is NHWC. */
      preprocessing: Preprocessing;
      /** The input layout the app's converted backbone takes (the spec's): the fine-tuned whole model keeps it. */
      inputLayout: Preprocessing['layout'];
    }
  | {
      kind: 'onnx';
      /** The backbone's ONNX graph as Graft runs it (its tap exposed as an output). */
      bytes: Uint8Array;
      /** The NCHW tensor whose spatial mean is the feature. */
      tapTensor: string;
      featureDim: number;
      /** The spec's: the graph's own input layout. */
      preprocessing: Preprocessing;
    };

/**
 * Fine-tuning needs one feature tap that is a spatial mean (a convolutional feature map to
 * train up to): a LayersModel's Keras layer, or an NCHW tensor of an ONNX graph — averaged by
 * Graft, or a flat tap the graph itself averages (checked when the backbone is loaded, tapTensorOf).
 */
export function fineTuneSupport(spec: BackboneSpec): FineTuneSupport {
  const refused = (reason: string): FineTuneSupport => ({ supported: false, reason, maxBlocks: null, limit: null });
  if (spec.taps.length !== 1) {
    return refused(`${spec.name} reads its feature from ${spec.taps.length} tensors; fine-tuning needs one.`);
  }
  const tap = spec.taps[0];
  if (tap.reduce === 'spatial-mean-nhwc' && !isLayersModel(spec)) {
    return refused(
      `${spec.name} reads its feature from "${tap.node}", a channels-last map; Graft fine-tunes up to a channels-first (NCHW) feature map.`,
    );
  }
  return { supported: true, reason: null, maxBlocks: null, limit: null };
}

const limits = new Map<string, Pick<FineTuneSupport, 'maxBlocks' | 'limit'> | { refused: string }>();

/**
 * fineTuneSupport, with how many blocks can be unfrozen and why no more where the backbone's
 * prepared ONNX graph is already in `dataDir` (read once per file, whose name holds the
 * backbone's version; a backbone not prepared yet is checked when a run loads it). A LayersModel
 * whose graph has no trainable block (InceptionV3: its blocks end in Concat) is refused the same way.
 */
export function fineTuneSupportIn(spec: BackboneSpec, dataDir: string): FineTuneSupport {
  const base = fineTuneSupport(spec);
  if (!base.supported) return base;
  const file = preparedModelPath(spec, dataDir);
  let known = limits.get(file);
  if (!known) {
    if (!existsSync(file)) return base;
    try {
      const bytes = new Uint8Array(readFileSync(file));
      const { blocks, limit } = onnxTrainableBlocks(bytes, tapTensorOf(bytes));
      known = blocks > 0 ? { maxBlocks: blocks, limit } : { refused: limit ?? 'No block can be trained.' };
    } catch (err) {
      // A prepared file Graft cannot read is prepared again when a run loads the backbone.
      if (!(err instanceof FineTuneError)) return base;
      known = { refused: err.message };
    }
    limits.set(file, known);
  }
  if ('refused' in known) return { ...base, supported: false, reason: `${spec.name}: ${known.refused}` };
  // A LayersModel is split by its Keras blocks (layers-top.ts), which its graph's count need not match.
  return isLayersModel(spec) ? base : { ...base, ...known };
}

function isLayersModel(spec: BackboneSpec): boolean {
  return spec.source.kind === 'bundled' && spec.source.format === 'tfjs-layers-umd';
}

/**
 * The backbone in trainable form; call only where fineTuneSupport says it is supported.
 * `dataDir` is where prepared (converted, tapped) backbones are kept.
 */
export async function loadTrainableBackbone(spec: BackboneSpec, dataDir: string): Promise<TrainableBackbone> {
  const support = fineTuneSupport(spec);
  if (!support.supported) throw new FineTuneError('FINETUNE_UNSUPPORTED', support.reason ?? 'Not fine-tunable.');
  if (spec.source.kind === 'bundled' && isLayersModel(spec)) {
    return {
      kind: 'layers',
      artifacts: await readUmdModel(packageFile(spec.source.package, spec.source.files[0])),
      tapLayer: spec.taps[0].node,
      preprocessing: { ...preprocessingOf(spec), layout: 'NHWC' },
      inputLayout: spec.layout,
    };
  }
  const prepared = await prepareBackbone(spec, dataDir);
  const bytes = new Uint8Array(await fs.readFile(prepared.onnxPath));
  return {
    kind: 'onnx',
    bytes,
    tapTensor: tapTensorOf(bytes),
    featureDim: spec.featureDim,
    preprocessing: preprocessingOf(spec),
  };
}

/**
 * The NCHW feature map whose spatial mean a prepared model's first tap output is: through
 * exposeTaps's Flatten / Cast, and for a flat tap the graph's own Reshape / Flatten, to a
 * ReduceMean over axes 2 and 3 or a GlobalAveragePool. Throws FineTuneError FINETUNE_UNSUPPORTED
 * when the feature is not such a mean (a classifier's logits, a channels-last map).
 */
export function tapTensorOf(bytes: Uint8Array): string {
  const model = decodeModel(bytes);
  if (!model.graph) throw new FineTuneError('FINETUNE_INVALID', 'The backbone has no graph.');
  const info = graphInfo(model.graph, defaultOpset(model.opsetImport ?? []));
  let t = `${TAP_OUTPUT_PREFIX}0`;
  for (let p = info.producer.get(t); p; p = info.producer.get(t)) {
    t = (p.input ?? [])[0] ?? '';
    if (p.opType === 'GlobalAveragePool' || (p.opType === 'ReduceMean' && meanAxes(info, p) === '2,3')) return t;
    if (p.opType !== 'Flatten' && p.opType !== 'Cast' && p.opType !== 'Reshape') break;
  }
  throw new FineTuneError(
    'FINETUNE_UNSUPPORTED',
    'The backbone’s feature is not the spatial mean of a channels-first feature map, so there are no blocks below it to fine-tune.',
  );
}

/** A ReduceMean's axes, from its attribute (opset < 18) or its second input. */
function meanAxes(info: GraphInfo, n: NodeProto): string {
  const attribute = (n.attribute ?? []).find((a) => a.name === 'axes');
  if (attribute) return (attribute.ints ?? []).map((v) => toNumber(v)).join();
  const input = (info.graph.initializer ?? []).find((i) => i.name === (n.input ?? [])[1]);
  return input ? Array.from(tensorValues(input).data).join() : '';
}
