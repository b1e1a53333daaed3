// The reference check: the official onnx package's checker with full_check (which also runs
// strict shape inference) must accept every kind of model Graft writes.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_BACKBONES } from '../backbones/bundled-backbones';
import { buildTappedModel } from '../backbones/prepare-backbone';
import { findOnnxPython } from '../export/onnx-python';
import { exposeTaps } from './expose-node';
import { layersModelToOnnx } from './layers-to-onnx';
import { floatClassifier } from './onnx-fixtures';
import { randomiseWeights, saveArtifacts } from './parity-support';

const found = findOnnxPython();
if (found.python === null) console.warn(`Skipping the ONNX checker test: ${found.reason}`);
const python = found.python;

const CHECK =
  'import onnx, sys\nm = onnx.load(sys.argv[1])\nonnx.checker.check_model(m, full_check=True)\nprint(m.ir_version, m.opset_import[0].version)';

let dir = '';

function check(bytes: Uint8Array, name: string): string {
  const file = path.join(dir, `${name}.onnx`);
  fs.writeFileSync(file, bytes);
  const r = spawnSync(python as string, ['-c', CHECK, file], { encoding: 'utf8' });
  expect(r.stderr, `checker on ${name}`).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.trim();
}

describe.skipIf(!python)('ONNX checker (python3-onnx, full_check)', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-onnx-check-'));
    await tf.setBackend('cpu');
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a converted LayersModel and its tapped version (IR 8, opset 13)', async () => {
    const L = tf.layers;
    const inp = tf.input({ shape: [9, 9, 3], name: 'img' });
    const pad = L.zeroPadding2d({ padding: 1, name: 'pad' }).apply(inp);
    const c = L.conv2d({ filters: 4, kernelSize: 3, strides: 2, useBias: false, name: 'c' }).apply(pad);
    const bn = L.batchNormalization({ name: 'bn' }).apply(c);
    const r = L.reLU({ maxValue: 6, name: 'r' }).apply(bn);
    const d = L.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'd' }).apply(r) as tf.SymbolicTensor;
    const sum = L.add({ name: 'sum' }).apply([d, r as tf.SymbolicTensor]);
    const mp = L.maxPooling2d({ poolSize: 2, name: 'mp' }).apply(sum) as tf.SymbolicTensor;
    const ap = L.averagePooling2d({ poolSize: 2, name: 'ap' }).apply(sum) as tf.SymbolicTensor;
    const cat = L.concatenate({ name: 'cat' }).apply([mp, ap]);
    const gap = L.globalAveragePooling2d({ name: 'gap' }).apply(cat);
    const out = L.dense({ units: 3, activation: 'softmax', name: 'out' }).apply(gap) as tf.SymbolicTensor;
    const model = tf.model({ inputs: inp, outputs: out });
    randomiseWeights(model, 2);
    const converted = layersModelToOnnx(await saveArtifacts(model), { inputLayout: 'NCHW' });
    expect(check(converted.bytes, 'layers')).toBe('8 13');
    const tapped = exposeTaps(converted.bytes, [{ tensor: 'sum', reduce: 'spatial-mean-nchw' }]);
    expect(check(tapped.bytes, 'layers-tapped')).toBe('8 13');
  });

  it.each(BUNDLED_BACKBONES.map((b) => b.id))('accepts the converted bundled backbone %s', async (id) => {
    const spec = BUNDLED_BACKBONES.find((b) => b.id === id);
    if (!spec) throw new Error(id);
    expect(check(await buildTappedModel(spec, dir), id)).toBe('8 13');
  });

  it('accepts a model written directly with the graph builder, tapped', () => {
    expect(
      check(exposeTaps(floatClassifier(), [{ tensor: 'map', reduce: 'spatial-mean-nchw' }]).bytes, 'builder'),
    ).toBe('8 13');
  });
});
