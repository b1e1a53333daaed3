import fs from 'node:fs/promises';
import type { PreparedBackbone } from '../main/ml/backbones/backbone-spec';
import { createInferenceSession } from '../main/ml/embedding/embedder';
import * as ort from '../main/ml/onnxruntime';
import { decodeCrop, flipHorizontally, inputDims, writeInputRow } from '../main/ml/preprocess';

export interface BareLoopResult {
  /** Photos per second for the whole loop: read, decode, crop, (mirror), infer. */
  photosPerSecond: number;
  /** Forwards per second of session.run alone, over the same tensors. */
  inferenceForwardsPerSecond: number;
}

/**
 * The reference a pipeline is measured against: the plainest loop doing the same work with the
 * same model file and session options — each batch read and decoded with sharp, then inferred,
 * one after the other, no cache, no overlap, no database.
 */
export async function bareOnnxLoop(
  prepared: PreparedBackbone,
  files: string[],
  options: { views: number; batch?: number },
): Promise<BareLoopResult> {
  const pre = prepared.preprocessing;
  const size = pre.inputSize * pre.inputSize * 3;
  const batch = prepared.maxBatch ? Math.min(options.batch ?? 16, prepared.maxBatch) : (options.batch ?? 16);
  const step = Math.max(1, Math.floor(batch / options.views));
  const session = await createInferenceSession(prepared.onnxPath);
  let photos = 0;
  let inferenceSeconds = 0;
  let forwards = 0;
  const t0 = performance.now();
  for (let start = 0; start < files.length; start += step) {
    const crops: Uint8Array[] = [];
    for (const file of files.slice(start, start + step)) {
      try {
        const crop = await decodeCrop(await fs.readFile(file), pre);
        crops.push(crop);
        if (options.views === 2) crops.push(flipHorizontally(crop, pre.inputSize));
        photos++;
      } catch {
        // Unreadable photos are skipped by the app too.
      }
    }
    if (crops.length === 0) continue;
    const data = new Float32Array(crops.length * size);
    crops.forEach((crop, i) => {
      writeInputRow(crop, pre, data, i);
    });
    const t = performance.now();
    await session.run(
      { [prepared.inputName]: new ort.Tensor('float32', data, inputDims(pre, crops.length)) },
      prepared.tapOutputs,
    );
    inferenceSeconds += (performance.now() - t) / 1000;
    forwards += crops.length;
  }
  const seconds = (performance.now() - t0) / 1000;
  await session.release();
  return { photosPerSecond: photos / seconds, inferenceForwardsPerSecond: forwards / inferenceSeconds };
}
