import fs from 'node:fs';
import path from 'node:path';
import { GraftError } from '../../common/errors';
import type { ExportFormat, PredictionResult } from '../../common/training';
import { readRegularFile } from '../imaging/regular-file';
import { ExportedOnnxModel } from '../services/exported-model';
import { walkPhotoFolder } from '../services/folder-walk';
import type { GraftApp } from '../services/graft-app';
import type { PhotoClassifier } from '../services/prediction';
import { PREDICTION_CSV_HEADER, predictionCsvRow } from '../services/prediction-csv';
import { ExperimentModel } from '../services/predictor';
import type { CliIo } from './terminal-text';

export async function exportCommand(
  app: GraftApp,
  io: CliIo,
  options: { experimentId: number; format: ExportFormat; out: string; rawInput: boolean; overwrite: boolean },
): Promise<boolean> {
  const target = path.resolve(options.out);
  const record = await app.exports.start(options.experimentId, {
    format: options.format,
    location: path.dirname(target),
    folderName: path.basename(target),
    rawInput: options.rawInput,
    overwrite: options.overwrite,
  }).done;
  if (record.parity) {
    io.out(
      `Parity on ${record.parity.photos} validation photos: top-1 agreement ${(record.parity.agreement * 100).toFixed(1)}%, max |Δp| ${record.parity.maxProbabilityDifference.toExponential(2)}`,
    );
  }
  if (record.status !== 'passed') {
    io.out(`Export FAILED: ${record.error ?? 'parity check failed'}`);
    return false;
  }
  io.out(
    `Exported ${options.format.toUpperCase()} to ${record.path} (${((record.sizeBytes ?? 0) / 1e6).toFixed(1)} MB): passed.`,
  );
  return true;
}

/** `--model` is an experiment id (a number) or the path of an exported ONNX file. */
async function openModel(app: GraftApp, model: string): Promise<PhotoClassifier> {
  if (/^\d+$/.test(model)) return ExperimentModel.open(app.experiments, app.backbones, Number(model));
  const file = fs.statSync(model, { throwIfNoEntry: false })?.isDirectory() ? path.join(model, 'model.onnx') : model;
  return ExportedOnnxModel.open(file);
}

/**
 * Throws EXPORT_DESTINATION_REFUSED when the CSV would overwrite something Graft keeps (its data folder:
 * the database, thumbnails, runs) or one of the photos being predicted.
 */
function refuseCsvDestination(app: GraftApp, csv: string, photos: { absPath: string }[]): void {
  const target = path.resolve(csv);
  const inData = path.relative(app.ctx.paths.root, target);
  if (!inData.startsWith('..') && !path.isAbsolute(inData)) {
    throw new GraftError(
      'EXPORT_DESTINATION_REFUSED',
      `${csv} lies inside Graft's data folder: write the CSV elsewhere.`,
    );
  }
  if (photos.some((p) => path.resolve(p.absPath) === target)) {
    throw new GraftError(
      'EXPORT_DESTINATION_REFUSED',
      `${csv} is one of the photos to predict: write the CSV elsewhere.`,
    );
  }
}

/** The flag a terminal row of a photo unlike the training photos ends with. */
const UNLIKE_TRAINING = 'UNLIKE TRAINING PHOTOS';

/**
 * The line after the predictions about the "unlike the training photos" check: how many photos
 * it flagged, or, when the model could not check (an ONNX file outputs class probabilities only,
 * not the backbone features the check compares; a run from before runs kept statistics), that
 * no photo was checked and why.
 */
export function unlikeTrainingSummary(results: PredictionResult[]): string {
  const scored = results.filter((r) => r.oodScore !== undefined && r.oodScore !== null);
  if (scored.length === 0) {
    return 'Not checked for photos unlike the training photos: an ONNX model file gives class probabilities only, not the features the check compares, and runs from before the check keep no statistics for it. Predict with --model RUN (a run id) to have such photos flagged.';
  }
  const unlike = scored.filter((r) => r.unlikeTraining).length;
  return `${unlike} of ${scored.length} photos are unlike the training photos${unlike > 0 ? ` (marked ${UNLIKE_TRAINING}; their answers are guesses outside what the model learnt)` : ''}.`;
}

export async function predictCommand(
  app: GraftApp,
  io: CliIo,
  options: { model: string; inputs: string[]; csv?: string; topK: number },
): Promise<number> {
  const files: { name: string; absPath: string }[] = [];
  for (const input of options.inputs) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(input, { throwIfNoEntry: false });
    } catch {
      // A link loop, a folder Graft may not look into…: that file gets its reason in its row
      // (readRegularFile says why), the other photos are still predicted.
    }
    if (!stat && !fs.lstatSync(input, { throwIfNoEntry: false })) {
      throw new GraftError('NOT_FOUND', `${input} does not exist.`);
    }
    if (stat?.isDirectory()) {
      for (const f of (await walkPhotoFolder(input)).files)
        files.push({ name: path.join(input, f.relPath), absPath: f.absPath });
    } else files.push({ name: input, absPath: input });
  }
  if (files.length === 0) throw new GraftError('BAD_REQUEST', 'No photos found to predict.');
  if (options.csv) refuseCsvDestination(app, options.csv, files);
  const classifier = await openModel(app, options.model);
  let failed = 0;
  try {
    const { results } = await classifier.predict(
      files.map((f) => ({ name: f.name, read: async () => (await readRegularFile(f.absPath)).buffer })),
      { topK: options.topK },
    );
    const rows = [PREDICTION_CSV_HEADER];
    for (const r of results) {
      if (r.error) failed++;
      rows.push(predictionCsvRow(r));
      if (!options.csv) {
        const unlike = r.unlikeTraining ? [UNLIKE_TRAINING] : [];
        io.out(
          r.error
            ? [r.name, 'ERROR', r.error]
            : [r.name, r.top[0].className, r.top[0].probability.toFixed(3), ...unlike],
        );
      }
    }
    io.out(unlikeTrainingSummary(results));
    if (options.csv) {
      fs.writeFileSync(`${options.csv}.partial`, `${rows.join('\n')}\n`);
      fs.renameSync(`${options.csv}.partial`, options.csv);
      io.out(`Wrote ${results.length} predictions to ${options.csv}${failed ? ` (${failed} unreadable)` : ''}.`);
    }
  } finally {
    await classifier.close();
  }
  return failed > 0 ? 1 : 0;
}
