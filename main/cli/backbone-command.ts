import { GraftError } from '../../common/errors';
import type { ImportOptions } from '../ml/backbones/import-backbone';
import { IMAGENET_NORMALISATION } from '../ml/backbones/import-backbone';
import type { Normalisation } from '../ml/preprocess';
import type { GraftApp } from '../services/graft-app';
import type { CliIo } from './commands';

const NORMALISATIONS: Record<string, Normalisation> = {
  imagenet: IMAGENET_NORMALISATION,
  unit: { kind: 'range', min: 0, max: 1 },
  symmetric: { kind: 'range', min: -1, max: 1 },
  raw: { kind: 'range', min: 0, max: 255 },
};

export interface BackboneImportFlags {
  name?: string;
  tap?: string;
  licence?: string;
  normalisation?: string;
  inputSize?: string;
}

export async function backboneImportCommand(app: GraftApp, io: CliIo, file: string, flags: BackboneImportFlags) {
  const normalisation = flags.normalisation ? NORMALISATIONS[flags.normalisation] : undefined;
  if (flags.normalisation && !normalisation) {
    throw new GraftError('BAD_REQUEST', `--normalisation is one of ${Object.keys(NORMALISATIONS).join(', ')}.`);
  }
  const options: ImportOptions = {
    name: flags.name,
    licence: flags.licence,
    tap: flags.tap ? { node: flags.tap } : undefined,
    preprocessing: {
      ...(normalisation ? { normalisation } : {}),
      ...(flags.inputSize ? { inputSize: Number(flags.inputSize) } : {}),
    },
  };
  const { info, spec, proposal } = await app.backbones.importFile(file, options);
  io.out(
    `Imported backbone “${info.name}” as ${info.id}: ${info.featureDim}-d features from ${spec.taps.map((t) => t.node).join(', ')}`,
  );
  io.out(
    `  input ${spec.inputSize}×${spec.inputSize} ${spec.layout}, normalisation ${JSON.stringify(spec.normalisation)}`,
  );
  io.out(`  licence: ${info.licence}`);
  const others = proposal.candidates.filter((c) => !spec.taps.some((t) => t.node === c.tensor)).slice(0, 8);
  if (others.length > 0) io.out(`  other taps you can choose with --tap: ${others.map((c) => c.tensor).join(', ')}`);
  return info;
}
