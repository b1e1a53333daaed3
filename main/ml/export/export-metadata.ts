// What an exported model says about itself: its classes, where its backbone came from, and
// exactly what its input must hold. The same description goes into ONNX metadata_props and
// TF.js userDefinedMetadata, so both files can be used without Graft.
import type { BackboneSpec } from '../backbones/backbone-spec';
import { channelAffine, type Normalisation, type Preprocessing, type TensorLayoutName } from '../preprocess';

export interface InputDescription {
  name: string;
  dtype: 'float32';
  /** Batch first; 'N' where any batch size is accepted. */
  shape: (number | string)[];
  layout: TensorLayoutName;
  /** What each value is, in words. */
  values: string;
  /** The per-channel mapping the caller applies; null when the model takes raw 0-255 RGB. */
  normalisation: Normalisation | null;
  /** Done by the caller before the model, in this order. */
  resize: { shortSide: number; crop: 'centre'; size: number; steps: string };
}

export interface ExportDescription {
  graftVersion: string;
  classNames: string[];
  backbone: Pick<BackboneSpec, 'id' | 'version' | 'name' | 'licence'>;
  input: InputDescription;
  output: { name: string; shape: (number | string)[]; values: string };
  feature: string;
  /** How many views of each photo the output averages, in words. */
  views: string;
}

const RESIZE_STEPS =
  'Apply EXIF orientation, composite transparency on white, convert to sRGB RGB, resize the short side to shortSide (Lanczos, as sharp does), cut the centred size x size square.';

export function describeInput(
  pre: Preprocessing,
  { raw, ...input }: { name: string; shape: (number | string)[]; layout: TensorLayoutName; raw: boolean },
): InputDescription {
  const resize = {
    shortSide: Math.max(pre.resizeShortSide, pre.inputSize),
    crop: 'centre' as const,
    size: pre.inputSize,
    steps: RESIZE_STEPS,
  };
  if (raw) {
    return {
      ...input,
      dtype: 'float32',
      values: 'RGB pixel values 0-255 as floats; the model normalises them itself.',
      normalisation: null,
      resize,
    };
  }
  const { a, b } = channelAffine(pre.normalisation);
  const per = a.map((s, c) => `${['R', 'G', 'B'][c]} = pixel * ${s} + ${b[c]}`).join('; ');
  return {
    ...input,
    dtype: 'float32',
    values: `Normalised RGB: ${per} (pixel 0-255).`,
    normalisation: pre.normalisation,
    resize,
  };
}

export function describeExport(
  spec: BackboneSpec,
  classNames: string[],
  graftVersion: string,
  input: InputDescription,
  outputName: string,
  /** The model averages each photo with its left-right mirror image (the run's flipTestTime). */
  mirrorAveraged: boolean,
): ExportDescription {
  const batch = input.shape[0];
  return {
    graftVersion,
    classNames,
    backbone: { id: spec.id, version: spec.version, name: spec.name, licence: spec.licence },
    input,
    output: {
      name: outputName,
      shape: [batch, classNames.length],
      values: `Softmax probabilities, one column per class in classNames order${mirrorAveraged ? ', each the mean of the photo’s and its mirror image’s' : ''}.`,
    },
    views: mirrorAveraged
      ? 'Two: the model mirrors each photo left-right itself and averages the softmax probabilities of both, as Graft does (test-time averaging).'
      : 'One: each photo as given.',
    feature: `${spec.taps.length === 1 ? 'The backbone tap' : `Each of ${spec.taps.length} backbone taps`} (global spatial mean where the tap is a feature map) L2-normalised${spec.taps.length > 1 ? ', concatenated and L2-normalised again' : ''}; ${spec.featureDim} values feed the classification head.`,
  };
}

/** The description as flat string pairs (ONNX metadata_props, TF.js userDefinedMetadata values). */
export function metadataEntries(d: ExportDescription): Record<string, string> {
  return {
    'graft.version': d.graftVersion,
    'graft.class_names': JSON.stringify(d.classNames),
    'graft.backbone_id': d.backbone.id,
    'graft.backbone_version': d.backbone.version,
    'graft.backbone_name': d.backbone.name,
    'graft.backbone_licence': d.backbone.licence,
    'graft.input': JSON.stringify(d.input),
    'graft.output': JSON.stringify(d.output),
    'graft.feature': d.feature,
    'graft.views': d.views,
  };
}

/** One paragraph for a model's doc string. */
export function summary(d: ExportDescription): string {
  const { input } = d;
  return [
    `Graft ${d.graftVersion} image classifier (${d.classNames.length} classes: ${d.classNames.join(', ')}) on backbone ${d.backbone.name} (${d.backbone.id}).`,
    `Input "${input.name}" ${input.dtype} [${input.shape.join(', ')}] ${input.layout}: ${input.values}`,
    `Before the model: ${input.resize.steps.replace('shortSide', String(input.resize.shortSide)).replace(/size x size/, `${input.resize.size} x ${input.resize.size}`)}`,
    `Output "${d.output.name}" [${d.output.shape.join(', ')}]: ${d.output.values}`,
    `Views per photo: ${d.views}`,
    `Backbone licence: ${d.backbone.licence}`,
  ].join('\n');
}
