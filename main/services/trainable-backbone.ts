// Which backbones Graft can fine-tune, and their Keras model for the trainable top. The top is
// built from a LayersModel's own layers (main/ml/finetune/layers-top.ts), so only backbones that
// ship as a TF.js LayersModel qualify: a GraphModel has no layers to train and an imported
// backbone is kept only as its ONNX file.
import type { BackboneSpec } from '../ml/backbones/backbone-spec';
import { preprocessingOf } from '../ml/backbones/backbone-spec';
import { packageFile } from '../ml/backbones/package-files';
import type { Preprocessing } from '../ml/preprocess';
import { readUmdModel, type TfjsArtifacts } from '../ml/tfjs/tfjs-artifacts';

/** Whether a backbone's top can be fine-tuned, and if not, why in plain words. */
export interface FineTuneSupport {
  supported: boolean;
  reason: string | null;
}

/** A fine-tunable backbone: its Keras model files, the layer its feature is read from, and its preprocessing. */
export interface TrainableBackbone {
  artifacts: TfjsArtifacts;
  /** The Keras layer whose spatial mean is the feature (the spec's one tap). */
  tapLayer: string;
  /** Always channels-last: the trunk is converted from the Keras model, which is NHWC. */
  preprocessing: Preprocessing;
  /** The input layout the app's converted backbone takes (the spec's): the fine-tuned whole model keeps it. */
  inputLayout: Preprocessing['layout'];
}

/**
 * Fine-tuning needs a TF.js LayersModel with one feature tap; whether the top's blocks can be
 * split off is decided when the model is split (splitAtTopBlocks names the block that cannot).
 */
export function fineTuneSupport(spec: BackboneSpec): FineTuneSupport {
  if (spec.source.kind === 'imported') {
    return {
      supported: false,
      reason: `${spec.name} was imported as an ONNX model; Graft can fine-tune only backbones that ship as a TF.js LayersModel (Keras layers it can train).`,
    };
  }
  if (spec.source.format !== 'tfjs-layers-umd') {
    return {
      supported: false,
      reason: `${spec.name} is a TF.js GraphModel: a frozen graph without Keras layers, so its top cannot be trained. Choose a LayersModel backbone such as MobileNetV2 224 (nsfwjs).`,
    };
  }
  if (spec.taps.length !== 1) {
    return {
      supported: false,
      reason: `${spec.name} reads its feature from ${spec.taps.length} layers; fine-tuning needs one.`,
    };
  }
  return { supported: true, reason: null };
}

/** The backbone's Keras model files; call only where fineTuneSupport says it is supported. */
export async function loadTrainableBackbone(spec: BackboneSpec): Promise<TrainableBackbone> {
  const support = fineTuneSupport(spec);
  if (!support.supported || spec.source.kind !== 'bundled') throw new Error(support.reason ?? 'Not fine-tunable.');
  const artifacts = await readUmdModel(packageFile(spec.source.package, spec.source.files[0]));
  return {
    artifacts,
    tapLayer: spec.taps[0].node,
    preprocessing: { ...preprocessingOf(spec), layout: 'NHWC' },
    inputLayout: spec.layout,
  };
}
