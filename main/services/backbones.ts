import fs from 'node:fs';
import { GraftError } from '../../common/errors';
import type { BackboneInfo } from '../../common/training';
import type { BackboneSpec, PreparedBackbone } from '../ml/backbones/backbone-spec';
import { DEFAULT_BACKBONE_ID, findBundledBackbone, listBundledBackbones } from '../ml/backbones/bundled-backbones';
import {
  type ImportedBackbone,
  type ImportOptions,
  importOnnxBackbone,
  importTfjsBackbone,
} from '../ml/backbones/import-backbone';
import { BackboneError, prepareBackbone } from '../ml/backbones/prepare-backbone';
import type { ServiceContext } from './context';

function infoOf(spec: BackboneSpec): BackboneInfo {
  return {
    id: spec.id,
    name: spec.name,
    source: spec.source.kind,
    licence: spec.licence,
    inputSize: spec.inputSize,
    featureDim: spec.featureDim,
    notes: spec.notes,
    isDefault: spec.id === DEFAULT_BACKBONE_ID,
  };
}

/** Bundled backbones (read from installed packages) and the ones the user imported. */
export class BackboneService {
  constructor(private readonly ctx: ServiceContext) {}

  list(): BackboneInfo[] {
    return [...listBundledBackbones(), ...this.imported()].map(infoOf);
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

  /** A run keeps the spec it was trained with: later changes to a backbone's taps never alter it. */
  prepareSpec(spec: BackboneSpec): Promise<PreparedBackbone> {
    return prepareBackbone(spec, this.ctx.paths.root);
  }

  /**
   * Imports a user's backbone: an ONNX file, or a TF.js model folder (converted to ONNX). The
   * file is validated, copied into the data directory and listed; the proposal says which
   * tensor became the feature tap and what else could be chosen.
   */
  async importFile(file: string, options: ImportOptions = {}): Promise<ImportedBackbone & { info: BackboneInfo }> {
    let imported: ImportedBackbone;
    try {
      imported = fs.statSync(file, { throwIfNoEntry: false })?.isDirectory()
        ? await importTfjsBackbone(file, this.ctx.paths.root, options)
        : await importOnnxBackbone(file, this.ctx.paths.root, options);
    } catch (err) {
      if (err instanceof BackboneError) throw new GraftError('BAD_REQUEST', err.message);
      throw err;
    }
    return { ...imported, info: this.register(imported.spec) };
  }

  private register(spec: BackboneSpec): BackboneInfo {
    if (findBundledBackbone(spec.id))
      throw new GraftError('NAME_TAKEN', `“${spec.id}” is the id of a bundled backbone.`);
    this.ctx.db
      .prepare('INSERT OR REPLACE INTO backbones (id, spec, imported_at) VALUES (?, ?, ?)')
      .run(spec.id, JSON.stringify(spec), this.ctx.now());
    return infoOf(spec);
  }

  private imported(): BackboneSpec[] {
    return (this.ctx.db.prepare('SELECT spec FROM backbones ORDER BY imported_at').all() as { spec: string }[]).map(
      (r) => JSON.parse(r.spec) as BackboneSpec,
    );
  }
}
