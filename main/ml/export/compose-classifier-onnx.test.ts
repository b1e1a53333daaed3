import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreparedBackbone } from '../backbones/backbone-spec';
import { IMAGENET_NORMALISATION } from '../backbones/import-backbone';
import type { HeadArtifacts } from '../head/head-model';
import { exposeTaps } from '../onnx/expose-node';
import { floatClassifier, quantisedClassifier } from '../onnx/onnx-fixtures';
import { decodeModel, encodeModel, toNumber } from '../onnx/onnx-proto';
import type { Preprocessing } from '../preprocess';
import { type AppPrediction, appProbabilities } from './app-reference';
import {
  type ComposeClassifierOptions,
  composeClassifierModel,
  composeClassifierOnnx,
} from './compose-classifier-onnx';
import { ExportError } from './export-error';
import { generatedPhoto, prepareTinyBackbone, randomHead, slantedPhoto, trainedHead } from './export-fixtures';
import { checkOnnxFile } from './onnx-check';
import { checkOnnxParity } from './parity';

const PHOTOS = 60;
const CLASSES = ['cat', 'dog', 'fox'];
const STRICT = 1e-5;

let dir = '';
let photos: Buffer[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-export-'));
  photos = await Promise.all(
    Array.from({ length: PHOTOS }, (_, i) => generatedPhoto(i + 1, i % 3, 24 + (i % 5), 20, 'png')),
  );
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Composes, writes the file, and returns it with the app's own prediction for the photos. */
async function exportAndReference(
  options: ComposeClassifierOptions,
  name: string,
): Promise<{ file: string; app: AppPrediction }> {
  const composed = await composeClassifierOnnx(options);
  const file = path.join(dir, `${name}.onnx`);
  fs.writeFileSync(file, composed.bytes);
  return { file, app: await appProbabilities(options.backbone, options.head, photos) };
}

async function expectChecked(file: string): Promise<void> {
  const check = await checkOnnxFile(file);
  if (!check.available) {
    console.warn(`Skipping the python3-onnx reference check of ${path.basename(file)}: ${check.reason}`);
    return;
  }
  expect(check.message).toMatch(/full_check passed/);
  expect(check.ok).toBe(true);
}

/** Largest |p - q| per row of two rows × classCount arrays. */
function rowGaps(p: Float32Array, q: Float32Array, classCount: number): number[] {
  return Array.from({ length: p.length / classCount }, (_, r) => {
    let gap = 0;
    for (let c = 0; c < classCount; c++) gap = Math.max(gap, Math.abs(p[r * classCount + c] - q[r * classCount + c]));
    return gap;
  });
}

/** The most likely class of each row. */
function topOnes(p: Float32Array, classCount: number): number[] {
  return Array.from({ length: p.length / classCount }, (_, r) => {
    const row = Array.from(p.subarray(r * classCount, (r + 1) * classCount));
    return row.indexOf(Math.max(...row));
  });
}

/** A hand-made prepared backbone around ONNX bytes tapped at `tensor`. */
function preparedFrom(
  name: string,
  bytes: Uint8Array,
  tap: { tensor: string; reduce: 'none' | 'spatial-mean-nchw'; dim: number },
): PreparedBackbone {
  const tapped = exposeTaps(bytes, [{ tensor: tap.tensor, reduce: tap.reduce }]);
  const file = path.join(dir, `${name}-backbone.onnx`);
  fs.writeFileSync(file, tapped.bytes);
  const preprocessing: Preprocessing = {
    inputSize: 8,
    resizeShortSide: 9,
    layout: 'NCHW',
    normalisation: { kind: 'range', min: -1, max: 1 },
  };
  return {
    spec: {
      id: name,
      version: '1',
      name,
      source: { kind: 'imported', path: file, sha256: '', origin: 'onnx' },
      licence: 'test',
      inputSize: 8,
      layout: 'NCHW',
      normalisation: preprocessing.normalisation,
      resize: { shortSide: 9, crop: 'centre' },
      taps: [{ node: tap.tensor, reduce: tap.reduce, dim: tap.dim }],
      featureDim: tap.dim,
      notes: '',
    },
    onnxPath: file,
    inputName: 'input',
    tapOutputs: tapped.tapOutputs,
    tapDims: [tap.dim],
    featureDim: tap.dim,
    maxBatch: null,
    preprocessing,
    embeddingModelId: `${name}@1`,
  };
}

describe('composeClassifierOnnx', () => {
  let twoTaps: PreparedBackbone;
  let head: HeadArtifacts;

  beforeAll(async () => {
    twoTaps = (
      await prepareTinyBackbone(dir, {
        taps: ['block1', 'block2'],
        layout: 'NCHW',
        normalisation: IMAGENET_NORMALISATION,
      })
    ).prepared;
    head = await trainedHead(twoTaps, photos, CLASSES.length, 8);
  });

  it('gives the app’s probabilities for a two-tap backbone, from the file, on 60 photos', async () => {
    const options = { backbone: twoTaps, head, classNames: CLASSES, graftVersion: '0.1.0-test' };
    const { file, app } = await exportAndReference(options, 'two-taps');
    const report = await checkOnnxParity(
      file,
      { crops: app.crops, expected: app.probabilities, preprocessing: twoTaps.preprocessing },
      { tolerance: STRICT },
    );
    expect(report.message).toMatch(/matches the app on 60 photos/);
    expect(report).toMatchObject({ ok: true, code: 'PARITY_OK', rows: PHOTOS, top1Agreement: 1 });
    expect(report.maxAbsDiff).toBeLessThan(STRICT);
    await expectChecked(file);

    const model = decodeModel(fs.readFileSync(file));
    const meta = Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key, p.value]));
    expect(JSON.parse(meta['graft.class_names'] ?? '')).toEqual(CLASSES);
    expect(meta['graft.version']).toBe('0.1.0-test');
    expect(meta['graft.backbone_id']).toBe(twoTaps.spec.id);
    const input = JSON.parse(meta['graft.input'] ?? '');
    expect(input).toMatchObject({
      name: 'input',
      layout: 'NCHW',
      shape: ['N', 3, 16, 16],
      resize: { shortSide: 18, size: 16 },
    });
    expect(input.normalisation).toEqual(IMAGENET_NORMALISATION);
    expect(model.graph?.input?.map((v) => v.name)).toEqual(['input']);
    expect(model.graph?.output?.map((v) => v.name)).toEqual(['probabilities']);
    expect(toNumber(model.irVersion)).toBe(8);
    expect(toNumber(model.opsetImport?.find((o) => !o.domain)?.version)).toBe(13);
  });

  it('takes raw 0-255 RGB as `image` and normalises and transposes inside (NCHW backbone)', async () => {
    const options = { backbone: twoTaps, head, classNames: CLASSES, graftVersion: 'test', rawInput: true };
    const { file, app } = await exportAndReference(options, 'two-taps-raw');
    const report = await checkOnnxParity(
      file,
      { crops: app.crops, expected: app.probabilities, preprocessing: twoTaps.preprocessing },
      { tolerance: STRICT, rawInput: true },
    );
    expect(report.message).toMatch(/matches/);
    expect(report).toMatchObject({ ok: true, top1Agreement: 1 });
    await expectChecked(file);
    const meta = decodeModel(fs.readFileSync(file)).metadataProps?.find((p) => p.key === 'graft.input')?.value ?? '';
    expect(JSON.parse(meta)).toMatchObject({
      name: 'image',
      layout: 'NHWC',
      shape: ['N', 16, 16, 3],
      normalisation: null,
    });
  });

  it('handles an NHWC backbone with one tap, a linear head and a [0, 1] range, raw and normalised', async () => {
    const { prepared } = await prepareTinyBackbone(dir, {
      taps: ['block2'],
      layout: 'NHWC',
      normalisation: { kind: 'range', min: 0, max: 1 },
    });
    const linear = await trainedHead(prepared, photos, 2);
    for (const rawInput of [false, true]) {
      const options = { backbone: prepared, head: linear, classNames: ['a', 'b'], graftVersion: 'test', rawInput };
      const { file, app } = await exportAndReference(options, `nhwc-${rawInput}`);
      const data = { crops: app.crops, expected: app.probabilities, preprocessing: prepared.preprocessing };
      const report = await checkOnnxParity(file, data, { tolerance: STRICT, rawInput });
      expect(report.message).toMatch(/matches/);
      expect(report.top1Agreement).toBe(1);
      await expectChecked(file);
    }
  });

  it('averages each photo with its mirror image inside the graph as the app does, on borderline photos', async () => {
    // Rising and falling stripes are each other's mirror images: a head that tells them apart
    // is sure of one view and unsure of the average, so one view alone gives other numbers.
    const slanted = await Promise.all(
      Array.from({ length: 40 }, (_, i) => slantedPhoto(500 + i, i % 2 === 0 ? 1 : -1, 22, 20)),
    );
    const classes = ['rising', 'falling'];
    const nhwc = (
      await prepareTinyBackbone(dir, {
        taps: ['block2'],
        layout: 'NHWC',
        normalisation: { kind: 'range', min: 0, max: 1 },
      })
    ).prepared;
    for (const backbone of [twoTaps, nhwc]) {
      const h = await trainedHead(backbone, slanted, classes.length, backbone === twoTaps ? 8 : 0);
      const single = await appProbabilities(backbone, h, slanted);
      const app = await appProbabilities(backbone, h, slanted, { flipTestTime: true });
      const gaps = rowGaps(single.probabilities, app.probabilities, classes.length);
      expect(gaps.filter((g) => g > 1e-2).length).toBeGreaterThan(10);
      expect(topOnes(single.probabilities, classes.length)).not.toEqual(topOnes(app.probabilities, classes.length));
      const data = { crops: app.crops, expected: app.probabilities, preprocessing: backbone.preprocessing };
      for (const rawInput of [false, true]) {
        const options = { backbone, head: h, classNames: classes, graftVersion: 't', rawInput };
        const file = path.join(dir, `mirror-${backbone.spec.id}-${rawInput}.onnx`);
        fs.writeFileSync(file, (await composeClassifierOnnx({ ...options, flipTestTime: true })).bytes);
        const report = await checkOnnxParity(file, data, { tolerance: STRICT, rawInput });
        expect(report.message).toMatch(/matches the app on 40 photos/);
        expect(report).toMatchObject({ ok: true, top1Agreement: 1 });
        await expectChecked(file);
        const meta = decodeModel(fs.readFileSync(file)).metadataProps?.find((p) => p.key === 'graft.views')?.value;
        expect(meta).toMatch(/^Two: the model mirrors each photo/);

        // A single-view file, checked against the same app numbers, is caught.
        const oneView = path.join(dir, `one-view-${backbone.spec.id}-${rawInput}.onnx`);
        fs.writeFileSync(oneView, (await composeClassifierOnnx(options)).bytes);
        const caught = await checkOnnxParity(oneView, data, { rawInput });
        expect(caught).toMatchObject({ ok: false, code: 'EXPORT_MISMATCH' });
        expect(caught.top1Agreement).toBeLessThan(1);
      }
    }
  });

  it('keeps a backbone’s lower opset (11) and its com.microsoft quantised ops', async () => {
    const cases = [
      preparedFrom('opset11', floatClassifier(5, 4, 8, 11), { tensor: 'map', reduce: 'spatial-mean-nchw', dim: 5 }),
      preparedFrom('quantised', quantisedClassifier(6, 3, 8), { tensor: 'flat', reduce: 'none', dim: 6 }),
    ];
    for (const backbone of cases) {
      const h = await trainedHead(backbone, photos, 3);
      const { file, app } = await exportAndReference(
        { backbone, head: h, classNames: CLASSES, graftVersion: 'test', rawInput: true },
        backbone.spec.id,
      );
      const model = decodeModel(fs.readFileSync(file));
      const opsets = Object.fromEntries((model.opsetImport ?? []).map((o) => [o.domain ?? '', toNumber(o.version)]));
      expect(opsets).toEqual(backbone.spec.id === 'opset11' ? { '': 11 } : { '': 13, 'com.microsoft': 1 });
      const data = { crops: app.crops, expected: app.probabilities, preprocessing: backbone.preprocessing };
      const report = await checkOnnxParity(file, data, { tolerance: STRICT, rawInput: true });
      expect(report.message).toMatch(/matches/);
      expect(report.top1Agreement).toBe(1);
      await expectChecked(file);
    }
  });

  it('fails the check when the export does not compute what the app does', async () => {
    const wrong = { ...twoTaps.preprocessing, normalisation: { kind: 'range' as const, min: 0, max: 1 } };
    const composed = await composeClassifierOnnx({
      backbone: { ...twoTaps, preprocessing: wrong },
      head,
      classNames: CLASSES,
      graftVersion: 'test',
      rawInput: true,
    });
    const file = path.join(dir, 'wrong-normalisation.onnx');
    fs.writeFileSync(file, composed.bytes);
    const app = await appProbabilities(twoTaps, head, photos);
    const data = { crops: app.crops, expected: app.probabilities, preprocessing: twoTaps.preprocessing };
    const report = await checkOnnxParity(file, data, { rawInput: true });
    expect(report).toMatchObject({ ok: false, code: 'EXPORT_MISMATCH' });
    expect(report.maxAbsDiff).toBeGreaterThan(0.01);
    expect(report.message).toMatch(/does not match the app on 60 photos/);
  });

  it('keeps a fixed batch size of 1, one view or two, and the check then runs photo by photo', async () => {
    const model = decodeModel(floatClassifier(5, 4, 8, 13));
    const batch = model.graph?.input?.[0].type?.tensorType?.shape?.dim?.[0];
    if (!batch) throw new Error('fixture input has no batch dimension');
    batch.dimParam = '';
    batch.dimValue = 1;
    const backbone = {
      ...preparedFrom('batch1', encodeModel(model), { tensor: 'map', reduce: 'spatial-mean-nchw', dim: 5 }),
      maxBatch: 1,
    };
    const h = await trainedHead(backbone, photos.slice(0, 12), 3);
    for (const flipTestTime of [false, true]) {
      const composed = await composeClassifierOnnx({
        backbone,
        head: h,
        classNames: CLASSES,
        graftVersion: 't',
        flipTestTime,
      });
      expect(composed).toMatchObject({ maxBatch: 1, inputShape: [1, 3, 8, 8] });
      const file = path.join(dir, `batch1-${flipTestTime}.onnx`);
      fs.writeFileSync(file, composed.bytes);
      const app = await appProbabilities(backbone, h, photos.slice(0, 12), { flipTestTime });
      const data = { crops: app.crops, expected: app.probabilities, preprocessing: backbone.preprocessing };
      expect(await checkOnnxParity(file, data, { tolerance: STRICT })).toMatchObject({
        ok: true,
        rows: 12,
        top1Agreement: 1,
      });
      await expectChecked(file);
    }
  });

  it('refuses a backbone above opset 17, a head from another backbone, and mismatched class names', async () => {
    const opset18 = preparedFrom('opset18', floatClassifier(5, 4, 8, 18), {
      tensor: 'map',
      reduce: 'spatial-mean-nchw',
      dim: 5,
    });
    const h5 = await randomHead(5, 3, 1);
    const attempt = (backbone: PreparedBackbone, h: HeadArtifacts, classNames: string[]) => () =>
      composeClassifierModel(fs.readFileSync(backbone.onnxPath), { backbone, head: h, classNames, graftVersion: 't' });
    expect(attempt(opset18, h5, CLASSES)).toThrow(ExportError);
    expect(attempt(opset18, h5, CLASSES)).toThrow(/opset 18; Graft exports ONNX at opsets 8-17/);
    expect(attempt(twoTaps, h5, CLASSES)).toThrow(/head reads 5 features but the backbone gives 20/);
    expect(attempt(twoTaps, head, ['a', 'b'])).toThrow(/3 outputs but 2 class names/);
  });

  it('reports a truncated or missing file as a failed check, with a message', async () => {
    const options = { backbone: twoTaps, head, classNames: CLASSES, graftVersion: 'test' };
    const composed = await composeClassifierOnnx(options);
    const truncated = path.join(dir, 'truncated.onnx');
    fs.writeFileSync(truncated, composed.bytes.subarray(0, Math.floor(composed.bytes.length * 0.6)));
    const crops = [new Uint8Array(16 * 16 * 3)];
    const data = { crops, expected: new Float32Array([0.2, 0.3, 0.5]), preprocessing: twoTaps.preprocessing };
    const report = await checkOnnxParity(truncated, data);
    expect(report).toMatchObject({ ok: false, code: 'EXPORT_UNREADABLE', top1Agreement: null, maxAbsDiff: null });
    expect(report.message).toMatch(/onnxruntime cannot load truncated\.onnx; the file is damaged or incomplete/);
    const missing = await checkOnnxParity(path.join(dir, 'nowhere.onnx'), data);
    expect(missing).toMatchObject({ ok: false, code: 'EXPORT_UNREADABLE' });

    const check = await checkOnnxFile(truncated);
    if (check.available) expect(check).toMatchObject({ ok: false });
    expect(await checkOnnxFile(truncated, { python: path.join(dir, 'no-python') })).toMatchObject({ available: false });
  });
});
