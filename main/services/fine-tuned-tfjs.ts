// What a fine-tuning run exports as TF.js. A run fine-tuned on a TF.js LayersModel (nsfwjs's
// Keras MobileNetV2) trained that model's own layers (layers-top.ts), so its TF.js export is the
// backbone's own files with the trained weights put back (withTrainedWeights), exported by the
// same path as a feature-extraction run (exportTfjsClassifier: taps, L2 normalisation, head,
// mirror averaging). Any other backbone was fine-tuned as an ONNX graph, which only ONNX holds.
import { GraftError } from '../../common/errors';
import type { BackboneSpec } from '../ml/backbones/backbone-spec';
import { withTrainedWeights } from '../ml/export/fine-tuned-layers';
import { tfjsExportSupport } from '../ml/export/tfjs-export';
import type { TfjsArtifacts } from '../ml/tfjs/tfjs-artifacts';
import { type RunArtefacts, readTopWeights } from './experiment-artefacts';
import { loadTrainableBackbone } from './trainable-backbone';

/**
 * Whether a fine-tuning run on `original` (the backbone it was started from; null where that
 * backbone is no longer available) exports as TF.js, and why not in plain words.
 */
export function fineTunedTfjsSupport(original: BackboneSpec | null): { supported: boolean; reason: string | null } {
  if (original && tfjsExportSupport(original).supported) return { supported: true, reason: null };
  const onnx = 'the ONNX file holds the whole network the run kept, backbone and head';
  return {
    supported: false,
    reason: original
      ? `${original.name} is not a TF.js LayersModel: Graft fine-tuned it as an ONNX graph, so this run exports as ONNX only (${onnx}).`
      : `The backbone this run was fine-tuned from is no longer in Graft, so its TF.js files cannot be rebuilt: export ONNX (${onnx}).`,
  };
}

/**
 * The backbone a fine-tuning run exports as TF.js: `original`'s own TF.js files with the run's
 * trained top (top.json in `artefactDir`) substituted, and a spec whose one tap is the Keras
 * layer the run trained up to (spatial mean of a channels-last map; the run's feature size) and
 * whose input is the run's. `dataDir` is where prepared backbones are kept.
 * @throws GraftError BAD_REQUEST where `original` is not a LayersModel, NOT_FOUND where the run
 *   kept no trained top; ExportError EXPORT_INVALID where the top does not fit the backbone.
 */
export async function fineTunedTfjsBackbone(
  run: RunArtefacts,
  original: BackboneSpec,
  artefactDir: string,
  dataDir: string,
): Promise<{ spec: BackboneSpec; artifacts: TfjsArtifacts }> {
  const refused = fineTunedTfjsSupport(original).reason;
  if (refused) throw new GraftError('BAD_REQUEST', refused);
  const trainable = await loadTrainableBackbone(original, dataDir);
  if (trainable.kind !== 'layers')
    throw new GraftError('BAD_REQUEST', `${original.name} did not load as a TF.js LayersModel; export ONNX.`);
  const top = await readTopWeights(artefactDir);
  if (!top)
    throw new GraftError('NOT_FOUND', `The fine-tuned weights of this run (top.json) are missing from ${artefactDir}.`);
  return {
    spec: {
      ...run.backbone,
      source: original.source,
      taps: [{ node: trainable.tapLayer, reduce: 'spatial-mean-nhwc', dim: run.backbone.featureDim }],
    },
    artifacts: withTrainedWeights(trainable.artifacts, top),
  };
}
