import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreparedBackbone } from '../backbones/backbone-spec';
import { exposeTaps } from '../onnx/expose-node';
import { attr, OnnxGraphBuilder } from '../onnx/onnx-graph-builder';
import { ElemType } from '../onnx/onnx-proto';
import { seededArray } from '../onnx/parity-support';
import * as ort from '../onnxruntime';
import { decodeCrop, inputDims, type Preprocessing, writeInputRow } from '../preprocess';
import { combineTaps, Embedder, EmbeddingCancelledError, type EmbedItem, type EmbedProgress } from './embedder';
import { embeddingKeyString, MemoryEmbeddingCache } from './embedding-cache';

const SIZE = 8;
const PRE: Preprocessing = {
  inputSize: SIZE,
  resizeShortSide: 10,
  layout: 'NCHW',
  normalisation: { kind: 'mean-std', scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
};

let dir = '';
let backbone: PreparedBackbone;
let fixedBatch: PreparedBackbone;
let twoTaps: PreparedBackbone;

/** A tiny convolutional backbone written with Graft's own ONNX writer. */
function tinyBackbone(batch: number | 'N'): Uint8Array {
  const b = new OnnxGraphBuilder('tiny');
  b.addInput(b.claimName('pixels'), ElemType.FLOAT, [batch, 3, SIZE, SIZE]);
  const w = b.addFloatInitializer('w', [4, 3, 3, 3], seededArray(108, 1, -0.5, 0.5));
  const bias = b.addFloatInitializer('b', [4], seededArray(4, 2, 0, 0.5));
  b.addNode('Conv', ['pixels', w, bias], [b.claimName('conv')], {
    kernel_shape: attr.ints([3, 3]),
    pads: attr.ints([1, 1, 1, 1]),
  });
  b.addNode('Relu', ['conv'], [b.claimName('map')]);
  b.addNode('GlobalAveragePool', ['map'], [b.claimName('pooled')]);
  b.addNode('Flatten', ['pooled'], [b.claimName('flat')], { axis: attr.int(1) });
  b.addOutput('flat', ElemType.FLOAT, [batch, 4]);
  return b.serialize();
}

function prepared(
  file: string,
  bytes: Uint8Array,
  taps: { tensor: string; dim: number }[],
  maxBatch: number | null,
): PreparedBackbone {
  const tapped = exposeTaps(
    bytes,
    taps.map((t) => ({ tensor: t.tensor, reduce: t.tensor === 'map' ? 'spatial-mean-nchw' : 'none' })),
  );
  fs.writeFileSync(file, tapped.bytes);
  const featureDim = taps.reduce((n, t) => n + t.dim, 0);
  return {
    spec: {
      id: path.basename(file),
      version: '1',
      name: 'tiny',
      source: { kind: 'imported', path: file, sha256: '', origin: 'onnx' },
      licence: 'test',
      inputSize: SIZE,
      layout: 'NCHW',
      normalisation: PRE.normalisation,
      resize: { shortSide: PRE.resizeShortSide, crop: 'centre' },
      taps: taps.map((t) => ({ node: t.tensor, reduce: 'none', dim: t.dim })),
      featureDim,
      notes: '',
    },
    onnxPath: file,
    inputName: 'pixels',
    tapOutputs: tapped.tapOutputs,
    tapDims: taps.map((t) => t.dim),
    featureDim,
    maxBatch,
    preprocessing: PRE,
    embeddingModelId: `${path.basename(file)}@1`,
  };
}

async function photo(seed: number): Promise<Buffer> {
  const raw = Buffer.from(seededArray(24 * 16 * 3, seed, 0, 255).map(Math.floor));
  return sharp(raw, { raw: { width: 24, height: 16, channels: 3 } })
    .png()
    .toBuffer();
}

interface CountedItem extends EmbedItem {
  reads: number;
}

async function items(n: number): Promise<CountedItem[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const bytes = await photo(100 + i);
      const item: CountedItem = {
        id: `p${i}`,
        contentHash: `hash-${i}`,
        reads: 0,
        read: async () => {
          item.reads += 1;
          return bytes;
        },
      };
      return item;
    }),
  );
}

/** The expected vector, computed the long way round. */
async function direct(bytes: Buffer): Promise<Float32Array> {
  const input = new Float32Array(SIZE * SIZE * 3);
  writeInputRow(await decodeCrop(bytes, PRE), PRE, input, 0);
  const session = await ort.InferenceSession.create(backbone.onnxPath);
  const out = (await session.run({ pixels: new ort.Tensor('float32', input, inputDims(PRE, 1)) })).graft_tap_0
    .data as Float32Array;
  await session.release();
  const norm = Math.hypot(...out);
  return out.map((v) => v / norm);
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-embed-'));
  backbone = prepared(path.join(dir, 'tiny.onnx'), tinyBackbone('N'), [{ tensor: 'flat', dim: 4 }], null);
  fixedBatch = prepared(path.join(dir, 'fixed.onnx'), tinyBackbone(1), [{ tensor: 'flat', dim: 4 }], 1);
  twoTaps = prepared(
    path.join(dir, 'two.onnx'),
    tinyBackbone('N'),
    [
      { tensor: 'map', dim: 4 },
      { tensor: 'pixels', dim: 3 * SIZE * SIZE },
    ],
    null,
  );
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('Embedder', () => {
  it('embeds photos into unit vectors equal to a direct onnxruntime run, reporting progress', async () => {
    const embedder = await Embedder.open(backbone);
    const list = await items(5);
    const progress: EmbedProgress[] = [];
    const run = await embedder.embed(list, { batchSize: 2, onProgress: (p) => progress.push(p) });
    await embedder.close();
    expect(run.embedded).toBe(5);
    expect(run.failed).toBe(0);
    const first = run.results[0];
    if (!first.ok) throw new Error('first photo failed');
    const vec = first.vectors.original as Float32Array;
    expect(Math.hypot(...vec)).toBeCloseTo(1, 5);
    const expected = await direct(await list[0].read());
    vec.forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i], 5);
    });
    const last = progress[progress.length - 1];
    expect(last).toMatchObject({ done: 5, total: 5, failed: 0 });
    expect(last.imagesPerSecond).toBeGreaterThan(0);
    expect(last.etaSeconds).toBe(0);
    expect(progress.map((p) => p.done)).toEqual([0, 2, 4, 5]);
  });

  it('serves cached vectors without decoding or embedding again', async () => {
    const embedder = await Embedder.open(backbone);
    const cache = new MemoryEmbeddingCache();
    const list = await items(4);
    const first = await embedder.embed(list, { cache, views: ['original', 'hflip'] });
    expect(cache.size).toBe(8);
    list.forEach((it) => {
      it.reads = 0;
    });
    const second = await embedder.embed(list, { cache, views: ['original', 'hflip'] });
    await embedder.close();
    expect(second).toMatchObject({ embedded: 0, fromCache: 4, failed: 0 });
    expect(list.every((it) => it.reads === 0)).toBe(true);
    const a = first.results[2];
    const b = second.results[2];
    if (!a.ok || !b.ok) throw new Error('failed');
    expect(b.fromCache).toBe(true);
    expect(b.vectors.hflip).toEqual(a.vectors.hflip);
    expect(a.vectors.hflip).not.toEqual(a.vectors.original);
    expect(embeddingKeyString(embedder.cacheKey('hash-2', 'hflip'))).toBe('tiny.onnx@1|p1|hflip|hash-2');
  });

  it('computes only the missing view of a half-cached photo', async () => {
    const embedder = await Embedder.open(backbone);
    const cache = new MemoryEmbeddingCache();
    const list = await items(2);
    await embedder.embed(list, { cache });
    const run = await embedder.embed(list, { cache, views: ['original', 'hflip'] });
    await embedder.close();
    expect(run.embedded).toBe(2);
    expect(cache.size).toBe(4);
  });

  it('turns a corrupt or missing photo into an error item and carries on', async () => {
    const embedder = await Embedder.open(backbone);
    const list: EmbedItem[] = await items(3);
    list.splice(1, 0, { id: 'corrupt', contentHash: 'c', read: async () => Buffer.from('not an image at all') });
    list.push({
      id: 'gone',
      contentHash: 'g',
      read: () => Promise.reject(Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' })),
    });
    const run = await embedder.embed(list, { batchSize: 2 });
    await embedder.close();
    expect(run).toMatchObject({ embedded: 3, failed: 2 });
    expect(run.results.map((r) => r.ok)).toEqual([true, false, true, true, false]);
    expect(run.results[1]).toMatchObject({ id: 'corrupt', ok: false, error: { code: 'IMAGE_UNREADABLE' } });
    expect(run.results[4]).toMatchObject({ id: 'gone', ok: false, error: { code: 'IMAGE_NOT_FOUND' } });
  });

  it('stops between batches when cancelled, keeping what was cached', async () => {
    const embedder = await Embedder.open(backbone);
    const cache = new MemoryEmbeddingCache();
    const controller = new AbortController();
    const promise = embedder.embed(await items(6), {
      batchSize: 2,
      cache,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done >= 2) controller.abort();
      },
    });
    await expect(promise).rejects.toBeInstanceOf(EmbeddingCancelledError);
    await embedder.close();
    expect(cache.size).toBe(2);
  });

  it('feeds a fixed-batch model one image at a time', async () => {
    const embedder = await Embedder.open(fixedBatch);
    const run = await embedder.embed(await items(3), { batchSize: 4, views: ['original', 'hflip'] });
    await embedder.close();
    expect(run.embedded).toBe(3);
  });

  it('concatenates several taps, each normalised first', async () => {
    const embedder = await Embedder.open(twoTaps);
    const run = await embedder.embed(await items(1));
    await embedder.close();
    const r = run.results[0];
    if (!r.ok) throw new Error('failed');
    const v = r.vectors.original as Float32Array;
    expect(v.length).toBe(4 + 3 * SIZE * SIZE);
    expect(Math.hypot(...v.subarray(0, 4))).toBeCloseTo(Math.SQRT1_2, 5);
    expect(Math.hypot(...v.subarray(4))).toBeCloseTo(Math.SQRT1_2, 5);
  });
});

describe('combineTaps', () => {
  it('rejects non-finite features', () => {
    expect(combineTaps([Float32Array.of(1, Number.NaN)], [2], 0)).toBeUndefined();
    expect(Array.from(combineTaps([Float32Array.of(3, 4)], [2], 0) ?? [])).toEqual([
      0.6000000238418579, 0.800000011920929,
    ]);
  });
});
