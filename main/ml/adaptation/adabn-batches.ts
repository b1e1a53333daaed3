// Feeds photos to AdaBN's estimation graphs: decoded and preprocessed as the embedder does, in
// batches of nearly equal size, on an onnxruntime session on its own thread (so a long pass
// never holds the app's thread), decoding the next batch while the current one runs.
import { createWorkerInferenceSession } from '../embedding/embedder';
import * as ort from '../onnxruntime';
import { decodeCrop, inputDims, type Preprocessing, writeInputRow } from '../preprocess';
import type { BatchRunner, RunBatch } from './adabn';

/**
 * Photos per estimation batch. BN's batch statistics need several photos; 16 keeps a
 * MobileNetV2-140 estimation graph at 224 px (each convolution output held with its centred
 * copy) within a few hundred MB.
 */
export const ADABN_BATCH = 16;

export interface AdaBnPhoto {
  read(): Promise<Buffer>;
}

/**
 * A RunBatch over `photos` for a model whose input `inputName` takes `pre`-preprocessed photos.
 * `maxBatch` is the model's own limit (null: none). Photos that cannot be read or decoded are
 * skipped and counted in `skipped`. An aborted `signal` rejects the next batch with its reason.
 */
export function photoBatches(
  photos: AdaBnPhoto[],
  pre: Preprocessing,
  inputName: string,
  maxBatch: number | null,
  signal?: AbortSignal,
): { run: RunBatch; skipped: () => number } {
  let skipped = 0;
  const limit = Math.min(ADABN_BATCH, maxBatch ?? ADABN_BATCH);
  const batches = Math.max(1, Math.ceil(photos.length / limit));
  const size = Math.ceil(photos.length / batches);
  const decode = async (start: number): Promise<Uint8Array[]> => {
    const crops = await Promise.all(
      photos.slice(start, start + size).map(async (p) => {
        try {
          return await decodeCrop(await p.read(), pre);
        } catch {
          skipped += 1;
          return null;
        }
      }),
    );
    return crops.filter((c): c is Uint8Array => c !== null);
  };
  const run: RunBatch = (bytes, outputs): BatchRunner => {
    const session = createWorkerInferenceSession(bytes);
    let start = 0;
    let pending: Promise<Uint8Array[]> | null = photos.length > 0 ? decode(0) : null;
    return {
      async next() {
        while (pending) {
          signal?.throwIfAborted();
          const crops = await pending;
          start += size;
          pending = start < photos.length ? decode(start) : null;
          if (crops.length === 0) continue;
          const input = new Float32Array(inputDims(pre, crops.length).reduce((a, b) => a * b, 1));
          crops.forEach((crop, i) => {
            writeInputRow(crop, pre, input, i);
          });
          const result = await (await session).run(
            { [inputName]: new ort.Tensor('float32', input, inputDims(pre, crops.length)) },
            outputs,
          );
          return {
            count: crops.length,
            outputs: Object.fromEntries(outputs.map((o) => [o, result[o].data as Float32Array])),
          };
        }
        return null;
      },
      async close() {
        await pending?.catch(() => {});
        await (await session).release();
      },
    };
  };
  return { run, skipped: () => skipped };
}
