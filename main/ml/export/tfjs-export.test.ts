import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBundledBackbone } from '../backbones/bundled-backbones';
import { IMAGENET_NORMALISATION } from '../backbones/import-backbone';
import { appProbabilities } from './app-reference';
import { ExportError } from './export-error';
import {
  generatedPhoto,
  prepareTinyBackbone,
  randomHead,
  slantedPhoto,
  type TinyBackbone,
  trainedHead,
} from './export-fixtures';
import { checkTfjsParity } from './parity';
import { exportTfjsClassifier, tfjsExportSupport } from './tfjs-export';

const CLASSES = ['ant', 'bee', 'wasp', 'fly'];
const STRICT = 1e-5;

let dir = '';
let photos: Buffer[] = [];
let tiny: TinyBackbone;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-tfjs-export-'));
  photos = await Promise.all(Array.from({ length: 50 }, (_, i) => generatedPhoto(200 + i, i % 4, 22, 26, 'png')));
  tiny = await prepareTinyBackbone(dir, {
    taps: ['block1', 'block2'],
    layout: 'NCHW',
    normalisation: IMAGENET_NORMALISATION,
  });
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('exportTfjsClassifier', () => {
  it('writes the whole two-tap model, which TF.js reloads from disk and which matches the app', async () => {
    const head = await trainedHead(tiny.prepared, photos, CLASSES.length, 8);
    const outDir = path.join(dir, 'tiny-tfjs');
    const result = await exportTfjsClassifier({
      backbone: tiny.prepared.spec,
      backboneArtifacts: tiny.artifacts,
      head,
      classNames: CLASSES,
      graftVersion: '0.1.0-test',
      outDir,
    });
    if (!result.supported) throw new Error(result.reason);
    expect(result.files).toEqual(['model.json', 'group1-shard1of1.bin']);
    expect(fs.readdirSync(outDir).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    const json = JSON.parse(fs.readFileSync(path.join(outDir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.userDefinedMetadata.graft.classNames).toEqual(CLASSES);
    expect(json.userDefinedMetadata.graft.input).toMatchObject({ layout: 'NHWC', shape: ['N', 16, 16, 3] });
    const classes = json.modelTopology.config.layers.map((l: { class_name: string }) => l.class_name);
    expect(classes).toEqual(expect.arrayContaining(['LayerNormalization', 'Cropping2D', 'Rescaling', 'Dense']));

    const app = await appProbabilities(tiny.prepared, head, photos);
    const data = { crops: app.crops, expected: app.probabilities, preprocessing: tiny.prepared.preprocessing };
    const report = await checkTfjsParity(outDir, data, { tolerance: STRICT });
    expect(report).toMatchObject({ ok: true, code: 'PARITY_OK', rows: 50, top1Agreement: 1 });
  });

  it('averages each photo with its mirror image from standard layers, as the app does, on borderline photos', async () => {
    const slanted = await Promise.all(
      Array.from({ length: 30 }, (_, i) => slantedPhoto(700 + i, i % 2 === 0 ? 1 : -1, 22, 20)),
    );
    const classes = ['rising', 'falling'];
    const head = await trainedHead(tiny.prepared, slanted, classes.length, 8);
    const app = await appProbabilities(tiny.prepared, head, slanted, { flipTestTime: true });
    const single = await appProbabilities(tiny.prepared, head, slanted);
    const gap = Math.max(...app.probabilities.map((p, i) => Math.abs(p - single.probabilities[i])));
    expect(gap).toBeGreaterThan(0.05);
    const data = { crops: app.crops, expected: app.probabilities, preprocessing: tiny.prepared.preprocessing };
    const options = {
      backbone: tiny.prepared.spec,
      backboneArtifacts: tiny.artifacts,
      head,
      classNames: classes,
      graftVersion: 'test',
    };
    const tensors = tf.memory().numTensors;
    const outDir = path.join(dir, 'mirror-tfjs');
    const result = await exportTfjsClassifier({ ...options, outDir, flipTestTime: true });
    if (!result.supported) throw new Error(result.reason);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(result.description.views).toMatch(/^Two:/);
    const json = JSON.parse(fs.readFileSync(path.join(outDir, 'model.json'), 'utf8'));
    const layers = json.modelTopology.config.layers.map((l: { class_name: string }) => l.class_name);
    expect(layers).toEqual(['InputLayer', 'Permute', 'Dense', 'Permute', 'Model', 'Average']);
    const report = await checkTfjsParity(outDir, data, { tolerance: STRICT });
    expect(report).toMatchObject({ ok: true, code: 'PARITY_OK', rows: 30, top1Agreement: 1 });

    const oneViewDir = path.join(dir, 'one-view-tfjs');
    await exportTfjsClassifier({ ...options, outDir: oneViewDir });
    expect(await checkTfjsParity(oneViewDir, data)).toMatchObject({ ok: false, code: 'EXPORT_MISMATCH' });
  });

  it('reports truncated weights and a damaged model.json as failed checks', async () => {
    const head = await randomHead(tiny.prepared.featureDim, 2, 12, 0);
    const outDir = path.join(dir, 'damaged');
    const result = await exportTfjsClassifier({
      backbone: tiny.prepared.spec,
      backboneArtifacts: tiny.artifacts,
      head,
      classNames: ['a', 'b'],
      graftVersion: 'test',
      outDir,
    });
    expect(result.supported).toBe(true);
    const data = {
      crops: [new Uint8Array(16 * 16 * 3)],
      expected: new Float32Array([0.5, 0.5]),
      preprocessing: tiny.prepared.preprocessing,
    };
    const shard = path.join(outDir, 'group1-shard1of1.bin');
    fs.truncateSync(shard, fs.statSync(shard).size - 100);
    const truncated = await checkTfjsParity(outDir, data);
    expect(truncated).toMatchObject({ ok: false, code: 'EXPORT_UNREADABLE' });
    expect(truncated.message).toMatch(/truncated or damaged/);
    fs.writeFileSync(path.join(outDir, 'model.json'), '{"modelTopology": {"class_na');
    expect(await checkTfjsParity(outDir, data)).toMatchObject({ ok: false, code: 'EXPORT_UNREADABLE' });
  });

  it('refuses a folder that holds files, and GraphModel or ONNX backbones with a reason', async () => {
    const head = await randomHead(tiny.prepared.featureDim, 2, 13, 0);
    const busy = path.join(dir, 'busy');
    fs.mkdirSync(busy);
    fs.writeFileSync(path.join(busy, 'notes.txt'), 'mine');
    const options = {
      backbone: tiny.prepared.spec,
      backboneArtifacts: tiny.artifacts,
      head,
      classNames: ['a', 'b'],
      graftVersion: 't',
    };
    await expect(exportTfjsClassifier({ ...options, outDir: busy })).rejects.toThrow(/already holds files/);
    await expect(exportTfjsClassifier({ ...options, outDir: busy, overwrite: true })).rejects.toThrow(
      /not part of a TF.js export \(notes.txt\)/,
    );
    expect(fs.readdirSync(busy)).toEqual(['notes.txt']);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.partial-') || f.includes('.replaced-'))).toEqual([]);

    const previous = path.join(dir, 'previous');
    await exportTfjsClassifier({ ...options, outDir: previous });
    await expect(exportTfjsClassifier({ ...options, outDir: previous })).rejects.toThrow(ExportError);
    const again = await exportTfjsClassifier({ ...options, classNames: ['x', 'y'], outDir: previous, overwrite: true });
    expect(again.supported).toBe(true);
    const json = JSON.parse(fs.readFileSync(path.join(previous, 'model.json'), 'utf8'));
    expect(json.userDefinedMetadata.graft.classNames).toEqual(['x', 'y']);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('previous'))).toEqual(['previous']);

    const graphModel = findBundledBackbone('nsfwjs-mobilenet-v2-140');
    if (!graphModel) throw new Error('bundled backbone missing');
    expect(tfjsExportSupport(graphModel)).toEqual({
      supported: false,
      reason:
        'A TF.js export joins the backbone and the trained head into one TF.js LayersModel; this backbone is a TF.js GraphModel, which cannot be joined that way. Export ONNX instead: it holds the whole model in one file.',
    });
    const result = await exportTfjsClassifier({
      ...options,
      backbone: graphModel,
      backboneArtifacts: undefined,
      outDir: path.join(dir, 'never'),
    });
    expect(result.supported).toBe(false);
    expect(fs.existsSync(path.join(dir, 'never'))).toBe(false);
    const onnx = {
      ...tiny.prepared.spec,
      source: { kind: 'imported', path: 'x.onnx', sha256: '', origin: 'onnx' },
    } as const;
    expect(tfjsExportSupport(onnx)).toMatchObject({ supported: false, reason: expect.stringMatching(/ONNX file/) });
    const importedTfjs = tiny.prepared.spec;
    expect(tfjsExportSupport(importedTfjs)).toMatchObject({
      supported: false,
      reason: expect.stringMatching(/original model folder/),
    });
  });
});
