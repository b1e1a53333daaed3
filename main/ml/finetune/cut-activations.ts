// The frozen trunk run once per photo and augmentation view: decoded and preprocessed as the
// embedder does (decodeCrop, writeInputRow; each view a transform of that crop), batched
// through onnxruntime, and gathered photo-major as trainTop reads them.
import * as ort from '../onnxruntime';
import { decodeCrop, inputDims, type Preprocessing, writeInputRow } from '../preprocess';
import { type AugmentView, applyView } from './augment-views';
import { FineTuneError } from './finetune-error';
import type { CutActivations } from './train-top';

/** What runs the trunk: an onnxruntime session on this thread or a WorkerInferenceSession. */
export interface TrunkSession {
  run(feeds: Record<string, ort.Tensor>): Promise<Record<string, { data: unknown; dims: readonly number[] }>>;
}

export interface TrunkModel {
  session: TrunkSession;
  inputName: string;
  /** The cut: channels-last [N, H, W, C] (trunkToOnnx gives it so). */
  outputName: string;
  /** How photos become the trunk's input; its layout must be the one the trunk was converted with. */
  preprocessing: Preprocessing;
}

/**
 * Cut activations of `photos` (their bytes, read on demand), `views` per photo in that order,
 * `batchSize` photos per inference. Labels are the caller's: `y` is left empty here.
 * Throws FineTuneError DATASET_INVALID naming the first photo that cannot be decoded, and
 * CANCELLED when `signal` is aborted (checked before every batch).
 */
export async function computeCutActivations(
  trunk: TrunkModel,
  photos: Array<{ read(): Promise<Buffer> }>,
  options: { views: readonly AugmentView[]; batchSize?: number; signal?: AbortSignal },
): Promise<Omit<CutActivations, 'y'>> {
  const { views } = options;
  const pre = trunk.preprocessing;
  const batchSize = options.batchSize ?? 16;
  if (views.length === 0) throw new FineTuneError('FINETUNE_INVALID', 'Cut activations need at least one view.');
  if (photos.length === 0)
    throw new FineTuneError('DATASET_INVALID', 'There are no photos to compute activations for.');
  const chunks: Float32Array[] = [];
  let shape: [number, number, number] | null = null;
  for (let start = 0; start < photos.length; start += batchSize) {
    if (options.signal?.aborted) throw new FineTuneError('CANCELLED', 'Fine-tuning was cancelled.');
    const batch = photos.slice(start, start + batchSize);
    const rows = batch.length * views.length;
    const input = new Float32Array(rows * pre.inputSize * pre.inputSize * 3);
    for (const [i, photo] of batch.entries()) {
      const crop = await decodeCrop(await photo.read(), pre).catch((err: Error) => {
        throw new FineTuneError('DATASET_INVALID', `Photo ${start + i + 1} cannot be read: ${err.message}`);
      });
      for (const [v, view] of views.entries()) {
        writeInputRow(applyView(crop, pre.inputSize, view), pre, input, i * views.length + v);
      }
    }
    const outputs = await trunk.session.run({
      [trunk.inputName]: new ort.Tensor('float32', input, inputDims(pre, rows)),
    });
    const out = outputs[trunk.outputName];
    if (out?.dims.length !== 4) {
      throw new FineTuneError('FINETUNE_INVALID', `The trunk has no 4-d output "${trunk.outputName}".`);
    }
    shape = [out.dims[1], out.dims[2], out.dims[3]];
    chunks.push(Float32Array.from(out.data as Float32Array));
  }
  const data = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.length;
  }
  return { shape: shape as [number, number, number], views: views.length, data };
}
