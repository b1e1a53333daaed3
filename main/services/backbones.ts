import fs from 'node:fs';
import path from 'node:path';
import { type ErrorCode, GraftError } from '../../common/errors';
import type { BackboneImportResult, BackboneInfo, NormalisationPreset } from '../../common/training';
import type { BackboneSpec, PreparedBackbone } from '../ml/backbones/backbone-spec';
import { DEFAULT_BACKBONE_ID, findBundledBackbone, listBundledBackbones } from '../ml/backbones/bundled-backbones';
import {
  IMAGENET_NORMALISATION,
  type ImportedBackbone,
  type ImportOptions,
  importOnnxBackbone,
  importTfjsBackbone,
} from '../ml/backbones/import-backbone';
import { BackboneError, prepareBackbone } from '../ml/backbones/prepare-backbone';
import type { Normalisation } from '../ml/preprocess';
import type { ServiceContext } from './context';
import { fineTuneSupportIn } from './trainable-backbone';

export const NORMALISATION_PRESETS: Record<NormalisationPreset, Normalisation> = {
  imagenet: IMAGENET_NORMALISATION,
  unit: { kind: 'range', min: 0, max: 1 },
  symmetric: { kind: 'range', min: -1, max: 1 },
  raw: { kind: 'range', min: 0, max: 255 },
};

export interface BackboneImportRequest {
  name?: string;
  tap?: string;
  normalisation?: NormalisationPreset;
  inputSize?: number;
  licence?: string;
}

function importOptions(request: BackboneImportRequest): ImportOptions {
  // Own properties only: "toString" or "__proto__" must not find Object.prototype's members.
  const normalisation =
    request.normalisation && Object.hasOwn(NORMALISATION_PRESETS, request.normalisation)
      ? NORMALISATION_PRESETS[request.normalisation]
      : undefined;
  if (request.normalisation && !normalisation) {
    throw new GraftError('BAD_REQUEST', `Normalisation is one of ${Object.keys(NORMALISATION_PRESETS).join(', ')}.`);
  }
  return {
    name: request.name,
    licence: request.licence,
    tap: request.tap ? { node: request.tap } : undefined,
    preprocessing: {
      ...(normalisation ? { normalisation } : {}),
      ...(request.inputSize ? { inputSize: request.inputSize } : {}),
    },
  };
}

/** The model in a chosen folder: the folder itself if it is a TF.js model, else its (named or only) .onnx file. */
export function modelInFolder(dir: string, fileName?: string): string {
  if (fileName !== undefined) {
    if (!fileName || /[/\\]/.test(fileName) || fileName === '..')
      throw new GraftError('BAD_REQUEST', 'Give a file name, not a path.');
    return path.join(dir, fileName);
  }
  if (fs.existsSync(path.join(dir, 'model.json'))) return dir;
  const onnx = fs.readdirSync(dir).filter((n) => n.toLowerCase().endsWith('.onnx'));
  if (onnx.length === 1) return path.join(dir, onnx[0]);
  throw new GraftError(
    'BAD_REQUEST',
    onnx.length === 0
      ? `${dir} holds neither a TF.js model (model.json) nor an .onnx file.`
      : `${dir} holds several .onnx files (${onnx.join(', ')}): name the one to import.`,
  );
}

/** Refusals that keep their own code for the caller; other import failures are a bad request. */
function importErrorCode(code: BackboneError['code']): ErrorCode {
  return code === 'MODEL_FILE_REFUSED' || code === 'MODEL_INPUT_TOO_LARGE' ? code : 'BAD_REQUEST';
}

function infoOf(spec: BackboneSpec, dataDir: string): BackboneInfo {
  return {
    id: spec.id,
    name: spec.name,
    source: spec.source.kind,
    licence: spec.licence,
    inputSize: spec.inputSize,
    featureDim: spec.featureDim,
    notes: spec.notes,
    isDefault: spec.id === DEFAULT_BACKBONE_ID,
    fineTuning: fineTuneSupportIn(spec, dataDir),
  };
}

/** Bundled backbones (read from installed packages) and the ones the user imported. */
export class BackboneService {
  constructor(private readonly ctx: ServiceContext) {}

  list(): BackboneInfo[] {
    return [...listBundledBackbones(), ...this.imported()].map((spec) => infoOf(spec, this.ctx.paths.root));
  }

  /**
   * The backbone a person names: its id, or else its name (letter case ignored), so an imported
   * backbone is usable by the name it was given instead of its hash id.
   * @throws GraftError NOT_FOUND when nothing matches, CONFLICT when several backbones share the name
   */
  find(idOrName: string): BackboneInfo {
    const all = this.list();
    const byId = all.find((b) => b.id === idOrName);
    if (byId) return byId;
    const wanted = idOrName.trim().toLowerCase();
    const byName = all.filter((b) => b.name.toLowerCase() === wanted);
    if (byName.length === 1) return byName[0];
    if (byName.length > 1) {
      throw new GraftError(
        'CONFLICT',
        `Several backbones are named “${idOrName}” (${byName.map((b) => b.id).join(', ')}): give the id.`,
      );
    }
    throw new GraftError('NOT_FOUND', `There is no backbone “${idOrName}”. \`graft backbones\` lists them.`);
  }

  spec(id: string): BackboneSpec {
    const spec = findBundledBackbone(id) ?? this.imported().find((b) => b.id === id);
    if (!spec)
      throw new GraftError('NOT_FOUND', `There is no backbone “${id}”. Choose one from the list or import it.`);
    return spec;
  }

  /** The backbone as a tapped ONNX file, converted once and cached in the data directory. */
  prepare(id: string): Promise<PreparedBackbone> {
    return this.prepareSpec(this.spec(id));
  }

  /**
   * A run keeps the spec it was trained with: later changes to a backbone's taps never alter it.
   * @throws GraftError NOT_FOUND when the spec's file is missing (the message says whose file it
   * was), MODEL_FILE_REFUSED / MODEL_INPUT_TOO_LARGE / BAD_REQUEST when it cannot be used
   */
  async prepareSpec(spec: BackboneSpec): Promise<PreparedBackbone> {
    try {
      return await prepareBackbone(spec, this.ctx.paths.root);
    } catch (err) {
      if (!(err instanceof BackboneError)) throw err;
      throw new GraftError(err.code === 'BACKBONE_NOT_FOUND' ? 'NOT_FOUND' : importErrorCode(err.code), err.message);
    }
  }

  /**
   * Imports a user's backbone: an ONNX file, or a TF.js model folder (converted to ONNX). The
   * file is validated, copied into the data directory and listed; the proposal says which
   * tensor became the feature tap and what else could be chosen.
   */
  async importFile(file: string, request: BackboneImportRequest = {}): Promise<BackboneImportResult> {
    const options = importOptions(request);
    let imported: ImportedBackbone;
    try {
      imported = fs.statSync(file, { throwIfNoEntry: false })?.isDirectory()
        ? await importTfjsBackbone(file, this.ctx.paths.root, options)
        : await importOnnxBackbone(file, this.ctx.paths.root, options);
    } catch (err) {
      if (err instanceof BackboneError) throw new GraftError(importErrorCode(err.code), err.message);
      throw err;
    }
    const { spec, proposal } = imported;
    return {
      backbone: this.register(spec),
      tap: spec.taps.map((t) => t.node).join(', '),
      reason: request.tap ? 'Chosen by you.' : proposal.reason,
      candidates: proposal.candidates.map((c) => c.tensor).filter((t) => !spec.taps.some((tap) => tap.node === t)),
    };
  }

  private register(spec: BackboneSpec): BackboneInfo {
    if (findBundledBackbone(spec.id))
      throw new GraftError('NAME_TAKEN', `“${spec.id}” is the id of a bundled backbone.`);
    this.ctx.db
      .prepare('INSERT OR REPLACE INTO backbones (id, spec, imported_at) VALUES (?, ?, ?)')
      .run(spec.id, JSON.stringify(spec), this.ctx.now());
    return infoOf(spec, this.ctx.paths.root);
  }

  private imported(): BackboneSpec[] {
    return (this.ctx.db.prepare('SELECT spec FROM backbones ORDER BY imported_at').all() as { spec: string }[]).map(
      (r) => JSON.parse(r.spec) as BackboneSpec,
    );
  }
}
