import path from 'node:path';
import { GraftError } from '../../common/errors';
import { inputSizeProblem } from '../ml/backbones/input-size';
import { createWorkerInferenceSession } from '../ml/embedding/embedder';
import type { WorkerInferenceSession } from '../ml/embedding/worker-session';
import type { InputDescription } from '../ml/export/export-metadata';
import { oversizedTensorProblem } from '../ml/onnx/intermediate-size';
import { decodeModel } from '../ml/onnx/onnx-proto';
import * as ort from '../ml/onnxruntime';
import { decodeCrop, type Preprocessing, writeInputRow } from '../ml/preprocess';
import { ModelFileRefused, readFileInside } from '../ml/tfjs/confined-file';
import type { PhotoClassifier } from './prediction';
import { type PhotoSource, type Predictions, topK } from './predictor';

/**
 * A Graft-exported ONNX file, run as any user of the file would: preprocessing from its own
 * metadata, then onnxruntime-node. Used to predict with an export rather than the app's model.
 */
/** Photos per onnxruntime call when the model accepts any batch size. */
const BATCH = 16;

export class ExportedOnnxModel implements PhotoClassifier {
  private constructor(
    readonly classNames: string[],
    readonly input: InputDescription,
    private readonly session: WorkerInferenceSession,
  ) {}

  static async open(file: string): Promise<ExportedOnnxModel> {
    // A regular file inside its own folder, opened without blocking: a FIFO or device named
    // like a model would otherwise hang the read or fill memory.
    const bytes = await readFileInside(path.dirname(file), path.basename(file)).catch((err: unknown) => {
      if (err instanceof ModelFileRefused && err.reason !== 'MISSING')
        throw new GraftError('MODEL_FILE_REFUSED', err.message);
      throw new GraftError('NOT_FOUND', `The exported model ${file} is missing.`);
    });
    let meta: Map<string, string>;
    try {
      meta = new Map((decodeModel(new Uint8Array(bytes)).metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
    } catch {
      throw new GraftError('BAD_REQUEST', `${file} is not a readable ONNX file (damaged or incomplete).`);
    }
    const names = meta.get('graft.class_names');
    const input = meta.get('graft.input');
    if (!names || !input)
      throw new GraftError('BAD_REQUEST', `${file} was not exported by Graft: it does not say its classes and input.`);
    const description = JSON.parse(input) as InputDescription;
    const problem = inputSizeProblem(path.basename(file), description.resize?.size, description.resize?.size);
    if (problem) throw new GraftError('MODEL_INPUT_TOO_LARGE', problem);
    const oversized = oversizedTensorProblem(new Uint8Array(bytes), path.basename(file));
    if (oversized) throw new GraftError('MODEL_INPUT_TOO_LARGE', oversized);
    const session = await createWorkerInferenceSession(new Uint8Array(bytes)).catch((err: Error) => {
      throw new GraftError('BAD_REQUEST', `onnxruntime cannot load ${file}: ${err.message.split('\n')[0]}`);
    });
    return new ExportedOnnxModel(JSON.parse(names) as string[], description, session);
  }

  get preprocessing(): Preprocessing {
    const { resize, layout, normalisation } = this.input;
    return {
      inputSize: resize.size,
      resizeShortSide: resize.shortSide,
      layout,
      normalisation: normalisation ?? { kind: 'range', min: 0, max: 255 },
    };
  }

  async predict(photos: PhotoSource[], options: { topK?: number } = {}): Promise<Predictions> {
    const pre = this.preprocessing;
    const k = this.classNames.length;
    const rowSize = pre.inputSize * pre.inputSize * 3;
    const fixedBatch = typeof this.input.shape[0] === 'number' ? this.input.shape[0] : null;
    const probabilities = new Float32Array(photos.length * k).fill(Number.NaN);
    const crops = await Promise.allSettled(photos.map(async (p) => decodeCrop(await p.read(), pre)));
    const readable = crops.flatMap((c, i) => (c.status === 'fulfilled' ? [{ i, crop: c.value }] : []));
    const step = fixedBatch ?? BATCH;
    for (let start = 0; start < readable.length; start += step) {
      const rows = readable.slice(start, start + step);
      const n = fixedBatch ?? rows.length;
      const data = new Float32Array(n * rowSize);
      rows.forEach((r, row) => {
        writeInputRow(r.crop, pre, data, row);
      });
      const dims = [n, ...this.input.shape.slice(1).map(Number)];
      const out = await this.session.run({ [this.input.name]: new ort.Tensor('float32', data, dims) });
      const p = out[this.session.outputNames[0]].data as Float32Array;
      rows.forEach((r, row) => {
        probabilities.set(p.subarray(row * k, (row + 1) * k), r.i * k);
      });
    }
    const results = photos.map((photo, i) => {
      const crop = crops[i];
      if (crop.status === 'rejected') return { name: photo.name, top: [], error: (crop.reason as Error).message };
      return {
        name: photo.name,
        top: topK(probabilities.subarray(i * k, (i + 1) * k), this.classNames, options.topK ?? k),
        error: null,
      };
    });
    return { results, probabilities, classNames: this.classNames };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
