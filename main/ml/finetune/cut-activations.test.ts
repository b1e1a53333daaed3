import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { createInferenceSession } from '../embedding/embedder';
import { saveArtifacts, seededArray } from '../onnx/parity-support';
import { decodeCrop, flipHorizontally, type Preprocessing, writeInputRow } from '../preprocess';
import { useWasmBackend } from '../tfjs-backend';
import { MIRROR_VIEW, ORIGINAL_VIEW } from './augment-views';
import { computeCutActivations } from './cut-activations';
import { FineTuneError } from './finetune-error';
import { splitAtTopBlocks, trunkToOnnx } from './layers-top';
import { MINI_MOBILENET_SIZE, miniMobileNetV2 } from './mobilenet-v2-fixture';

const PRE: Preprocessing = {
  inputSize: MINI_MOBILENET_SIZE,
  resizeShortSide: 36,
  layout: 'NHWC',
  normalisation: { kind: 'range', min: 0, max: 1 },
};

/** A JPEG of seeded noise, w x h. */
async function photo(seed: number, w: number, h: number): Promise<Buffer> {
  const raw = Buffer.from(seededArray(w * h * 3, seed, 0, 255).map(Math.floor));
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .jpeg()
    .toBuffer();
}

beforeAll(async () => {
  expect(await useWasmBackend()).toBe(true);
});

describe('computeCutActivations', () => {
  it('gives, photo-major, what the tfjs trunk computes on each decoded crop and its mirror image', async () => {
    const model = miniMobileNetV2(7);
    const artifacts = await saveArtifacts(model);
    const split = splitAtTopBlocks(model, { tapLayer: 'out_relu', blockCount: 2 });
    const onnx = trunkToOnnx(artifacts, split, 'NHWC');
    const session = await createInferenceSession(onnx.bytes);
    const bytes = await Promise.all([photo(1, 48, 40), photo(2, 40, 60), photo(3, 36, 36)]);
    const cut = await computeCutActivations(
      { session, inputName: onnx.inputName, outputName: onnx.outputName, preprocessing: PRE },
      bytes.map((b) => ({ read: async () => b })),
      { views: [ORIGINAL_VIEW, MIRROR_VIEW], batchSize: 2 },
    );
    await session.release();
    expect(cut.shape).toEqual(split.cutShape);
    expect(cut.views).toBe(2);

    const rows = new Float32Array(6 * MINI_MOBILENET_SIZE ** 2 * 3);
    for (const [i, b] of bytes.entries()) {
      const crop = await decodeCrop(b, PRE);
      writeInputRow(crop, PRE, rows, 2 * i);
      writeInputRow(flipHorizontally(crop, PRE.inputSize), PRE, rows, 2 * i + 1);
    }
    const expected = tf.tidy(() =>
      (
        split.trunk.predict(tf.tensor4d(rows, [6, MINI_MOBILENET_SIZE, MINI_MOBILENET_SIZE, 3])) as tf.Tensor
      ).dataSync(),
    );
    expect(cut.data.length).toBe(expected.length);
    let worst = 0;
    cut.data.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(v - expected[i]) / Math.max(1, Math.abs(expected[i])));
    });
    expect(worst).toBeLessThanOrEqual(1e-4);
    // The mirror view is a different activation, not a copy of the original.
    const size = split.cutShape.reduce((a, b) => a * b, 1);
    expect(cut.data.subarray(0, size)).not.toEqual(cut.data.subarray(size, 2 * size));
  });

  it('names the photo it cannot read, and stops when cancelled', async () => {
    const model = miniMobileNetV2(8);
    const split = splitAtTopBlocks(model, { tapLayer: 'out_relu', blockCount: 1 });
    const onnx = trunkToOnnx(await saveArtifacts(model), split, 'NHWC');
    const session = await createInferenceSession(onnx.bytes);
    const trunk = { session, inputName: onnx.inputName, outputName: onnx.outputName, preprocessing: PRE };
    const good = await photo(4, 40, 40);
    const failure = async (photos: Array<{ read(): Promise<Buffer> }>, signal?: AbortSignal) =>
      computeCutActivations(trunk, photos, { views: [ORIGINAL_VIEW], signal }).then(
        () => 'no error',
        (err) => (err instanceof FineTuneError ? `${err.code}: ${err.message}` : String(err)),
      );
    const notAPhoto = { read: async () => Buffer.from('not a photo') };
    expect(await failure([{ read: async () => good }, notAPhoto])).toMatch(/^DATASET_INVALID: Photo 2 cannot be read/);
    expect(await failure([])).toMatch(/^DATASET_INVALID/);
    const controller = new AbortController();
    controller.abort();
    expect(await failure([{ read: async () => good }], controller.signal)).toMatch(/^CANCELLED/);
    await session.release();
  });
});
