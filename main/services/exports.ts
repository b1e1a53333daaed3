import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Id } from '../../common/contract';
import { DISK_FULL_MESSAGE, GraftError, isDiskFull } from '../../common/errors';
import type { ExportFormat, ExportRecord, ExportSupport, ParityResult } from '../../common/training';
import { recordDespiteFullDisk } from '../db/connection';
import { isBmp } from '../imaging/bmp-decoder';
import { readOodStatistics, writeOodStatistics } from '../ml/adaptation/ood-artefact';
import type { BackboneSpec, PreparedBackbone } from '../ml/backbones/backbone-spec';
import { appCrops } from '../ml/export/app-reference';
import { composeClassifierOnnx } from '../ml/export/compose-classifier-onnx';
import { checkOnnxParity, checkTfjsParity, type ParityData, toParityResult } from '../ml/export/parity';
import { exportTfjsClassifier, tfjsExportSupport } from '../ml/export/tfjs-export';
import { APP_VERSION } from '../version';
import { readAdaptationReport } from './adaptation';
import type { BackboneService } from './backbones';
import type { ServiceContext } from './context';
import { targetFolderPaths } from './domains';
import { type RunArtefacts, readRunArtefacts } from './experiment-artefacts';
import type { ExperimentStore } from './experiments';
import {
  refuseProtectedDestination,
  removeExportFiles,
  replaceableFiles,
  writeExportMarker,
} from './export-destination';
import { fineTunedTfjsBackbone, fineTunedTfjsSupport } from './fine-tuned-tfjs';
import type { ImageService } from './images';
import { modelCard } from './model-card';
import { ExperimentModel, type Predictions } from './predictor';

/** Validation photos checked after each export: enough to be convincing, bounded in time. */
const MAX_PARITY_PHOTOS = 200;

interface ExportRow {
  id: Id;
  experimentId: Id;
  format: ExportFormat;
  path: string;
  status: ExportRecord['status'];
  sizeBytes: number | null;
  parity: string | null;
  error: string | null;
  createdAt: string;
}

const EXPORT_SQL = `SELECT id, experiment_id AS experimentId, format, path, status, size_bytes AS sizeBytes, parity,
  error, created_at AS createdAt FROM exports`;

function toRecord(row: ExportRow): ExportRecord {
  return {
    ...row,
    parity: row.parity ? (JSON.parse(row.parity) as ParityResult) : null,
    missing: row.status !== 'running' && !fs.existsSync(row.path),
  };
}

function checkFolderName(name: unknown): string {
  const clean = typeof name === 'string' ? name.trim() : '';
  if (!clean || clean === '.' || clean === '..' || /[/\\:*?"<>|]/.test(clean) || clean.length > 120) {
    throw new GraftError(
      'BAD_REQUEST',
      'The export folder name must be a plain name (no slashes or special characters).',
    );
  }
  return clean;
}

/** What is at `target`, or null where nothing is (ENOENT) or its parent is not a folder (ENOTDIR). */
function existingEntry(target: string): fs.Stats | null {
  try {
    return fs.statSync(target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

function removeQuietly(target: string): void {
  try {
    fs.rmSync(target, { recursive: true, force: true });
  } catch {
    // Nothing was created there (e.g. the destination's parent is a file).
  }
}

/**
 * What a failed export tells the person: a GraftError's own message, else the file-system error
 * in words with its code in brackets (never Node's raw "ENOENT: mkdir …" text).
 */
function failureMessage(err: unknown, target: string): string {
  if (err instanceof GraftError) return err.message;
  if (isDiskFull(err)) return DISK_FULL_MESSAGE;
  const code = (err as { code?: string }).code;
  const parent = path.dirname(target);
  switch (code) {
    case 'EACCES':
    case 'EROFS':
    case 'EPERM':
      return `Graft may not write to ${parent}: nothing was written (${code}).`;
    case 'ENOENT':
      return `The destination ${parent} does not exist any more (removed, or its disk unplugged): nothing was written (ENOENT).`;
    case 'ENOTDIR':
    case 'EEXIST':
      return `Part of the destination ${parent} is a file, not a folder: nothing was written (${code}).`;
    case undefined:
      return (err as Error).message;
    default:
      return `The export could not be written to ${parent}: nothing was written (${code}).`;
  }
}

/** The earlier export moved aside by replaceFolder, its own files only; left as it is where it is not recognisable. */
function removeReplacedQuietly(ctx: ServiceContext, old: string, recordedAs: string): void {
  try {
    removeExportFiles(old, replaceableFiles(ctx, old, recordedAs));
  } catch {
    // Not recognisably Graft's: nothing is removed.
  }
}

function folderSize(dir: string): number {
  return fs.readdirSync(dir).reduce((sum, name) => sum + fs.statSync(path.join(dir, name)).size, 0);
}

/**
 * Whether a run exports as TF.js, and why not. A fine-tuned run's is decided by the backbone it
 * was started from (`original`, null where it is gone): see fineTunedTfjsSupport.
 */
function tfjsSupportOf(
  run: RunArtefacts,
  original: BackboneSpec | null,
): { supported: boolean; reason: string | null } {
  if (run.config.technique === 'fine-tune') return fineTunedTfjsSupport(original);
  const support = tfjsExportSupport(run.backbone);
  return { supported: support.supported, reason: support.supported ? null : support.reason };
}

/**
 * Writes a finished run's model to a folder the user chose, then proves it: the written file is
 * loaded with its own runtime and compared with the app on the run's validation photos.
 */
export class ExportService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly experiments: ExperimentStore,
    private readonly images: ImageService,
    private readonly backbones: BackboneService,
  ) {}

  /**
   * Exports still 'running' at start-up were cut off by a crash: they are marked interrupted
   * and their half-written folders (always beside the target, never the target) are removed.
   */
  static markInterrupted(ctx: ServiceContext): number {
    const rows = ctx.db.prepare(`SELECT id, path FROM exports WHERE status = 'running'`).all() as {
      id: Id;
      path: string;
    }[];
    for (const row of rows) {
      const dir = path.dirname(row.path);
      const prefix = `${path.basename(row.path)}.graft-partial-`;
      const replaced = `${path.basename(row.path)}.graft-old-`;
      for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
        if (name.startsWith(prefix)) removeQuietly(path.join(dir, name));
        // Cut off while swapping folders (replaceFolder): the earlier export goes back in place
        // if the new one never arrived, and is removed if it did.
        else if (name.startsWith(replaced) && !fs.existsSync(row.path)) fs.renameSync(path.join(dir, name), row.path);
        else if (name.startsWith(replaced)) removeReplacedQuietly(ctx, path.join(dir, name), row.path);
      }
      ctx.db
        .prepare(
          `UPDATE exports SET status = 'interrupted', error = 'Graft stopped while this export was being written; nothing was left half-written.' WHERE id = ?`,
        )
        .run(row.id);
    }
    return rows.length;
  }

  async support(experimentId: Id): Promise<ExportSupport[]> {
    const run = await this.artefacts(experimentId);
    const tfjs = tfjsSupportOf(run, this.originalBackbone(run));
    return [
      { format: 'onnx', supported: true, reason: null },
      { format: 'tfjs', supported: tfjs.supported, reason: tfjs.reason },
    ];
  }

  list(experimentId: Id): ExportRecord[] {
    return (
      this.ctx.db.prepare(`${EXPORT_SQL} WHERE experiment_id = ? ORDER BY id DESC`).all(experimentId) as ExportRow[]
    ).map(toRecord);
  }

  get(exportId: Id): ExportRecord {
    const row = this.ctx.db.prepare(`${EXPORT_SQL} WHERE id = ?`).get(exportId) as ExportRow | undefined;
    if (!row) throw new GraftError('NOT_FOUND', `Export ${exportId} does not exist.`);
    return toRecord(row);
  }

  start(
    experimentId: Id,
    options: { format: ExportFormat; location: string; folderName: string; rawInput: boolean; overwrite: boolean },
  ): { exportId: Id; done: Promise<ExportRecord> } {
    if (options.format !== 'onnx' && options.format !== 'tfjs')
      throw new GraftError('BAD_REQUEST', 'Export as onnx or tfjs.');
    const run = this.experiments.get(experimentId);
    if (run.status !== 'finished') throw new GraftError('BAD_REQUEST', 'Only a finished run can be exported.');
    const target = path.join(options.location, checkFolderName(options.folderName));
    const existing = existingEntry(target);
    if (existing && !existing.isDirectory()) {
      throw new GraftError('CONFLICT', `${target} is a file, not a folder. Choose another folder name.`);
    }
    refuseProtectedDestination(this.ctx, target);
    const replaced = existing ? replaceableFiles(this.ctx, target) : [];
    if (replaced.length > 0 && !options.overwrite) {
      throw new GraftError(
        'CONFLICT',
        `${target} already exists and holds an earlier Graft export (${replaced.join(', ')}). Confirm to replace those files.`,
      );
    }
    const info = this.ctx.db
      .prepare(`INSERT INTO exports (experiment_id, format, path, status, created_at) VALUES (?, ?, ?, 'running', ?)`)
      .run(experimentId, options.format, target, this.ctx.now());
    const exportId = Number(info.lastInsertRowid);
    const done = this.run(exportId, experimentId, target, options).then(
      () => this.finish(exportId, experimentId),
      () => this.finish(exportId, experimentId),
    );
    return { exportId, done };
  }

  private finish(exportId: Id, experimentId: Id): ExportRecord {
    const record = this.get(exportId);
    this.ctx.events.emit('export:finished', { exportId, experimentId, status: record.status });
    return record;
  }

  /** The backbone a run was started from, or null where it is no longer in Graft (an imported one removed). */
  private originalBackbone(run: RunArtefacts): BackboneSpec | null {
    try {
      return this.backbones.spec(run.config.backboneId);
    } catch {
      return null;
    }
  }

  private async artefacts(experimentId: Id): Promise<RunArtefacts> {
    const dir = this.experiments.artefactDir(experimentId);
    if (!dir) throw new GraftError('BAD_REQUEST', 'This run has no trained model to export.');
    return readRunArtefacts(dir).catch(() => {
      throw new GraftError('NOT_FOUND', `The trained model of this run is missing from ${dir}.`);
    });
  }

  private async run(
    exportId: Id,
    experimentId: Id,
    target: string,
    options: { format: ExportFormat; rawInput: boolean; overwrite: boolean },
  ): Promise<void> {
    const temp = `${target}.graft-partial-${randomBytes(4).toString('hex')}`;
    try {
      const run = await this.artefacts(experimentId);
      const prepared = await this.backbones.prepareSpec(run.backbone);
      const classNames = run.snapshot.classes.map((c) => c.name);
      const modelFile = options.format === 'onnx' ? 'model.onnx' : 'model.json';
      /** The backbone as the written file holds it (TF.js: NHWC input; a fine-tuned run's, its Keras model tapped at a layer). */
      let written = run.backbone;
      await fs.promises.mkdir(path.dirname(temp), { recursive: true });
      if (options.format === 'onnx') {
        const composed = await composeClassifierOnnx({
          backbone: prepared,
          head: run.head,
          classNames,
          graftVersion: APP_VERSION,
          rawInput: options.rawInput,
          flipTestTime: run.config.flipTestTime,
        });
        await fs.promises.mkdir(temp);
        await fs.promises.writeFile(path.join(temp, modelFile), composed.bytes);
      } else {
        const refused = tfjsSupportOf(run, this.originalBackbone(run)).reason;
        if (refused) throw new GraftError('BAD_REQUEST', refused);
        const fineTuned =
          run.config.technique === 'fine-tune'
            ? await fineTunedTfjsBackbone(
                run,
                this.backbones.spec(run.config.backboneId),
                this.experiments.artefactDir(experimentId) ?? '',
                this.ctx.paths.root,
              )
            : null;
        const result = await exportTfjsClassifier({
          backbone: fineTuned?.spec ?? run.backbone,
          backboneArtifacts: fineTuned?.artifacts,
          head: run.head,
          classNames,
          graftVersion: APP_VERSION,
          outDir: temp,
          flipTestTime: run.config.flipTestTime,
        });
        if (!result.supported) throw new GraftError('BAD_REQUEST', result.reason);
        // A TF.js LayersModel takes channels-last images, whatever layout Graft's ONNX backbone takes.
        written = { ...(fineTuned?.spec ?? run.backbone), layout: 'NHWC' };
      }

      const data = await this.parityData(experimentId, prepared);
      const report =
        options.format === 'onnx'
          ? await checkOnnxParity(path.join(temp, modelFile), data, { rawInput: options.rawInput })
          : await checkTfjsParity(temp, { ...data, preprocessing: { ...data.preprocessing, layout: 'NHWC' } });
      const parity = toParityResult(report);

      await fs.promises.writeFile(path.join(temp, 'labels.json'), `${JSON.stringify(classNames, null, 2)}\n`);
      const ood = await readOodStatistics(this.experiments.artefactDir(experimentId) ?? '');
      const adaptation = await readAdaptationReport(this.experiments.artefactDir(experimentId));
      if (ood) await writeOodStatistics(temp, ood);
      const cardRun = this.experiments.get(experimentId);
      await fs.promises.writeFile(
        path.join(temp, 'MODEL_CARD.md'),
        modelCard({
          run: cardRun,
          backbone: written,
          format: options.format,
          modelFile,
          rawInput: options.rawInput && options.format === 'onnx',
          parity,
          date: this.ctx.now().slice(0, 10),
          ood,
          adaptation,
          targetFolders: adaptation ? targetFolderPaths(this.ctx.db, cardRun.projectId) : [],
        }),
      );
      writeExportMarker(temp, fs.readdirSync(temp), APP_VERSION);
      this.replaceFolder(temp, target, options.overwrite);
      const size = folderSize(target);
      this.ctx.db.transaction(() => {
        this.ctx.db
          .prepare('UPDATE exports SET status = ?, size_bytes = ?, parity = ?, error = ? WHERE id = ?')
          .run(
            report.ok ? 'passed' : 'failed',
            size,
            parity ? JSON.stringify(parity) : null,
            report.ok ? null : report.message,
            exportId,
          );
        // The folder now holds this export: the rows of those it replaced describe files that
        // are gone, so they leave the history (and Predict's model list) rather than linger.
        this.ctx.db.prepare('DELETE FROM exports WHERE path = ? AND id <> ?').run(target, exportId);
      })();
    } catch (err) {
      removeQuietly(temp);
      const message = failureMessage(err, target);
      recordDespiteFullDisk(this.ctx.db, () =>
        this.ctx.db.prepare(`UPDATE exports SET status = 'failed', error = ? WHERE id = ?`).run(message, exportId),
      );
      throw err;
    }
  }

  /**
   * Swaps the finished folder into place. The folder there is checked again (it may have changed
   * while exporting); of it only the files an earlier export wrote are removed, after the new one is in.
   */
  private replaceFolder(temp: string, target: string, overwrite: boolean): void {
    if (!fs.existsSync(target)) {
      fs.renameSync(temp, target);
      return;
    }
    const files = replaceableFiles(this.ctx, target);
    if (files.length > 0 && !overwrite) {
      throw new GraftError('CONFLICT', `${target} appeared while exporting; nothing was replaced.`);
    }
    const old = `${target}.graft-old-${randomBytes(4).toString('hex')}`;
    fs.renameSync(target, old);
    fs.renameSync(temp, target);
    removeExportFiles(old, files);
  }

  /**
   * The run's validation photos as the exported file must see them (the Embedder's centre
   * crops) and what the Predict view shows for them: ExperimentModel, the app's own prediction
   * path, mirror averaging included when the run asks for it.
   */
  private async parityData(experimentId: Id, prepared: PreparedBackbone): Promise<ParityData> {
    const photos = await this.validationPhotos(experimentId);
    const model = await ExperimentModel.open(this.experiments, this.backbones, experimentId);
    let predicted: Predictions;
    try {
      predicted = await model.predict(photos.map((bytes, i) => ({ name: String(i), read: async () => bytes })));
    } finally {
      await model.close();
    }
    const k = predicted.classNames.length;
    const readable = photos.flatMap((_, i) => (predicted.results[i].error === null ? [i] : []));
    const expected = new Float32Array(readable.length * k);
    readable.forEach((i, row) => {
      expected.set(predicted.probabilities.subarray(i * k, (i + 1) * k), row * k);
    });
    const crops = await appCrops(
      prepared,
      readable.map((i) => photos[i]),
    );
    return { crops, expected, preprocessing: prepared.preprocessing };
  }

  private async validationPhotos(experimentId: Id): Promise<Buffer[]> {
    const ids = this.experiments
      .predictions(experimentId, { split: 'val' })
      .map((p) => p.imageId)
      .filter((id): id is Id => id !== null)
      .slice(0, MAX_PARITY_PHOTOS);
    const photos: Buffer[] = [];
    for (const id of ids) {
      try {
        const bytes = await fs.promises.readFile(this.images.absolutePath(id));
        if (!isBmp(bytes)) photos.push(bytes);
      } catch {
        // A photo moved since training is simply not part of the check.
      }
    }
    if (photos.length === 0)
      throw new GraftError(
        'BAD_REQUEST',
        'None of the run’s validation photos can be read, so the export cannot be checked.',
      );
    return photos;
  }
}
