import type { NormalisationPreset } from '../../common/training';
import type { Normalisation } from '../ml/preprocess';
import type { GraftApp } from '../services/graft-app';
import type { CliIo } from './terminal-text';

export interface BackboneImportFlags {
  name?: string;
  tap?: string;
  licence?: string;
  normalisation?: NormalisationPreset;
  inputSize?: number;
}

/** What the model expects its pixel values to be, in words. */
function inWords(n: Normalisation): string {
  if (n.kind === 'range') return `pixel values scaled to [${n.min}, ${n.max}]`;
  const list = (v: readonly number[]) => v.map((x) => x.toFixed(3)).join(', ');
  return `pixel values × ${n.scale.toPrecision(4)}, minus mean (${list(n.mean)}), divided by std (${list(n.std)})`;
}

/** `graft backbone import`: imports the model and says how to use it, by name. */
export async function backboneImportCommand(app: GraftApp, io: CliIo, file: string, flags: BackboneImportFlags) {
  const result = await app.backbones.importFile(file, {
    name: flags.name,
    tap: flags.tap,
    licence: flags.licence,
    normalisation: flags.normalisation,
    inputSize: flags.inputSize,
  });
  const { backbone } = result;
  const spec = app.backbones.spec(backbone.id);
  io.out(`Imported backbone “${backbone.name}” (${backbone.id}): ${backbone.featureDim}-d features from ${result.tap}`);
  io.out(`  why this tap: ${result.reason}`);
  io.out(`  input ${spec.inputSize}×${spec.inputSize} pixels (${spec.layout}); ${inWords(spec.normalisation)}`);
  io.out(`  licence: ${backbone.licence}`);
  if (result.candidates.length > 0)
    io.out(`  other taps you can choose with --tap: ${result.candidates.slice(0, 8).join(', ')}`);
  io.out(`Train with it: graft train --project NAME --backbone ${JSON.stringify(backbone.name)}`);
  return backbone;
}
