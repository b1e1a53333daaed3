import { describe, expect, it } from 'vitest';
import { BUNDLED_BACKBONES } from '../ml/backbones/bundled-backbones';
import { exposeTaps } from '../ml/onnx/expose-node';
import { floatClassifier } from '../ml/onnx/onnx-fixtures';
import { fineTuneSupport, tapTensorOf } from './trainable-backbone';

describe('fineTuneSupport', () => {
  it('offers fine-tuning for every bundled backbone: LayersModels by their layers, GraphModels by their ONNX graph', () => {
    for (const spec of BUNDLED_BACKBONES) expect(fineTuneSupport(spec)).toEqual({ supported: true, reason: null });
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
