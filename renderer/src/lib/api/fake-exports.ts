// The export and predict calls of the fake Graft: exports that are proven (or, for a folder
// name with "fail" in it, disproven), deterministic top-k predictions, and a batch job that
// streams the same events as the real one.

import type {
  BatchPredictSummary,
  EventName,
  Events,
  Id,
  ImageDetail,
  PredictModel,
} from '../../../../common/contract';
import { GraftError } from '../../../../common/errors';
import type {
  BackboneInfo,
  ExperimentDetail,
  ExportFormat,
  ExportRecord,
  ExportSupport,
  ParityResult,
  PredictionResult,
} from '../../../../common/training';
import { type FakeHandlers, fakeHash } from './fake-training';

type ExportCall =
  | 'exports:support'
  | 'exports:start'
  | 'exports:list'
  | 'predict:photos'
  | 'predict:images'
  | 'predict:batchStart'
  | 'predict:batchCancel';

/** A chosen folder on the fake disk. */
export interface FakeLocation {
  path: string;
  /** Names of its sub-folders. */
  folders: string[];
  /** Every file under it, sub-folders included. */
  files: { relPath: string; readable: boolean }[];
}

export interface FakeExportsDeps {
  experiment(experimentId: Id): ExperimentDetail;
  image(imageId: Id): ImageDetail;
  backbone(backboneId: string): BackboneInfo | undefined;
  location(token: string): FakeLocation;
  dispatch<E extends EventName>(event: E, payload: Events[E]): void;
  now(): string;
  newId(): Id;
  /** Milliseconds between two steps of an export or a batch prediction. */
  stepMs: number;
}

/** Backbones the fake treats as frozen graphs, which TF.js cannot re-export as a layers model. */
const GRAPH_MODEL_BACKBONES = new Set(['fake-mobilenet']);
const SIZE_BYTES: Record<ExportFormat, number> = { onnx: 9_437_184, tfjs: 10_485_760 };
const DEFAULT_TOP_K = 5;
const BATCH_PHOTOS_PER_SECOND = 25;
const UNREADABLE = 'The file is not an image Graft can read.';

/** JPEG, PNG, GIF, BMP and WebP start with these bytes. */
const IMAGE_SIGNATURES = ['\xff\xd8\xff', '\x89PNG', 'GIF8', 'BM', 'RIFF'];

/** Probabilities for `seed`, most likely first: one clear winner, the rest halving what is left. */
function topClasses(classNames: string[], seed: number, k: number): PredictionResult['top'] {
  const n = classNames.length;
  let left = 1;
  return Array.from({ length: Math.min(k, n) }, (_, rank) => {
    const share = rank === 0 ? 0.5 + (seed % 45) / 100 : rank === n - 1 ? left : left / 2;
    left -= share;
    return { className: classNames[(seed + rank) % n], probability: share };
  });
}

const seedOf = (text: string) => Number.parseInt(fakeHash(text).slice(0, 8), 16);

function parity(photos: number, passed: boolean): ParityResult {
  return passed
    ? {
        photos,
        agreement: 1,
        maxProbabilityDifference: 1.2e-7,
        passed: true,
        message: 'The exported model gives the same answers as Graft on every held-out photo.',
      }
    : {
        photos,
        agreement: 0.8,
        maxProbabilityDifference: 0.31,
        passed: false,
        message: 'The exported model disagrees with Graft on 20% of the held-out photos. Do not use it.',
      };
}

export function createFakeExports(deps: FakeExportsDeps) {
  let exports: ExportRecord[] = [];
  const runningBatches = new Set<Id>();
  const cancelledBatches = new Set<Id>();

  function support(experiment: ExperimentDetail): ExportSupport[] {
    if (experiment.status !== 'finished') {
      const reason = 'Only a finished run can be exported.';
      return [
        { format: 'onnx', supported: false, reason },
        { format: 'tfjs', supported: false, reason },
      ];
    }
    const graph = GRAPH_MODEL_BACKBONES.has(experiment.backboneId);
    const backbone = deps.backbone(experiment.backboneId)?.name ?? experiment.backboneId;
    // As the real service: a fine-tuned run exports as TF.js where its backbone is a LayersModel.
    const reason =
      experiment.technique === 'fine-tune'
        ? `${backbone} is not a TF.js LayersModel: Graft fine-tuned it as an ONNX graph, so this run exports as ONNX only (the ONNX file holds the whole network the run kept, backbone and head).`
        : `${backbone} is a frozen graph model, which TF.js cannot export. Use ONNX.`;
    return [
      { format: 'onnx', supported: true, reason: null },
      { format: 'tfjs', supported: !graph, reason: graph ? reason : null },
    ];
  }

  function exportRecord(exportId: Id): ExportRecord {
    const found = exports.find((e) => e.id === exportId);
    if (!found) throw new GraftError('NOT_FOUND', `Export ${exportId} does not exist.`);
    return found;
  }

  /** The classes a model answers with; only finished runs and proven, present exports predict. */
  function classNamesOf(model: PredictModel): string[] {
    let experimentId: Id;
    if (model.kind === 'export') {
      const record = exportRecord(model.exportId);
      if (record.status !== 'passed' || record.missing) {
        throw new GraftError('BAD_REQUEST', 'Only an export that passed its check and is still on disk can predict.');
      }
      experimentId = record.experimentId;
    } else {
      experimentId = model.experimentId;
    }
    const experiment = deps.experiment(experimentId);
    if (experiment.status !== 'finished') throw new GraftError('BAD_REQUEST', 'Only a finished run can predict.');
    return experiment.snapshot.classes.map((c) => c.name);
  }

  function checkFolderName(folderName: string): string {
    const clean = folderName.trim();
    if (!clean || clean === '.' || clean === '..' || /[/\\]/.test(clean)) {
      throw new GraftError('BAD_REQUEST', 'The folder name must be a name, not a path.');
    }
    return clean;
  }

  function runBatch(jobId: Id, files: { readable: boolean }[], csvPath: string): void {
    let predicted = 0;
    let unreadable = 0;
    const finish = (status: BatchPredictSummary['status']) => {
      runningBatches.delete(jobId);
      deps.dispatch('predict:finished', {
        jobId,
        status,
        // A stopped run leaves no CSV: it is written under a temporary name until the end.
        csvPath: status === 'finished' ? csvPath : null,
        predicted,
        unreadable,
        error: null,
      });
    };
    const step = (done: number) => {
      if (cancelledBatches.has(jobId)) return finish('cancelled');
      if (done > 0) {
        if (files[done - 1].readable) predicted++;
        else unreadable++;
      }
      deps.dispatch('predict:progress', {
        jobId,
        done,
        total: files.length,
        photosPerSecond: done === 0 ? 0 : BATCH_PHOTOS_PER_SECOND,
        etaSeconds: done === 0 ? null : (files.length - done) / BATCH_PHOTOS_PER_SECOND,
      });
      if (done === files.length) return finish('finished');
      setTimeout(() => step(done + 1), deps.stepMs);
    };
    setTimeout(() => step(0), deps.stepMs);
  }

  const handlers: FakeHandlers<ExportCall> = {
    'exports:support': ({ experimentId }) => support(deps.experiment(experimentId)),
    'exports:start': ({ experimentId, format, location, folderName, overwrite }) => {
      const experiment = deps.experiment(experimentId);
      const why = support(experiment).find((s) => s.format === format);
      if (!why?.supported) throw new GraftError('BAD_REQUEST', why?.reason ?? `Unknown format “${format}”.`);
      const name = checkFolderName(folderName);
      const where = deps.location(location);
      const path = `${where.path}/${name}`;
      const earlier = exports.filter((e) => e.path === path && !e.missing);
      if (!overwrite && (where.folders.includes(name) || earlier.length > 0)) {
        throw new GraftError(
          'CONFLICT',
          `${path} already exists and holds an earlier Graft export (model.onnx, labels.json, MODEL_CARD.md). Confirm to replace those files.`,
        );
      }
      const record: ExportRecord = {
        id: deps.newId(),
        experimentId,
        format,
        path,
        status: 'running',
        sizeBytes: null,
        parity: null,
        error: null,
        createdAt: deps.now(),
        missing: false,
      };
      exports.push(record);
      setTimeout(() => {
        const heldOut = (experiment.metrics?.val?.count ?? 0) + (experiment.metrics?.test?.count ?? 0);
        record.parity = parity(heldOut, !name.toLowerCase().includes('fail'));
        record.status = record.parity.passed ? 'passed' : 'failed';
        record.error = record.parity.passed ? null : record.parity.message;
        record.sizeBytes = SIZE_BYTES[format];
        // The folder now holds this export: the rows of those it replaced leave, as in ExportService.
        exports = exports.filter((e) => e === record || e.path !== path);
        deps.dispatch('export:finished', { exportId: record.id, experimentId, status: record.status });
      }, deps.stepMs);
      return { exportId: record.id };
    },
    'exports:list': ({ experimentId }) =>
      exports.filter((e) => e.experimentId === experimentId).sort((a, b) => b.id - a.id),

    'predict:photos': ({ model, photos, topK = DEFAULT_TOP_K }) => {
      const classNames = classNamesOf(model);
      return photos.map(({ name, dataBase64 }) => {
        const bytes = atob(dataBase64);
        if (!IMAGE_SIGNATURES.some((signature) => bytes.startsWith(signature))) {
          return { name, top: [], error: UNREADABLE };
        }
        return { name, top: topClasses(classNames, seedOf(`${name}\n${bytes}`), topK), error: null };
      });
    },
    'predict:images': ({ model, imageIds, topK = DEFAULT_TOP_K }) => {
      const classNames = classNamesOf(model);
      return imageIds.map((imageId) => {
        const image = deps.image(imageId);
        if (image.status !== 'ok') return { name: image.name, top: [], error: image.error ?? UNREADABLE };
        return {
          name: image.name,
          top: topClasses(classNames, seedOf(image.contentHash ?? image.name), topK),
          error: null,
        };
      });
    },
    'predict:batchStart': ({ model, source, destination }) => {
      classNamesOf(model);
      const from = deps.location(source);
      const to = deps.location(destination);
      if (runningBatches.size > 0) throw new GraftError('JOB_RUNNING', 'A batch prediction is already running.');
      const jobId = deps.newId();
      runningBatches.add(jobId);
      runBatch(jobId, from.files, `${to.path}/predictions.csv`);
      return { jobId };
    },
    'predict:batchCancel': ({ jobId }) => {
      const running = runningBatches.has(jobId);
      if (running) cancelledBatches.add(jobId);
      return { cancelling: running };
    },
  };

  return {
    handlers,
    deleteFiles(exportId: Id): void {
      exportRecord(exportId).missing = true;
    },
  };
}
