// An export is proven, not assumed: the written file is loaded from disk by its own runtime
// (onnxruntime-node for ONNX, TF.js for a LayersModel folder), run on the crops the app saw,
// and its probabilities compared with the app's. A file that cannot be loaded or run is a
// failed check with a message, never an exception.
import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ParityResult } from '../../../common/training';
import { createInferenceSession } from '../embedding/embedder';
import * as ort from '../onnxruntime';
import { inputDims, type Preprocessing, writeInputRow } from '../preprocess';
import { initTfjs } from '../tfjs-backend';
import { INPUT_NAME, OUTPUT_NAME, RAW_INPUT_NAME } from './compose-classifier-onnx';

export type ParityCode = 'PARITY_OK' | 'EXPORT_UNREADABLE' | 'EXPORT_RUN_FAILED' | 'EXPORT_MISMATCH';

export interface ParityReport {
  ok: boolean;
  code: ParityCode;
  runtime: 'onnxruntime' | 'tfjs';
  /** The file or folder checked. */
  target: string;
  rows: number;
  /** Fraction of rows whose most likely class is the app's; null when the model did not run. */
  top1Agreement: number | null;
  /** Largest |p_export - p_app| over all rows and classes; null when the model did not run. */
  maxAbsDiff: number | null;
  tolerance: number;
  seconds: number;
  message: string;
}

export interface ParityData {
  /** Centre crops as the app decodes them (RGB bytes, inputSize² × 3 each). */
  crops: Uint8Array[];
  /** The app's probabilities for those crops, rows × classCount. */
  expected: Float32Array;
  /** The backbone's preprocessing (size, normalisation, layout). */
  preprocessing: Preprocessing;
}

export interface ParityOptions {
  /** Largest accepted |Δp| (default 1e-4 for ONNX, 1e-3 for TF.js, whose kernels differ from onnxruntime's). */
  tolerance?: number;
  /** Rows per run (default 16; a model with a fixed batch size is run at that size). */
  batchSize?: number;
}

export const ONNX_TOLERANCE = 1e-4;
export const TFJS_TOLERANCE = 1e-3;

/** A report for a check that could not compare: the file did not load or did not run. */
function failure(base: Pick<ParityReport, 'runtime' | 'target' | 'rows' | 'tolerance'>, started: number) {
  return (code: ParityCode, message: string): ParityReport => ({
    ...base,
    ok: false,
    code,
    top1Agreement: null,
    maxAbsDiff: null,
    seconds: elapsed(started),
    message,
  });
}

/** Runs a composed ONNX export from its file and compares it with the app. */
export async function checkOnnxParity(
  file: string,
  data: ParityData,
  options: ParityOptions & { rawInput?: boolean } = {},
): Promise<ParityReport> {
  const started = performance.now();
  const tolerance = options.tolerance ?? ONNX_TOLERANCE;
  const base = { runtime: 'onnxruntime' as const, target: file, rows: data.crops.length, tolerance };
  const fail = failure(base, started);
  const inputName = options.rawInput ? RAW_INPUT_NAME : INPUT_NAME;
  let session: ort.InferenceSession;
  try {
    session = await createInferenceSession(file);
  } catch (err) {
    return fail(
      'EXPORT_UNREADABLE',
      `onnxruntime cannot load ${path.basename(file)}; the file is damaged or incomplete (${firstLine(err)}).`,
    );
  }
  try {
    if (!session.inputNames.includes(inputName) || !session.outputNames.includes(OUTPUT_NAME)) {
      return fail(
        'EXPORT_UNREADABLE',
        `${path.basename(file)} takes [${session.inputNames.join(', ')}] and gives [${session.outputNames.join(', ')}]; a Graft classifier takes "${inputName}" and gives "${OUTPUT_NAME}".`,
      );
    }
    const meta = session.inputMetadata.find((m) => m.name === inputName);
    const fixed = meta?.isTensor && typeof meta.shape[0] === 'number' && meta.shape[0] > 0 ? meta.shape[0] : null;
    const step = fixed ?? Math.max(1, options.batchSize ?? 16);
    const pre = data.preprocessing;
    const layout = options.rawInput ? 'NHWC' : pre.layout;
    const got: Float32Array[] = [];
    try {
      for (let start = 0; start < data.crops.length; start += step) {
        const chunk = data.crops.slice(start, start + step);
        const input = options.rawInput ? rawRows(chunk) : normalisedRows(chunk, pre);
        const dims = inputDims({ ...pre, layout }, chunk.length);
        const result = await session.run({ [inputName]: new ort.Tensor('float32', input, dims) }, [OUTPUT_NAME]);
        got.push(Float32Array.from(result[OUTPUT_NAME].data as Float32Array));
        result[OUTPUT_NAME].dispose();
      }
    } catch (err) {
      return fail(
        'EXPORT_RUN_FAILED',
        `onnxruntime loaded ${path.basename(file)} but could not run it (${firstLine(err)}).`,
      );
    }
    return compare(base, started, concatFloats(got), data.expected);
  } finally {
    await session.release();
  }
}

/** Loads a TF.js LayersModel export from its folder with TF.js itself and compares it with the app. */
export async function checkTfjsParity(
  dir: string,
  data: ParityData,
  options: ParityOptions = {},
): Promise<ParityReport> {
  const started = performance.now();
  const tolerance = options.tolerance ?? TFJS_TOLERANCE;
  const base = { runtime: 'tfjs' as const, target: dir, rows: data.crops.length, tolerance };
  const fail = failure(base, started);
  await initTfjs();
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory(await readLayersFolder(dir)));
  } catch (err) {
    return fail('EXPORT_UNREADABLE', `TF.js cannot load the model in ${dir}: ${firstLine(err)}`);
  }
  try {
    const pre = { ...data.preprocessing, layout: 'NHWC' as const };
    const step = Math.max(1, options.batchSize ?? 16);
    const got: Float32Array[] = [];
    try {
      for (let start = 0; start < data.crops.length; start += step) {
        const chunk = data.crops.slice(start, start + step);
        const out = tf.tidy(() => {
          const x = tf.tensor(normalisedRows(chunk, pre), inputDims(pre, chunk.length));
          return model.predict(x) as tf.Tensor;
        });
        got.push((await out.data()) as Float32Array);
        out.dispose();
      }
    } catch (err) {
      return fail('EXPORT_RUN_FAILED', `TF.js loaded ${dir} but could not run it: ${firstLine(err)}`);
    }
    return compare(base, started, concatFloats(got), data.expected);
  } finally {
    model.dispose();
  }
}

/**
 * A LayersModel folder as TF.js model artefacts: model.json and its shards, read from disk
 * (TF.js has no file:// loader without tfjs-node). Shards must stay inside the folder and
 * hold exactly the bytes the manifest describes.
 */
export async function readLayersFolder(dir: string): Promise<tf.io.ModelArtifacts> {
  const root = path.resolve(dir);
  const json = JSON.parse(await fs.readFile(path.join(root, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new Error('model.json has no modelTopology or weightsManifest');
  }
  const parts: Uint8Array[] = [];
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  for (const group of json.weightsManifest) {
    let groupBytes = 0;
    for (const p of group.paths) {
      const file = path.resolve(root, p);
      if (path.relative(root, file).startsWith('..')) throw new Error(`Shard ${p} points outside ${root}`);
      const bytes = new Uint8Array(await fs.readFile(file));
      parts.push(bytes);
      groupBytes += bytes.byteLength;
    }
    const expected = group.weights.reduce((n, w) => n + weightBytes(w), 0);
    if (groupBytes !== expected) {
      throw new Error(
        `the weight files [${group.paths.join(', ')}] hold ${groupBytes} bytes where model.json describes ${expected}; they are truncated or damaged`,
      );
    }
    weightSpecs.push(...group.weights);
  }
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    weightSpecs,
    weightData: concatBytes(parts).buffer as ArrayBuffer,
    userDefinedMetadata: json.userDefinedMetadata,
  };
}

function weightBytes(w: tf.io.WeightsManifestEntry): number {
  const count = w.shape.reduce((a, b) => a * b, 1);
  const q = w.quantization?.dtype;
  if (q) return count * (q === 'uint8' ? 1 : 2);
  return count * (w.dtype === 'bool' ? 1 : 4);
}

function compare(
  base: Pick<ParityReport, 'runtime' | 'target' | 'rows' | 'tolerance'>,
  started: number,
  got: Float32Array,
  expected: Float32Array,
): ParityReport {
  const rows = base.rows;
  const classCount = rows > 0 ? expected.length / rows : 0;
  const result = (code: ParityCode, message: string, top1: number | null, diff: number | null): ParityReport => ({
    ...base,
    ok: code === 'PARITY_OK',
    code,
    top1Agreement: top1,
    maxAbsDiff: diff,
    seconds: elapsed(started),
    message,
  });
  if (rows === 0 || !Number.isInteger(classCount) || classCount < 1) {
    return result('EXPORT_MISMATCH', 'No rows to compare: give the check at least one photo.', null, null);
  }
  if (got.length !== expected.length) {
    return result(
      'EXPORT_MISMATCH',
      `The export gives ${got.length / rows} probabilities per photo; the app gives ${classCount}.`,
      null,
      null,
    );
  }
  let maxDiff = 0;
  let agree = 0;
  for (let r = 0; r < rows; r++) {
    let a = 0;
    let b = 0;
    for (let c = 0; c < classCount; c++) {
      const i = r * classCount + c;
      const d = Math.abs(got[i] - expected[i]);
      // NaN compares false, so a non-finite output counts as the worst difference.
      maxDiff = d <= maxDiff ? maxDiff : Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
      if (got[i] > got[r * classCount + a]) a = c;
      if (expected[i] > expected[r * classCount + b]) b = c;
    }
    if (a === b) agree += 1;
  }
  const top1 = agree / rows;
  const summary = `${rows} photos: top-1 agreement ${(top1 * 100).toFixed(1)}%, max |Δp| ${maxDiff.toExponential(2)} (tolerance ${base.tolerance.toExponential(0)}).`;
  return maxDiff <= base.tolerance
    ? result('PARITY_OK', `The export matches the app on ${summary}`, top1, maxDiff)
    : result(
        'EXPORT_MISMATCH',
        `The export does not match the app on ${summary}`,
        top1,
        Number.isFinite(maxDiff) ? maxDiff : null,
      );
}

/** Crops as float NHWC 0-255 rows (the raw-input ONNX model's `image`). */
function rawRows(crops: Uint8Array[]): Float32Array {
  const row = crops[0]?.length ?? 0;
  const out = new Float32Array(crops.length * row);
  crops.forEach((c, i) => {
    out.set(c, i * row);
  });
  return out;
}

function normalisedRows(crops: Uint8Array[], pre: Preprocessing): Float32Array {
  const out = new Float32Array(crops.length * pre.inputSize * pre.inputSize * 3);
  crops.forEach((c, i) => {
    writeInputRow(c, pre, out, i);
  });
  return out;
}

function concatFloats(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}

function elapsed(started: number): number {
  return (performance.now() - started) / 1000;
}

/** The report as the contract records it (ExportRecord.parity); null when the model never gave finite numbers. */
export function toParityResult(report: ParityReport): ParityResult | null {
  if (report.top1Agreement === null || report.maxAbsDiff === null) return null;
  return {
    photos: report.rows,
    agreement: report.top1Agreement,
    maxProbabilityDifference: report.maxAbsDiff,
    passed: report.ok,
    message: report.message,
  };
}
