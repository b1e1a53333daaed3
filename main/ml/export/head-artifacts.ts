// A trained head (HeadArtifacts, as tfjs saved it) in the TF.js file shape the converters read.
import type { HeadArtifacts } from '../head/head-model';
import type { JsValue } from '../tfjs/js-literal';
import { parseModelJson, type TfjsArtifacts, TfjsModelError } from '../tfjs/tfjs-artifacts';
import { ExportError } from './export-error';

export function headAsTfjsArtifacts(head: HeadArtifacts): TfjsArtifacts {
  const json = {
    format: 'layers-model',
    modelTopology: head.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: head.weightSpecs }],
  };
  try {
    // tfjs's own JSON types are structurally JSON; parseModelJson checks the parts Graft reads.
    return { model: parseModelJson(json as unknown as JsValue), groupData: [head.weightData] };
  } catch (err) {
    if (err instanceof TfjsModelError)
      throw new ExportError('EXPORT_INVALID', `The trained head is damaged: ${err.message}`);
    throw err;
  }
}
