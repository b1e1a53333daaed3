// The backbone calls of the fake Graft: two bundled backbones, and imports from a chosen folder
// that answer like the real ones. A folder with "empty" in its name holds no model, one with
// "several" holds two .onnx files (so a file name is needed); any other holds a model whose
// graph offers the same few tensors, the pooled features proposed as the tap.

import { GraftError } from '../../../../common/errors';
import type { BackboneInfo, NormalisationPreset } from '../../../../common/training';
import type { FakeLocation } from './fake-exports';
import { type FakeHandlers, fakeHash } from './fake-training';

type BackboneCall = 'backbones:list' | 'backbones:import';

export interface FakeBackbonesDeps {
  location(token: string): FakeLocation;
}

export const FAKE_BACKBONES: readonly BackboneInfo[] = [
  {
    id: 'fake-mobilenet',
    name: 'MobileNetV2 224 (fake)',
    source: 'bundled',
    licence: 'Apache-2.0 (fake weights for tests)',
    inputSize: 224,
    featureDim: 1280,
    notes: 'Small and fast; a good first choice.',
    isDefault: true,
    fineTuning: { supported: true, reason: null, maxBlocks: null, limit: null },
  },
  {
    id: 'fake-inception',
    name: 'InceptionV3 299 (fake)',
    source: 'bundled',
    licence: 'Apache-2.0 (fake weights for tests)',
    inputSize: 299,
    featureDim: 2048,
    notes: 'Larger features, slower to embed.',
    isDefault: false,
    fineTuning: {
      supported: false,
      reason: 'InceptionV3 299 (fake) reads its feature from 3 tensors; fine-tuning needs one.',
      maxBlocks: null,
      limit: null,
    },
  },
];

/** The tensors every fake model offers as a feature tap, with the features each gives. */
export const FAKE_TAPS: Readonly<Record<string, number>> = {
  'avgpool/output': 2048,
  'layer4/output': 2048,
  'flatten/output': 2048,
  'fc/output': 1000,
};
const PROPOSED_TAP = 'avgpool/output';
const PROPOSAL_REASON = 'Output of the GlobalAveragePool "avgpool" that feeds the final Gemm "fc".';
const NORMALISATIONS: readonly NormalisationPreset[] = ['imagenet', 'unit', 'symmetric', 'raw'];
const SEVERAL_FILES = ['resnet50.onnx', 'resnet50-int8.onnx'];

/** The file the real service would import: named, or the folder's only model. */
function modelFile(where: FakeLocation, fileName: string | undefined): string {
  if (fileName !== undefined) {
    if (!fileName || /[/\\]/.test(fileName) || fileName === '..')
      throw new GraftError('BAD_REQUEST', 'Give a file name, not a path.');
    return fileName;
  }
  const folder = where.path.split('/').pop() ?? where.path;
  if (/empty/i.test(folder))
    throw new GraftError('BAD_REQUEST', `${where.path} holds neither a TF.js model (model.json) nor an .onnx file.`);
  if (/several/i.test(folder)) {
    throw new GraftError(
      'BAD_REQUEST',
      `${where.path} holds several .onnx files (${SEVERAL_FILES.join(', ')}): name the one to import.`,
    );
  }
  return 'model.json';
}

export function createFakeBackbones(deps: FakeBackbonesDeps) {
  const imported: BackboneInfo[] = [];

  const handlers: FakeHandlers<BackboneCall> = {
    'backbones:list': () => [...FAKE_BACKBONES, ...imported],
    'backbones:import': ({ location, fileName, name, tap, normalisation, licence }) => {
      const where = deps.location(location);
      const file = modelFile(where, fileName);
      if (normalisation !== undefined && !NORMALISATIONS.includes(normalisation))
        throw new GraftError('BAD_REQUEST', `Normalisation is one of ${NORMALISATIONS.join(', ')}.`);
      if (tap !== undefined && !(tap in FAKE_TAPS))
        throw new GraftError('BAD_REQUEST', `The model has no tensor “${tap}”.`);
      const chosen = tap ?? PROPOSED_TAP;
      const modelPath = file === 'model.json' ? where.path : `${where.path}/${file}`;
      const backbone: BackboneInfo = {
        // Like the real id (a hash of the file), so importing the same file again replaces it.
        id: `imported-${fakeHash(modelPath).slice(0, 16)}`,
        name: name?.trim() || (modelPath.split('/').pop() ?? modelPath).replace(/\.onnx$/i, ''),
        source: 'imported',
        licence: licence?.trim() || 'Declared by the user at import.',
        inputSize: 224,
        featureDim: FAKE_TAPS[chosen],
        notes: file === 'model.json' ? `Converted from the TF.js model in ${where.path}.` : `Imported from ${file}.`,
        isDefault: false,
        fineTuning: { supported: true, reason: null, maxBlocks: null, limit: null },
      };
      const earlier = imported.findIndex((b) => b.id === backbone.id);
      if (earlier >= 0) imported.splice(earlier, 1, backbone);
      else imported.push(backbone);
      return {
        backbone,
        tap: chosen,
        reason: tap ? 'Chosen by you.' : PROPOSAL_REASON,
        candidates: Object.keys(FAKE_TAPS).filter((t) => t !== chosen),
      };
    },
  };

  return {
    handlers,
    find: (backboneId: string) => handlers['backbones:list']({}).find((b) => b.id === backboneId),
  };
}
