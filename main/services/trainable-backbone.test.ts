import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_BACKBONES } from '../ml/backbones/bundled-backbones';
import { preparedModelPath } from '../ml/backbones/prepare-backbone';
import { convChainFixture } from '../ml/finetune/onnx-chain-fixture';
import { exposeTaps } from '../ml/onnx/expose-node';
import { floatClassifier } from '../ml/onnx/onnx-fixtures';
import { decodeModel, encodeModel } from '../ml/onnx/onnx-proto';
import { fineTuneSupport, fineTuneSupportIn, tapTensorOf } from './trainable-backbone';

describe('fineTuneSupport', () => {
  it('offers fine-tuning for every bundled backbone: LayersModels by their layers, GraphModels by their ONNX graph', () => {
    for (const spec of BUNDLED_BACKBONES)
      expect(fineTuneSupport(spec)).toMatchObject({ supported: true, reason: null });
  });

  it('refuses, saying why, a backbone whose feature is not one channels-first feature map', () => {
    const [base] = BUNDLED_BACKBONES.filter(
      (b) => b.source.kind === 'bundled' && b.source.format !== 'tfjs-layers-umd',
    );
    const tap = base.taps[0];
    const twoTaps = fineTuneSupport({ ...base, taps: [tap, tap] });
    expect(twoTaps.supported).toBe(false);
    expect(twoTaps.reason).toMatch(/2 tensors; fine-tuning needs one/);
    // A flat tap qualifies when the graph itself averages a map: tapTensorOf decides on load.
    expect(fineTuneSupport({ ...base, taps: [{ ...tap, reduce: 'none' }] }).supported).toBe(true);
    const nhwc = fineTuneSupport({ ...base, taps: [{ ...tap, reduce: 'spatial-mean-nhwc' }] });
    expect(nhwc).toMatchObject({ supported: false, reason: expect.stringMatching(/channels-last/) });
  });
});

describe('tapTensorOf', () => {
  it('finds the feature map a prepared model averages for its feature', () => {
    const prepared = exposeTaps(floatClassifier(), [{ tensor: 'map', reduce: 'spatial-mean-nchw' }]).bytes;
    expect(tapTensorOf(prepared)).toBe('map');
    // A flat tap the graph averages itself (GlobalAveragePool -> Flatten) is that map's mean too.
    const pooled = exposeTaps(floatClassifier(), [{ tensor: 'pooled', reduce: 'none' }]).bytes;
    expect(tapTensorOf(pooled)).toBe('map');
    const logits = exposeTaps(floatClassifier(), [{ tensor: 'logits', reduce: 'none' }]).bytes;
    expect(() => tapTensorOf(logits)).toThrow(/not the spatial mean of a channels-first feature map/);
  });
});

describe('fineTuneSupportIn', () => {
  it('reads how many blocks a prepared ONNX backbone can retrain, naming the node that stops more', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-ft-support-'));
    try {
      const [graph] = BUNDLED_BACKBONES.filter(
        (b) => b.source.kind === 'bundled' && b.source.format !== 'tfjs-layers-umd',
      );
      const spec = { ...graph, id: 'chain', taps: [{ node: 'tap', reduce: 'spatial-mean-nchw' as const, dim: 16 }] };
      // Not prepared yet: supported, the blocks decided when a run loads it.
      expect(fineTuneSupportIn(spec, dir)).toEqual({ supported: true, reason: null, maxBlocks: null, limit: null });
      // The chain's boundaries are relu0 and relu1; relu1 made a Softplus leaves one block trainable.
      const model = decodeModel(convChainFixture());
      const relu1 = (model.graph?.node ?? []).find((n) => n.output?.[0] === 'relu1');
      if (!relu1) throw new Error('fixture changed');
      relu1.opType = 'Softplus';
      const prepared = exposeTaps(encodeModel(model), [{ tensor: 'tap', reduce: 'spatial-mean-nchw' }]).bytes;
      fs.mkdirSync(path.dirname(preparedModelPath(spec, dir)), { recursive: true });
      fs.writeFileSync(preparedModelPath(spec, dir), prepared);
      // A damaged prepared file says nothing about the blocks, and is never an error here.
      fs.writeFileSync(preparedModelPath(spec, dir), 'not a model');
      expect(fineTuneSupportIn(spec, dir)).toMatchObject({ supported: true, maxBlocks: null });
      fs.writeFileSync(preparedModelPath(spec, dir), prepared);
      const support = fineTuneSupportIn(spec, dir);
      expect(support).toMatchObject({ supported: true, maxBlocks: 1 });
      expect(support.limit).toMatch(/Softplus.*relu1.*unfreeze at most 1 block/);
      // A LayersModel whose graph has no trainable block is refused, naming the node.
      const [layers] = BUNDLED_BACKBONES.filter(
        (b) => b.source.kind === 'bundled' && b.source.format === 'tfjs-layers-umd',
      );
      const keras = { ...layers, id: 'keras-chain', taps: spec.taps };
      relu1.opType = 'Relu';
      const conv2 = (model.graph?.node ?? []).find((n) => n.output?.[0] === 'conv2');
      if (!conv2) throw new Error('fixture changed');
      conv2.opType = 'ConvTranspose';
      const untrainable = exposeTaps(encodeModel(model), [{ tensor: 'tap', reduce: 'spatial-mean-nchw' }]).bytes;
      fs.writeFileSync(preparedModelPath(keras, dir), untrainable);
      expect(fineTuneSupportIn(keras, dir)).toMatchObject({
        supported: false,
        reason: expect.stringMatching(/ConvTranspose.*no block above it can be unfrozen/),
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
