// Photos -> L2-normalised feature vectors with onnxruntime-node. Decoding of batch k+1
// (sharp, on libuv's thread pool) runs while batch k is inferred, cached vectors are never
// recomputed, and a photo that cannot be read becomes an error item instead of ending the run.
import os from 'node:os';
import type { PreparedBackbone } from '../backbones/backbone-spec';
import * as ort from '../onnxruntime';
import {
  asDecodeError,
  decodeCrop,
  flipHorizontally,
  inputDims,
  PREPROCESSING_VERSION,
  type View,
  writeInputRow,
} from '../preprocess';
import type { EmbeddingCache, EmbeddingKey } from './embedding-cache';
import { WorkerInferenceSession } from './worker-session';

export interface SessionOptions {
  /** Threads for one inference (default: defaultInferenceThreads()). */
  intraOpNumThreads?: number;
}

/**
 * Every core, up to 4. On the 2-vCPU machines we measure on, 2 threads embedded 55.7 photos/s
 * against 33.0 with 1 (default backbone, two views, 640×480 JPEGs, decoding included).
 */
export function defaultInferenceThreads(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

export interface EmbedItem {
  /** Caller's id, echoed in the result. */
  id: string;
  /** sha256 of the photo bytes, for the cache key. */
  contentHash: string;
  read(): Promise<Buffer>;
}

export type EmbedErrorCode = 'IMAGE_UNREADABLE' | 'IMAGE_NOT_FOUND' | 'EMBEDDING_INVALID';

export interface EmbedItemError {
  code: EmbedErrorCode;
  message: string;
}

export type EmbedItemResult =
  | { id: string; ok: true; vectors: Partial<Record<View, Float32Array>>; fromCache: boolean }
  | { id: string; ok: false; error: EmbedItemError };

export interface EmbedProgress {
  /** Items finished (embedded, cached or failed). */
  done: number;
  total: number;
  failed: number;
  fromCache: number;
  /** Photos decoded and embedded per second in this run (cache hits excluded). */
  imagesPerSecond: number;
  /** Seconds left at the current rate; null before the first batch. */
  etaSeconds: number | null;
}

export interface EmbedRunOptions {
  /** Views to embed per photo (default: the original only). */
  views?: View[];
  /** Photos per inference batch (default 16). */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (p: EmbedProgress) => void;
  cache?: EmbeddingCache;
}

export interface EmbedRunResult {
  /** One result per item, in input order. */
  results: EmbedItemResult[];
  embedded: number;
  fromCache: number;
  failed: number;
  seconds: number;
  imagesPerSecond: number;
}

export class EmbeddingCancelledError extends Error {
  readonly code = 'CANCELLED';
  constructor() {
    super('Embedding was cancelled.');
    this.name = 'EmbeddingCancelledError';
  }
}

function sessionOptions(options: SessionOptions): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: options.intraOpNumThreads ?? defaultInferenceThreads(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
}

/** A session on the calling thread: for short checks and for benchmarks' bare loops. */
export async function createInferenceSession(
  model: string | Uint8Array,
  options: SessionOptions = {},
): Promise<ort.InferenceSession> {
  return typeof model === 'string'
    ? ort.InferenceSession.create(model, sessionOptions(options))
    : ort.InferenceSession.create(model, sessionOptions(options));
}

/**
 * A session on its own worker thread: session.run holds its thread for the whole forward pass,
 * so long runs (embedding, batch prediction) keep the UI's thread free this way.
 */
export function createWorkerInferenceSession(
  model: string | Uint8Array,
  options: SessionOptions = {},
): Promise<WorkerInferenceSession> {
  return WorkerInferenceSession.create(model, sessionOptions(options));
}

interface PlannedItem {
  index: number;
  item: EmbedItem;
  cached: Partial<Record<View, Float32Array>>;
  missing: View[];
}

type PendingItem =
  | { planned: PlannedItem; decoding: Promise<Uint8Array | EmbedItemError> }
  | { planned: PlannedItem; error: EmbedItemError };

interface StartedBatch {
  submitted: Promise<void>;
  done: Promise<DecodedBatch>;
}

interface DecodedBatch {
  /** Items whose views are in `input`, with their first row. */
  rows: { planned: PlannedItem; firstRow: number }[];
  rowCount: number;
  input: Float32Array;
  failures: { planned: PlannedItem; error: EmbedItemError }[];
}

/**
 * The cache key, less the photo, of `backbone`'s vectors of `view` made by this code: the one
 * key every reader and writer of cached embeddings uses (the embedder itself, health's report).
 */
export function embeddingKeyOf(
  backbone: Pick<PreparedBackbone, 'embeddingModelId'>,
  view: View,
): Omit<EmbeddingKey, 'contentHash'> {
  return { backboneId: backbone.embeddingModelId, preprocessingVersion: PREPROCESSING_VERSION, view };
}

export class Embedder {
  private constructor(
    readonly backbone: PreparedBackbone,
    private readonly session: WorkerInferenceSession,
  ) {}

  static async open(backbone: PreparedBackbone, options: SessionOptions = {}): Promise<Embedder> {
    return new Embedder(backbone, await createWorkerInferenceSession(backbone.onnxPath, options));
  }

  async close(): Promise<void> {
    await this.session.release();
  }

  cacheKey(contentHash: string, view: View): EmbeddingKey {
    return { contentHash, ...embeddingKeyOf(this.backbone, view) };
  }

  async embed(items: EmbedItem[], options: EmbedRunOptions = {}): Promise<EmbedRunResult> {
    const views = options.views ?? ['original'];
    const batchSize = Math.max(1, options.batchSize ?? 16);
    const { cache, signal, onProgress } = options;
    const results: EmbedItemResult[] = new Array(items.length);
    const started = performance.now();
    let fromCache = 0;
    let failed = 0;
    let embedded = 0;
    let done = 0;

    const work: PlannedItem[] = [];
    items.forEach((item, index) => {
      const cached: Partial<Record<View, Float32Array>> = {};
      const missing: View[] = [];
      for (const view of views) {
        const hit = cache?.get(this.cacheKey(item.contentHash, view));
        if (hit && hit.length === this.backbone.featureDim) cached[view] = hit;
        else missing.push(view);
      }
      if (missing.length === 0) {
        results[index] = { id: item.id, ok: true, vectors: cached, fromCache: true };
        fromCache += 1;
        done += 1;
      } else {
        work.push({ index, item, cached, missing });
      }
    });

    const report = (): void => {
      if (!onProgress) return;
      const seconds = (performance.now() - started) / 1000;
      const rate = seconds > 0 ? embedded / seconds : 0;
      const left = items.length - done;
      onProgress({
        done,
        total: items.length,
        failed,
        fromCache,
        imagesPerSecond: rate,
        etaSeconds: embedded > 0 && rate > 0 ? left / rate : left === 0 ? 0 : null,
      });
    };
    report();

    const batches: PlannedItem[][] = [];
    for (let i = 0; i < work.length; i += batchSize) batches.push(work.slice(i, i + batchSize));
    let next: StartedBatch | null = batches.length > 0 ? this.startBatch(batches[0]) : null;
    for (let k = 0; k < batches.length; k++) {
      const decoded = await (next as StartedBatch).done;
      if (signal?.aborted) throw new EmbeddingCancelledError();
      // onnxruntime-node's run() holds the event loop, so the next batch's files are read and
      // its decodes handed to sharp (libuv's pool) before inference starts: they then overlap.
      next = k + 1 < batches.length ? this.startBatch(batches[k + 1]) : null;
      await next?.submitted;
      for (const f of decoded.failures) {
        results[f.planned.index] = { id: f.planned.item.id, ok: false, error: f.error };
        failed += 1;
        done += 1;
      }
      const features = await this.infer(decoded.input, decoded.rowCount);
      for (const { planned, firstRow } of decoded.rows) {
        const vectors = { ...planned.cached };
        let invalid = false;
        planned.missing.forEach((view, v) => {
          const vec = features[firstRow + v];
          if (!vec) {
            invalid = true;
            return;
          }
          vectors[view] = vec;
        });
        if (invalid) {
          results[planned.index] = {
            id: planned.item.id,
            ok: false,
            error: { code: 'EMBEDDING_INVALID', message: 'The backbone produced non-finite features for this photo.' },
          };
          failed += 1;
        } else {
          for (const view of planned.missing) {
            cache?.put(this.cacheKey(planned.item.contentHash, view), vectors[view] as Float32Array);
          }
          results[planned.index] = { id: planned.item.id, ok: true, vectors, fromCache: false };
          embedded += 1;
        }
        done += 1;
      }
      report();
      if (signal?.aborted) {
        await next?.done;
        throw new EmbeddingCancelledError();
      }
    }
    const seconds = (performance.now() - started) / 1000;
    return { results, embedded, fromCache, failed, seconds, imagesPerSecond: seconds > 0 ? embedded / seconds : 0 };
  }

  /** Reads the batch's files and queues their decodes; `submitted` settles once all decodes are queued. */
  private startBatch(batch: PlannedItem[]): StartedBatch {
    const pre = this.backbone.preprocessing;
    const queued = Promise.all(
      batch.map(async (planned): Promise<PendingItem> => {
        let bytes: Buffer;
        try {
          bytes = await planned.item.read();
        } catch (err) {
          return { planned, error: readError(err) };
        }
        const decoding = decodeCrop(bytes, pre).then(
          (rgb) => rgb,
          (err: unknown): EmbedItemError => ({ code: 'IMAGE_UNREADABLE', message: asDecodeError(err).message }),
        );
        return { planned, decoding };
      }),
    );
    return { submitted: queued.then(() => undefined), done: queued.then((items) => this.assemble(items)) };
  }

  private async assemble(pending: PendingItem[]): Promise<DecodedBatch> {
    const pre = this.backbone.preprocessing;
    const rowSize = pre.inputSize * pre.inputSize * 3;
    const crops: { planned: PlannedItem; crops: Uint8Array[] }[] = [];
    const failures: DecodedBatch['failures'] = [];
    for (const p of pending) {
      const outcome = 'decoding' in p ? await p.decoding : p.error;
      if (!(outcome instanceof Uint8Array)) {
        failures.push({ planned: p.planned, error: outcome });
        continue;
      }
      const views = p.planned.missing.map((v) => (v === 'hflip' ? flipHorizontally(outcome, pre.inputSize) : outcome));
      crops.push({ planned: p.planned, crops: views });
    }
    const rowCount = crops.reduce((n, d) => n + d.crops.length, 0);
    const input = new Float32Array(rowCount * rowSize);
    const rows: DecodedBatch['rows'] = [];
    let row = 0;
    for (const d of crops) {
      rows.push({ planned: d.planned, firstRow: row });
      for (const crop of d.crops) writeInputRow(crop, pre, input, row++);
    }
    return { rows, rowCount, input, failures };
  }

  /** One L2-normalised feature vector per row, or undefined where the output is not finite. */
  private async infer(input: Float32Array, rowCount: number): Promise<(Float32Array | undefined)[]> {
    const out: (Float32Array | undefined)[] = [];
    if (rowCount === 0) return out;
    const { preprocessing, maxBatch, inputName, tapOutputs, tapDims } = this.backbone;
    const step = maxBatch ?? rowCount;
    const rowSize = input.length / rowCount;
    for (let start = 0; start < rowCount; start += step) {
      const n = Math.min(step, rowCount - start);
      const chunk = input.subarray(start * rowSize, (start + n) * rowSize);
      const feeds = { [inputName]: new ort.Tensor('float32', chunk, inputDims(preprocessing, n)) };
      const result = await this.session.run(feeds, tapOutputs);
      const taps = tapOutputs.map((name, t) => {
        const tensor = result[name];
        const data = tensor.data as Float32Array;
        if (tensor.type !== 'float32' || data.length !== n * tapDims[t]) {
          throw new Error(`Backbone output ${name} has ${data.length} values, expected ${n}×${tapDims[t]}`);
        }
        return data;
      });
      for (let r = 0; r < n; r++) out.push(combineTaps(taps, tapDims, r));
      for (const name of Object.keys(result)) result[name].dispose();
    }
    return out;
  }
}

/** Per-tap L2-normalised slices of row r, concatenated and L2-normalised again; undefined if not finite. */
export function combineTaps(taps: Float32Array[], dims: number[], r: number): Float32Array | undefined {
  const vec = new Float32Array(dims.reduce((a, b) => a + b, 0));
  let at = 0;
  for (let t = 0; t < taps.length; t++) {
    const d = dims[t];
    const src = taps[t].subarray(r * d, (r + 1) * d);
    vec.set(src, at);
    if (!l2Normalise(vec.subarray(at, at + d))) return undefined;
    at += d;
  }
  if (taps.length > 1) l2Normalise(vec);
  return vec;
}

/** Scales v to unit length in place (a zero vector stays zero); false if v is not finite. */
export function l2Normalise(v: Float32Array): boolean {
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += v[i] * v[i];
  if (!Number.isFinite(sq)) return false;
  if (sq > 0) {
    const inv = 1 / Math.sqrt(sq);
    for (let i = 0; i < v.length; i++) v[i] *= inv;
  }
  return true;
}

function readError(err: unknown): EmbedItemError {
  const code = (err as { code?: string } | null)?.code;
  // VANISHED and DANGLING_LINK: the PhotoError codes of Graft's opener (imaging/regular-file).
  if (code === 'ENOENT' || code === 'VANISHED' || code === 'DANGLING_LINK') {
    return { code: 'IMAGE_NOT_FOUND', message: 'The photo file is missing.' };
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return { code: 'IMAGE_UNREADABLE', message: 'Permission denied: Graft may not read this photo.' };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'IMAGE_UNREADABLE', message: `The photo could not be read (${message}).` };
}
