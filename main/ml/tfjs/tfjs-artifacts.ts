// TF.js model files (model.json + weight shards), read from a folder or from nsfwjs's UMD
// bundles, and their weights decoded to plain arrays, including the uint8/uint16/float16
// quantisation the TF.js converter writes.

import fs from 'node:fs/promises';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { MAX_MODEL_FILE_BYTES, ModelFileRefused, readFileInside } from './confined-file';
import { extractUmdExports, type JsValue } from './js-literal';

export type WeightDtype = 'float32' | 'int32' | 'bool';

export interface WeightQuantization {
  dtype: 'uint8' | 'uint16' | 'float16';
  min?: number;
  scale?: number;
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: WeightDtype;
  quantization?: WeightQuantization;
}

export interface WeightsGroup {
  paths: string[];
  weights: WeightSpec[];
}

export type JsonObject = { [key: string]: JsValue };

export interface TfjsModelJson {
  format?: string;
  modelTopology: JsonObject;
  weightsManifest: WeightsGroup[];
}

export interface TfjsArtifacts {
  model: TfjsModelJson;
  /** One buffer per weights group: its shards concatenated. */
  groupData: Uint8Array[];
}

export interface DecodedWeight {
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

export class TfjsModelError extends Error {}

export function isJsonObject(v: JsValue): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks the parts of model.json Graft relies on; anything else stays untyped JSON. */
export function parseModelJson(value: JsValue): TfjsModelJson {
  if (!isJsonObject(value)) throw new TfjsModelError('model.json is not a JSON object');
  const topology = value.modelTopology;
  if (!isJsonObject(topology)) throw new TfjsModelError('model.json has no modelTopology');
  const manifest = value.weightsManifest;
  if (!Array.isArray(manifest)) throw new TfjsModelError('model.json has no weightsManifest');
  const groups = manifest.map((g, gi): WeightsGroup => {
    if (!isJsonObject(g) || !Array.isArray(g.paths) || !Array.isArray(g.weights)) {
      throw new TfjsModelError(`weightsManifest[${gi}] needs "paths" and "weights"`);
    }
    const paths = g.paths.map((p) => {
      if (typeof p !== 'string') throw new TfjsModelError(`weightsManifest[${gi}] has a non-text path`);
      return p;
    });
    return { paths, weights: g.weights.map((w) => parseWeightSpec(w)) };
  });
  const format = typeof value.format === 'string' ? value.format : undefined;
  return { format, modelTopology: topology, weightsManifest: groups };
}

function parseWeightSpec(w: JsValue): WeightSpec {
  if (!isJsonObject(w) || typeof w.name !== 'string' || !Array.isArray(w.shape)) {
    throw new TfjsModelError('A weight entry needs a name and a shape');
  }
  const name = w.name;
  const shape = w.shape.map((d) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0)
      throw new TfjsModelError(`Weight ${name} has a bad shape`);
    return d;
  });
  const dtype = w.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') {
    throw new TfjsModelError(`Weight ${name} has dtype ${String(dtype)}, which Graft cannot read`);
  }
  const spec: WeightSpec = { name, shape, dtype };
  const q = w.quantization;
  if (q !== undefined) {
    if (!isJsonObject(q) || (q.dtype !== 'uint8' && q.dtype !== 'uint16' && q.dtype !== 'float16')) {
      throw new TfjsModelError(`Weight ${name} has an unknown quantization`);
    }
    spec.quantization = {
      dtype: q.dtype,
      min: typeof q.min === 'number' ? q.min : undefined,
      scale: typeof q.scale === 'number' ? q.scale : undefined,
    };
  }
  return spec;
}

/** Bytes one value of a weight takes in its shard (its quantised size where it is quantised). */
export function bytesPerValue(spec: WeightSpec): number {
  if (spec.quantization) return spec.quantization.dtype === 'uint8' ? 1 : 2;
  return spec.dtype === 'bool' ? 1 : 4;
}

/** The bytes a weights group's shards hold when they hold exactly what its weight specs declare. */
function declaredBytes(group: WeightsGroup): number {
  return group.weights.reduce((n, spec) => n + spec.shape.reduce((a, b) => a * b, 1) * bytesPerValue(spec), 0);
}

/**
 * Most shards a model.json may list: the TF.js converter cuts 4 MiB shards, so a model at the
 * 2 GiB file limit has 512; twice that leaves room for smaller shards.
 */
export const MAX_SHARDS = 1024;

/** Every weight of every group, by name: its spec and its bytes as the shards hold them (views, not copies). */
export function weightBytes(artifacts: TfjsArtifacts): Map<string, { spec: WeightSpec; bytes: Uint8Array }> {
  const out = new Map<string, { spec: WeightSpec; bytes: Uint8Array }>();
  artifacts.model.weightsManifest.forEach((group, gi) => {
    let at = 0;
    for (const spec of group.weights) {
      const size = spec.shape.reduce((a, b) => a * b, 1) * bytesPerValue(spec);
      out.set(spec.name, { spec, bytes: artifacts.groupData[gi].subarray(at, at + size) });
      at += size;
    }
  });
  return out;
}

/** Every weight of every group, by name, as float32 or int32. */
export function decodeWeights(artifacts: TfjsArtifacts): Map<string, DecodedWeight> {
  const out = new Map<string, DecodedWeight>();
  artifacts.model.weightsManifest.forEach((group, gi) => {
    const bytes = artifacts.groupData[gi];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let offset = 0;
    for (const spec of group.weights) {
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const size = count * bytesPerValue(spec);
      if (offset + size > bytes.byteLength) {
        throw new TfjsModelError(`Weight data ends before weight ${spec.name}: the shards are incomplete`);
      }
      out.set(spec.name, decodeOne(spec, view, offset, count));
      offset += size;
    }
  });
  return out;
}

function decodeOne(spec: WeightSpec, view: DataView, offset: number, count: number): DecodedWeight {
  const q = spec.quantization;
  const isInt = spec.dtype === 'int32' || spec.dtype === 'bool';
  const data = isInt ? new Int32Array(count) : new Float32Array(count);
  if (q?.dtype === 'float16') {
    for (let i = 0; i < count; i++) data[i] = halfToFloat(view.getUint16(offset + i * 2, true));
  } else if (q) {
    const scale = q.scale ?? 1;
    const min = q.min ?? 0;
    for (let i = 0; i < count; i++) {
      const v = q.dtype === 'uint8' ? view.getUint8(offset + i) : view.getUint16(offset + i * 2, true);
      data[i] = isInt ? Math.round(v * scale + min) : v * scale + min;
    }
  } else if (spec.dtype === 'bool') {
    for (let i = 0; i < count; i++) data[i] = view.getUint8(offset + i);
  } else if (spec.dtype === 'int32') {
    for (let i = 0; i < count; i++) data[i] = view.getInt32(offset + i * 4, true);
  } else {
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(offset + i * 4, true);
  }
  return { shape: spec.shape, dtype: isInt ? 'int32' : 'float32', data };
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** The parts, end to end, in one new array. */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** A manifest path is URL-encoded (TF.js writes spaces as %20). */
function shardName(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    throw new TfjsModelError(`Weight shard path ${p} is not a valid URL path`);
  }
}

/**
 * A TF.js model folder: model.json beside its shard files. Every file read must really be a
 * regular file inside the folder (links are resolved first; see readFileInside). Each shard is
 * named once in the whole manifest, at most MAX_SHARDS of them, and a group's shards may hold no
 * more bytes than its weight specs declare (shape × bytes per value), which together may be at
 * most `maxBytes` (default MAX_MODEL_FILE_BYTES): a manifest cannot make Graft read or hold more
 * than the weights it describes. Fewer bytes than declared are reported by decodeWeights.
 * @throws ModelFileRefused for a file outside the folder, not regular, missing or too large;
 *   TfjsModelError for a model.json Graft cannot use (a repeated shard, too many shards, weights
 *   declared past `maxBytes`, shards larger than declared)
 */
export async function readTfjsFolder(
  dir: string,
  modelFile = 'model.json',
  maxBytes = MAX_MODEL_FILE_BYTES,
): Promise<TfjsArtifacts> {
  const root = path.resolve(dir);
  const text = Buffer.from(await readFileInside(root, modelFile, maxBytes)).toString('utf8');
  let json: JsValue;
  try {
    json = JSON.parse(text) as JsValue;
  } catch (err) {
    throw new TfjsModelError(`${modelFile} is not valid JSON: ${(err as Error).message}`);
  }
  const model = parseModelJson(json);
  const names = model.weightsManifest.flatMap((g) => g.paths.map((p) => path.normalize(shardName(p))));
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated !== undefined)
    throw new TfjsModelError(`${modelFile} lists the weight shard ${repeated} more than once`);
  if (names.length > MAX_SHARDS) {
    throw new TfjsModelError(`${modelFile} lists ${names.length} weight shards; Graft reads at most ${MAX_SHARDS}`);
  }
  const declared = model.weightsManifest.map(declaredBytes);
  if (declared.reduce((a, b) => a + b, 0) > maxBytes) {
    throw new TfjsModelError(`${modelFile} declares more weights than the ${maxBytes} bytes a model may hold`);
  }
  const groupData: Uint8Array[] = [];
  for (const [gi, group] of model.weightsManifest.entries()) {
    const parts: Uint8Array[] = [];
    let read = 0;
    for (const p of group.paths) {
      const part = await readFileInside(root, shardName(p), declared[gi] - read).catch((err: unknown) => {
        if (!(err instanceof ModelFileRefused && err.reason === 'TOO_LARGE')) throw err;
        throw new TfjsModelError(
          `The weight shards of ${modelFile} hold more than the ${declared[gi]} bytes its weightsManifest[${gi}] declares`,
        );
      });
      read += part.byteLength;
      parts.push(part);
    }
    groupData.push(concatBytes(parts));
  }
  return { model, groupData };
}

/**
 * nsfwjs's bundled models: model.min.js exports the model.json object, and each shard's
 * .min.js exports that shard's bytes as base64, named like the manifest path plus ".min.js".
 */
export async function readUmdModel(modelJsPath: string): Promise<TfjsArtifacts> {
  const dir = path.dirname(modelJsPath);
  const model = parseModelJson(extractUmdExports(await fs.readFile(modelJsPath, 'utf8')));
  const groupData: Uint8Array[] = [];
  for (const group of model.weightsManifest) {
    const parts: Uint8Array[] = [];
    for (const p of group.paths) {
      const shard = extractUmdExports(await fs.readFile(path.join(dir, `${path.basename(p)}.min.js`), 'utf8'));
      if (typeof shard !== 'string') throw new TfjsModelError(`Shard ${p} does not hold base64 text`);
      parts.push(new Uint8Array(Buffer.from(shard, 'base64')));
    }
    groupData.push(concatBytes(parts));
  }
  return { model, groupData };
}

/** The artifacts as tfjs's own io type, weights in one buffer, for tf.io.fromMemory. */
export function toModelArtifacts(a: TfjsArtifacts): tf.io.ModelArtifacts {
  const total = a.groupData.reduce((n, g) => n + g.byteLength, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const g of a.groupData) {
    data.set(g, at);
    at += g.byteLength;
  }
  return {
    modelTopology: a.model.modelTopology as unknown as tf.io.ModelArtifacts['modelTopology'],
    format: a.model.format,
    weightSpecs: a.model.weightsManifest.flatMap((g) => g.weights) as unknown as tf.io.WeightsManifestEntry[],
    weightData: data.buffer,
  };
}
