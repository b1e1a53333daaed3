// The bundled backbones, converted from node_modules as the app does on first use: the default
// GraphModel backbone as one ONNX file, and the Keras MobileNetV2 as a whole TF.js LayersModel,
// both averaging each photo with its mirror image as a default run does.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BACKBONE_ID, findBundledBackbone } from '../backbones/bundled-backbones';
import { packageFile } from '../backbones/package-files';
import { prepareBackbone } from '../backbones/prepare-backbone';
import { readTfjsFolder, readUmdModel, weightBytes } from '../tfjs/tfjs-artifacts';
import { appProbabilities } from './app-reference';
import { composeClassifierOnnx } from './compose-classifier-onnx';
import { generatedPhoto, trainedHead } from './export-fixtures';
import { checkOnnxFile } from './onnx-check';
import { checkOnnxParity, checkTfjsParity } from './parity';
import { exportTfjsClassifier } from './tfjs-export';

const CLASSES = ['indoor', 'outdoor', 'people'];

let dir = '';
let photos: Buffer[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-bundled-export-'));
  photos = await Promise.all(
    Array.from({ length: 6 }, (_, i) => generatedPhoto(300 + i, i % 3, i % 2 ? 300 : 240, i % 2 ? 240 : 320, 'jpeg')),
  );
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A briefly trained head: confident enough to disagree between photos, far enough from 0 and 1 to show any error. */
function expectUnsaturated(probabilities: Float32Array): void {
  expect(Math.max(...probabilities)).toBeLessThan(0.99);
  expect(Math.min(...probabilities)).toBeGreaterThan(1e-3);
}

function bundled(id: string) {
  const spec = findBundledBackbone(id);
  if (!spec) throw new Error(`No bundled backbone ${id}`);
  return spec;
}

describe('export of the bundled backbones', () => {
  it('composes the default backbone with a head into one ONNX file that passes full_check and matches the app', async () => {
    const backbone = await prepareBackbone(bundled(DEFAULT_BACKBONE_ID), dir);
    const head = await trainedHead(backbone, photos, CLASSES.length, 0, 4);
    const app = await appProbabilities(backbone, head, photos, { flipTestTime: true });
    expectUnsaturated(app.probabilities);
    for (const rawInput of [false, true]) {
      const composed = await composeClassifierOnnx({
        backbone,
        head,
        classNames: CLASSES,
        graftVersion: 'test',
        rawInput,
        flipTestTime: true,
      });
      const file = path.join(dir, `default-${rawInput ? 'raw' : 'normalised'}.onnx`);
      fs.writeFileSync(file, composed.bytes);
      const check = await checkOnnxFile(file);
      if (check.available) expect(check).toMatchObject({ ok: true, irVersion: 8, opset: 13 });
      else console.warn(`Skipping the python3-onnx reference check: ${check.reason}`);
      const data = { crops: app.crops, expected: app.probabilities, preprocessing: backbone.preprocessing };
      const report = await checkOnnxParity(file, data, { rawInput });
      expect(report).toMatchObject({ ok: true, top1Agreement: 1 });
    }
  });

  it('writes the Keras MobileNetV2 backbone + head as one TF.js LayersModel that matches the app', async () => {
    const spec = bundled('nsfwjs-mobilenet-v2');
    const backbone = await prepareBackbone(spec, dir);
    const head = await trainedHead(backbone, photos, CLASSES.length, 16, 4);
    const outDir = path.join(dir, 'mobilenet-v2-tfjs');
    const result = await exportTfjsClassifier({
      backbone: spec,
      head,
      classNames: CLASSES,
      graftVersion: 'test',
      outDir,
      flipTestTime: true,
    });
    if (!result.supported) throw new Error(result.reason);
    const app = await appProbabilities(backbone, head, photos, { flipTestTime: true });
    expectUnsaturated(app.probabilities);
    const data = { crops: app.crops, expected: app.probabilities, preprocessing: backbone.preprocessing };
    const report = await checkTfjsParity(outDir, data);
    expect(report).toMatchObject({ ok: true, top1Agreement: 1 });
    // The backbone's weights are written as the package holds them (uint8-quantised), byte for
    // byte, not re-encoded as float32; only its classifier above the tap is left out.
    const own = weightBytes(await readUmdModel(packageFile('nsfwjs', 'dist/models/mobilenet_v2/model.min.js')));
    const written = weightBytes(await readTfjsFolder(outDir));
    const kept = [...own].filter(([name]) => written.has(name));
    expect([...own.keys()].filter((name) => !written.has(name)).every((name) => /^dense_\d+\//.test(name))).toBe(true);
    expect(kept.length).toBeGreaterThan(250);
    for (const [name, { spec, bytes }] of kept) {
      // Compared as JSON, which writes the package's min of -0 as 0.
      expect(JSON.stringify(written.get(name)?.spec), name).toBe(JSON.stringify(spec));
      expect(Buffer.from(written.get(name)!.bytes).equals(bytes), name).toBe(true);
    }
  });
});
