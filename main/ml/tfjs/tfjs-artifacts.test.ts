import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeWeights, readTfjsFolder, readUmdModel, TfjsModelError } from './tfjs-artifacts';

let dir = '';
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-tfjs-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const manifest = (paths: string[]) => [
  {
    paths,
    weights: [
      { name: 'a', shape: [2, 2], dtype: 'float32' },
      { name: 'q', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', min: -1, scale: 0.5 } },
      { name: 'h', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
      { name: 'i', shape: [2], dtype: 'int32' },
    ],
  },
];

function weightBytes(): Buffer {
  const a = Buffer.from(Float32Array.of(1, -2, 3.5, 0).buffer);
  const q = Buffer.from([0, 2, 255]);
  const h = Buffer.from(Uint16Array.of(0x3c00, 0xc000).buffer); // 1, -2
  const i = Buffer.from(Int32Array.of(7, -9).buffer);
  return Buffer.concat([a, q, h, i]);
}

describe('TF.js model files', () => {
  it('reads a folder whose weights span two shards, and decodes every dtype like TF.js', async () => {
    const bytes = weightBytes();
    fs.writeFileSync(
      path.join(dir, 'model.json'),
      JSON.stringify({ modelTopology: {}, weightsManifest: manifest(['s1', 's2']) }),
    );
    fs.writeFileSync(path.join(dir, 's1'), bytes.subarray(0, 10));
    fs.writeFileSync(path.join(dir, 's2'), bytes.subarray(10));
    const artifacts = await readTfjsFolder(dir);
    const w = decodeWeights(artifacts);
    const reference = tf.io.decodeWeights(
      new Uint8Array(bytes).buffer,
      manifest([])[0].weights as tf.io.WeightsManifestEntry[],
    );
    for (const name of ['a', 'q', 'h', 'i']) {
      expect(Array.from(w.get(name)?.data ?? []), name).toEqual(Array.from(reference[name].dataSync()));
    }
  });

  it('refuses shard paths outside the folder and reports missing shards', async () => {
    fs.writeFileSync(
      path.join(dir, 'model.json'),
      JSON.stringify({ modelTopology: {}, weightsManifest: manifest(['../x']) }),
    );
    await expect(readTfjsFolder(dir)).rejects.toThrow(/outside/);
    fs.writeFileSync(
      path.join(dir, 'model.json'),
      JSON.stringify({ modelTopology: {}, weightsManifest: manifest(['gone']) }),
    );
    await expect(readTfjsFolder(dir)).rejects.toThrow(/missing/);
  });

  it('says when the shards are shorter than the manifest', async () => {
    fs.writeFileSync(
      path.join(dir, 'model.json'),
      JSON.stringify({ modelTopology: {}, weightsManifest: manifest(['s']) }),
    );
    fs.writeFileSync(path.join(dir, 's'), weightBytes().subarray(0, 12));
    const artifacts = await readTfjsFolder(dir);
    expect(() => decodeWeights(artifacts)).toThrow(TfjsModelError);
  });

  it('reads no more than the manifest declares: a repeated shard, too many shards or oversized shards are refused', async () => {
    const write = (paths: string[]) =>
      fs.writeFileSync(
        path.join(dir, 'model.json'),
        JSON.stringify({ modelTopology: {}, weightsManifest: manifest(paths) }),
      );
    fs.writeFileSync(path.join(dir, 's'), weightBytes());
    write(['s', './s']);
    await expect(readTfjsFolder(dir)).rejects.toThrow(/more than once/);
    write(Array.from({ length: 1500 }, (_, i) => `s${i}`));
    await expect(readTfjsFolder(dir)).rejects.toThrow(/1500 weight shards/);
    // One shard of 1 MiB where the specs declare 31 bytes: refused before it is read.
    fs.writeFileSync(path.join(dir, 'big'), Buffer.alloc(2 ** 20));
    write(['big']);
    await expect(readTfjsFolder(dir)).rejects.toThrow(/hold more than the 31 bytes/);
    write(['s']);
    expect((await readTfjsFolder(dir)).groupData[0].byteLength).toBe(31);
  });

  it('reads a UMD-bundled model (nsfwjs layout) without executing it', async () => {
    const umd = (value: string) =>
      `!function(e){module.exports=e()}(function(){return function e(){}({1:[function(e,a,n){a.exports=${value}},{}]},{},[1])(1)});`;
    const model = `{modelTopology:{class_name:"Sequential"},weightsManifest:[{paths:["group1-shard1of1"],weights:[{name:"a",shape:[2,2],dtype:"float32"}]}]}`;
    fs.writeFileSync(path.join(dir, 'model.min.js'), umd(model));
    const b64 = Buffer.from(Float32Array.of(1, 2, 3, 4).buffer).toString('base64');
    fs.writeFileSync(path.join(dir, 'group1-shard1of1.min.js'), umd(`"${b64}"`));
    const artifacts = await readUmdModel(path.join(dir, 'model.min.js'));
    expect(Array.from(decodeWeights(artifacts).get('a')?.data ?? [])).toEqual([1, 2, 3, 4]);
  });
});
