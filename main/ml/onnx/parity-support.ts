// Shared by the converter parity tests: TF.js models with generated weights, saved to the
// same artefacts Graft reads, and onnxruntime runs of the converted models.
import * as tf from '@tensorflow/tfjs';
import * as ort from '../onnxruntime';
import type { JsValue } from '../tfjs/js-literal';
import { type JsonObject, parseModelJson, type TfjsArtifacts, toModelArtifacts } from '../tfjs/tfjs-artifacts';

/** Deterministic uniform numbers in [lo, hi) (an LCG: tests must not depend on Math.random). */
export function seededUniform(seed: number): (lo: number, hi: number) => number {
  let s = seed >>> 0 || 1;
  return (lo, hi) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  };
}

export function seededArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const u = seededUniform(seed);
  return Float32Array.from({ length: n }, () => u(lo, hi));
}

/**
 * Gives every weight generated values. Batch-norm statistics get non-trivial values too
 * (fresh layers have mean 0 / variance 1, which would hide a wrong fold).
 */
export function randomiseWeights(model: tf.LayersModel, seed: number): void {
  let k = seed;
  for (const layer of model.layers) {
    const weights = layer.getWeights();
    if (weights.length === 0) continue;
    const names = layer.weights.map((w) => w.name);
    layer.setWeights(
      weights.map((w, i) => {
        k += 1;
        const variance = /moving_variance/.test(names[i]);
        const gamma = /gamma/.test(names[i]);
        const data = seededArray(w.size, k, variance ? 0.2 : gamma ? 0.5 : -0.5, variance ? 2 : gamma ? 1.5 : 0.5);
        return tf.tensor(data, w.shape);
      }),
    );
  }
}

/** The model as TF.js writes it (model.json topology + one weights group). */
export async function saveArtifacts(model: tf.LayersModel): Promise<TfjsArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!saved?.weightSpecs || !saved.weightData) throw new Error('The model was not saved');
  const weightData = saved.weightData;
  const buffers = Array.isArray(weightData) ? weightData : [weightData];
  const total = buffers.reduce((n, b) => n + b.byteLength, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const b of buffers) {
    bytes.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  const json = {
    modelTopology: saved.modelTopology as JsonObject,
    weightsManifest: [{ paths: ['weights.bin'], weights: saved.weightSpecs as unknown as JsValue }],
  };
  return { model: parseModelJson(json as unknown as JsValue), groupData: [bytes] };
}

/** Loads artefacts back into TF.js, through its own weight decoding (quantisation included). */
export async function loadLayersArtifacts(a: TfjsArtifacts): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tf.io.fromMemory(toModelArtifacts(a)));
}

export async function loadGraphArtifacts(a: TfjsArtifacts): Promise<tf.GraphModel> {
  return tf.loadGraphModel(tf.io.fromMemory(toModelArtifacts(a)));
}

export async function runOnnx(
  bytes: Uint8Array,
  feeds: Record<string, ort.Tensor>,
  outputs?: string[],
): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
  try {
    const result = await session.run(feeds, outputs ?? session.outputNames);
    const out: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(result)) out[k] = v.data as Float32Array;
    return out;
  } finally {
    await session.release();
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** NHWC batch data -> NCHW. */
export function toNchw(data: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++) out[((b * c + ch) * h + y) * w + x] = data[((b * h + y) * w + x) * c + ch];
  return out;
}
