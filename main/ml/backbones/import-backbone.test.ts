import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Embedder } from '../embedding/embedder';
import { MAX_INTERMEDIATE_ELEMENTS, oversizedTensor } from '../onnx/intermediate-size';
import { floatClassifier, pooledFeatureModel } from '../onnx/onnx-fixtures';
import { attr, int64Tensor, OnnxGraphBuilder } from '../onnx/onnx-graph-builder';
import { ElemType } from '../onnx/onnx-proto';
import { randomiseWeights, saveArtifacts } from '../onnx/parity-support';
import { readTfjsFolder } from '../tfjs/tfjs-artifacts';
import type { BackboneSpec } from './backbone-spec';
import { importOnnxBackbone, importTfjsBackbone, retapImportedBackbone } from './import-backbone';
import { MAX_INPUT_SIDE } from './input-size';
import { prepareBackbone } from './prepare-backbone';

let dir = '';
let dataDir = '';

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-import-'));
  dataDir = path.join(dir, 'data');
  await tf.setBackend('cpu');
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function embedOne(spec: BackboneSpec): Promise<Float32Array> {
  const prepared = await prepareBackbone(spec, dataDir);
  const embedder = await Embedder.open(prepared);
  const bytes = await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 200, g: 80, b: 10 } } })
    .png()
    .toBuffer();
  const run = await embedder.embed([{ id: 'a', contentHash: 'h', read: async () => bytes }]);
  await embedder.close();
  const r = run.results[0];
  if (!r.ok) throw new Error(r.error.message);
  return r.vectors.original as Float32Array;
}

describe('importOnnxBackbone', () => {
  it('validates the model, proposes its pooled features, copies it and returns a storable spec', async () => {
    const file = path.join(dir, 'classifier.onnx');
    fs.writeFileSync(file, floatClassifier(5, 4, 8));
    const { spec, proposal } = await importOnnxBackbone(file, dataDir, { name: 'My net' });
    expect(spec).toMatchObject({
      name: 'My net',
      inputSize: 8,
      layout: 'NCHW',
      taps: [{ node: 'gap', reduce: 'none', dim: 5 }],
      featureDim: 5,
      resize: { shortSide: 9, crop: 'centre' },
      normalisation: { kind: 'mean-std' },
    });
    expect(proposal.candidates.length).toBeGreaterThan(2);
    if (spec.source.kind !== 'imported') throw new Error('not imported');
    expect(fs.readFileSync(path.join(dataDir, spec.source.path))).toEqual(fs.readFileSync(file));
    const stored = JSON.parse(JSON.stringify(spec)) as BackboneSpec;
    expect(stored).toEqual(spec);
    const v = await embedOne(stored);
    expect(v.length).toBe(5);
  });

  it('lets the user pick another tensor, resolving its spatial reduction by running it', async () => {
    const file = path.join(dir, 'classifier2.onnx');
    fs.writeFileSync(file, floatClassifier(5, 4, 8));
    const { spec } = await importOnnxBackbone(file, dataDir);
    const retapped = await retapImportedBackbone(spec, dataDir, { node: 'map' });
    expect(retapped.taps).toEqual([{ node: 'map', reduce: 'spatial-mean-nchw', dim: 5 }]);
    expect(retapped.version).not.toBe(spec.version);
    const logits = await retapImportedBackbone(spec, dataDir, { node: 'logits' });
    expect(logits.featureDim).toBe(4);
    expect((await embedOne(retapped)).length).toBe(5);
  });

  it('refuses files onnxruntime cannot load and tensors that do not exist', async () => {
    const bad = path.join(dir, 'bad.onnx');
    fs.writeFileSync(bad, Buffer.from('this is not onnx'));
    await expect(importOnnxBackbone(bad, dataDir)).rejects.toMatchObject({ code: 'BACKBONE_INVALID' });
    const file = path.join(dir, 'classifier3.onnx');
    fs.writeFileSync(file, floatClassifier());
    await expect(importOnnxBackbone(file, dataDir, { tap: { node: 'nope' } })).rejects.toMatchObject({
      code: 'BACKBONE_INVALID',
    });
  });

  it('notices an imported file changed behind its back', async () => {
    const file = path.join(dir, 'classifier4.onnx');
    fs.writeFileSync(file, floatClassifier(3, 2, 8));
    const { spec } = await importOnnxBackbone(file, dataDir);
    if (spec.source.kind !== 'imported') throw new Error('not imported');
    fs.appendFileSync(path.join(dataDir, spec.source.path), Buffer.from([0]));
    await expect(prepareBackbone(spec, dataDir)).rejects.toMatchObject({ code: 'BACKBONE_INVALID' });
  });
});

/** A small LayersModel saved as a TF.js folder: model.json naming `shard`, and the shard's bytes. */
async function writeTfjsFolder(folder: string, shard = 'weights.bin'): Promise<Uint8Array> {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [16, 16, 3], filters: 6, kernelSize: 3, activation: 'relu', name: 'conv' }),
      tf.layers.globalAveragePooling2d({ name: 'gap' }),
      tf.layers.dense({ units: 3, activation: 'softmax', name: 'head' }),
    ],
  });
  randomiseWeights(model, 4);
  const artifacts = await saveArtifacts(model);
  fs.mkdirSync(folder, { recursive: true });
  const weightsManifest = artifacts.model.weightsManifest.map((g) => ({ ...g, paths: [shard] }));
  fs.writeFileSync(
    path.join(folder, 'model.json'),
    JSON.stringify({ modelTopology: artifacts.model.modelTopology, weightsManifest }),
  );
  return artifacts.groupData[0];
}

describe('importTfjsBackbone', () => {
  it('converts a LayersModel folder and taps its global pool', async () => {
    const folder = path.join(dir, 'tfjs-model');
    fs.writeFileSync(path.join(folder, 'weights.bin'), await writeTfjsFolder(folder));
    const { spec } = await importTfjsBackbone(folder, dataDir, {
      preprocessing: { resizeShortSide: 20, normalisation: { kind: 'range', min: 0, max: 1 } },
    });
    expect(spec).toMatchObject({
      inputSize: 16,
      layout: 'NCHW',
      taps: [{ node: 'gap', reduce: 'none', dim: 6 }],
      source: { kind: 'imported', origin: 'tfjs' },
      resize: { shortSide: 20 },
    });
    expect((await embedOne(spec)).length).toBe(6);
  });
});

describe('files an imported model names', () => {
  const refused = (file: string) => ({ code: 'MODEL_FILE_REFUSED', message: expect.stringContaining(file) });

  it('refuses a weight shard linked to a file outside the chosen folder, even one holding valid weights', async () => {
    const folder = path.join(dir, 'linked-shard');
    const weights = await writeTfjsFolder(folder);
    const outside = path.join(dir, 'outside-weights.bin');
    fs.writeFileSync(outside, weights);
    fs.symlinkSync(outside, path.join(folder, 'weights.bin'));
    await expect(importTfjsBackbone(folder, dataDir)).rejects.toMatchObject(refused('weights.bin'));
  });

  it('refuses a shard linked to a system file', async () => {
    const folder = path.join(dir, 'system-shard');
    await writeTfjsFolder(folder);
    fs.symlinkSync('/etc/passwd', path.join(folder, 'weights.bin'));
    await expect(importTfjsBackbone(folder, dataDir)).rejects.toMatchObject(refused('weights.bin'));
  });

  it('refuses a shard reached through a linked sub-folder', async () => {
    const folder = path.join(dir, 'linked-subfolder');
    const weights = await writeTfjsFolder(folder, 'sub/weights.bin');
    const elsewhere = path.join(dir, 'elsewhere');
    fs.mkdirSync(elsewhere);
    fs.writeFileSync(path.join(elsewhere, 'weights.bin'), weights);
    fs.symlinkSync(elsewhere, path.join(folder, 'sub'));
    await expect(importTfjsBackbone(folder, dataDir)).rejects.toMatchObject(refused('sub/weights.bin'));
  });

  it('refuses a model.json linked outside, and a shard that is a FIFO or a folder, without blocking', async () => {
    const folder = path.join(dir, 'odd-files');
    await writeTfjsFolder(folder);
    execFileSync('mkfifo', [path.join(folder, 'weights.bin')]);
    await expect(importTfjsBackbone(folder, dataDir)).rejects.toMatchObject(refused('weights.bin'));
    fs.rmSync(path.join(folder, 'weights.bin'));
    fs.mkdirSync(path.join(folder, 'weights.bin'));
    await expect(importTfjsBackbone(folder, dataDir)).rejects.toMatchObject(refused('weights.bin'));

    const linkedJson = path.join(dir, 'linked-json');
    fs.mkdirSync(linkedJson);
    fs.symlinkSync(path.join(folder, 'model.json'), path.join(linkedJson, 'model.json'));
    await expect(importTfjsBackbone(linkedJson, dataDir)).rejects.toMatchObject(refused('model.json'));
  });

  it('bounds the bytes of all shards together: a manifest naming one shard many times is refused', async () => {
    const folder = path.join(dir, 'repeated-shard');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'w.bin'), Buffer.alloc(2 ** 20));
    const weights = [{ name: 'w', shape: [2 ** 18], dtype: 'float32' }];
    const write = (paths: string[]) =>
      fs.writeFileSync(
        path.join(folder, 'model.json'),
        JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths, weights }] }),
      );
    write(Array(20).fill('w.bin'));
    await expect(readTfjsFolder(folder, 'model.json')).rejects.toThrow(/w\.bin more than once/);
    write(['w.bin']);
    await expect(readTfjsFolder(folder, 'model.json', 2 ** 19)).rejects.toThrow(/declares more weights/);
    expect((await readTfjsFolder(folder, 'model.json')).groupData[0].byteLength).toBe(2 ** 20);
  });

  it('refuses an .onnx file linked outside its folder, and a device', async () => {
    const real = path.join(dir, 'real-net.onnx');
    fs.writeFileSync(real, floatClassifier(5, 4, 8));
    const folder = path.join(dir, 'linked-onnx');
    fs.mkdirSync(folder);
    fs.symlinkSync(real, path.join(folder, 'net.onnx'));
    await expect(importOnnxBackbone(path.join(folder, 'net.onnx'), dataDir)).rejects.toMatchObject(refused('net.onnx'));
    await expect(importOnnxBackbone('/dev/zero', dataDir)).rejects.toMatchObject(refused('zero'));
  });
});

describe('declared input sizes', () => {
  it.each([
    [[1, 3, 20000, 20000], '20000×20000'],
    [[1, 3, 100000, 100000], '100000×100000'],
    [[1, 3, 224, 50000], '224×50000'],
  ])('refuses a model declaring %j before anything runs, naming the model', async (shape, size) => {
    const file = path.join(dir, `huge-${shape.join('x')}.onnx`);
    fs.writeFileSync(file, pooledFeatureModel(shape));
    const before = process.memoryUsage().rss;
    const err = await importOnnxBackbone(file, dataDir, { name: 'Giant net' }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'MODEL_INPUT_TOO_LARGE' });
    expect((err as Error).message).toContain('“Giant net”');
    expect((err as Error).message).toContain(size);
    expect((err as Error).message).not.toMatch(/damaged/);
    expect(process.memoryUsage().rss - before).toBeLessThan(200e6);
  });

  /** A 224×224 model whose pooled input is grown to `side`×`side` inside by `op`, then pooled to 3 features. */
  function grower(op: 'Expand' | 'Tile' | 'ConstantOfShape' | 'Resize', side: number): Uint8Array {
    const b = new OnnxGraphBuilder(`grow-${op}`);
    b.addInput(b.claimName('input'), ElemType.FLOAT, [1, 3, 224, 224]);
    b.addNode('GlobalAveragePool', ['input'], [b.claimName('gap')]);
    const shape = [1, 3, side, side];
    if (op === 'Expand') {
      b.addInitializer(int64Tensor('shape', [4], shape));
      b.addNode('Expand', ['gap', 'shape'], [b.claimName('big')]);
    } else if (op === 'Tile') {
      // Little-endian raw int64, as converters write initializers.
      const raw = new BigInt64Array([1n, 1n, BigInt(side), BigInt(side)]);
      const rawData = new Uint8Array(raw.buffer);
      b.addInitializer({ name: 'repeats', dims: [4], dataType: ElemType.INT64, rawData });
      b.addNode('Tile', ['gap', 'repeats'], [b.claimName('big')]);
    } else if (op === 'ConstantOfShape') {
      b.addInitializer(int64Tensor('shape', [4], shape));
      b.addNode('ConstantOfShape', ['shape'], [b.claimName('zeros')]);
      b.addNode('Add', ['zeros', 'gap'], [b.claimName('big')]);
    } else {
      b.addInitializer(int64Tensor('sizes', [4], shape));
      b.addNode('Resize', ['gap', '', '', 'sizes'], [b.claimName('big')]);
    }
    b.addNode('GlobalAveragePool', ['big'], [b.claimName('gap2')]);
    b.addNode('Flatten', ['gap2'], [b.claimName('features')], { axis: attr.int(1) });
    b.addOutput('features', ElemType.FLOAT, [1, 3]);
    return b.serialize();
  }

  it.each(['Expand', 'Tile', 'ConstantOfShape', 'Resize'] as const)(
    'refuses a small-input model whose %s grows a 1×3×12000×12000 tensor inside, before it runs',
    async (op) => {
      const file = path.join(dir, `grow-${op}.onnx`);
      fs.writeFileSync(file, grower(op, 12000));
      const before = process.memoryUsage().rss;
      const err = await importOnnxBackbone(file, dataDir, { name: 'Grower' }).catch((e: Error) => e);
      expect(err).toMatchObject({ code: 'MODEL_INPUT_TOO_LARGE', message: expect.stringContaining('“Grower”') });
      // Tile's input shape is not declared, so only its repeats count: 144 M, still refused.
      expect((err as Error).message).toMatch(/at least (432|144),000,000 values/);
      expect(process.memoryUsage().rss - before).toBeLessThan(200e6);
      // The same graph growing to 64×64 is an ordinary model.
      fs.writeFileSync(file, grower(op, 64));
      expect(oversizedTensor(fs.readFileSync(file))).toBeNull();
    },
  );

  const shared = path.resolve(__dirname, '../../../../shared/backbones');
  it.skipIf(!fs.existsSync(shared))('finds no oversized tensor in the real backbones of ../shared', () => {
    const models = fs.readdirSync(shared, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.onnx'));
    expect(models.length).toBeGreaterThan(0);
    for (const f of models) expect(oversizedTensor(fs.readFileSync(path.join(shared, f))), f).toBeNull();
    expect(MAX_INTERMEDIATE_ELEMENTS).toBe(64 * 2 ** 20);
  });

  it('accepts the largest allowed side, and caps the size chosen for a model whose input is dynamic', async () => {
    const largest = path.join(dir, 'largest.onnx');
    fs.writeFileSync(largest, pooledFeatureModel([1, 3, MAX_INPUT_SIDE, MAX_INPUT_SIDE]));
    expect((await importOnnxBackbone(largest, dataDir)).spec.inputSize).toBe(MAX_INPUT_SIDE);

    const dynamic = path.join(dir, 'dynamic.onnx');
    fs.writeFileSync(dynamic, pooledFeatureModel(['N', 3, 'H', 'W']));
    await expect(
      importOnnxBackbone(dynamic, dataDir, { name: 'Elastic', preprocessing: { inputSize: 20000 } }),
    ).rejects.toMatchObject({ code: 'MODEL_INPUT_TOO_LARGE', message: expect.stringContaining('“Elastic”') });
    expect((await importOnnxBackbone(dynamic, dataDir, { preprocessing: { inputSize: 32 } })).spec.inputSize).toBe(32);
  });
});
