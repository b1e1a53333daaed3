import { describe, expect, it } from 'vitest';
import * as ort from '../onnxruntime';
import { ExposeError, exposeNode, exposeTaps } from './expose-node';
import { floatClassifier, quantisedClassifier } from './onnx-fixtures';
import { decodeModel } from './onnx-proto';
import { maxAbsDiff, runOnnx, seededArray } from './parity-support';

const N = 2;
const input = () => new ort.Tensor('float32', seededArray(N * 3 * 8 * 8, 42, 0, 1), [N, 3, 8, 8]);

/** Mean over the last two axes of an [N, C, H, W] array. */
function spatialMean(map: Float32Array, n: number, c: number, hw: number): Float32Array {
  const out = new Float32Array(n * c);
  for (let i = 0; i < n * c; i++) {
    let s = 0;
    for (let p = 0; p < hw; p++) s += map[i * hw + p];
    out[i] = s / hw;
  }
  return out;
}

describe('exposeNode', () => {
  it('adds an internal tensor to the graph outputs, keeping the others', async () => {
    const bytes = exposeNode(floatClassifier(), 'map');
    const out = await runOnnx(bytes, { input: input() });
    expect(Object.keys(out).sort()).toEqual(['map', 'probs']);
    expect(out.map.length).toBe(N * 5 * 6 * 6);
  });

  it('finds the type of a tensor the file does not declare (dequantised map of a quantised model)', async () => {
    const bytes = exposeNode(quantisedClassifier(), 'features_dq');
    const out = await runOnnx(bytes, { input: input() });
    expect(out.features_dq.length).toBe(N * 6 * 8 * 8);
  });

  it('refuses unknown tensors', () => {
    expect(() => exposeNode(floatClassifier(), 'nope')).toThrow(ExposeError);
  });
});

describe('exposeTaps', () => {
  it('averages a feature map over its spatial axes, flattened to [N, C]', async () => {
    const raw = await runOnnx(exposeNode(floatClassifier(), 'map'), { input: input() }, ['map']);
    const tapped = exposeTaps(floatClassifier(), [{ tensor: 'map', reduce: 'spatial-mean-nchw' }]);
    const out = await runOnnx(tapped.bytes, { input: input() });
    expect(tapped.tapOutputs).toEqual(['graft_tap_0']);
    expect(maxAbsDiff(out.graft_tap_0, spatialMean(raw.map, N, 5, 36))).toBeLessThan(1e-6);
  });

  it('drops the classifier the taps do not need', () => {
    const tapped = exposeTaps(floatClassifier(), [{ tensor: 'pooled', reduce: 'none' }]);
    const ops = decodeModel(tapped.bytes).graph?.node?.map((n) => n.opType);
    expect(ops).not.toContain('Gemm');
    expect(ops).not.toContain('Softmax');
    expect(decodeModel(tapped.bytes).graph?.initializer?.map((t) => t.name)).not.toContain('fc_w');
  });

  it('keeps the original outputs when asked, and serves several taps', async () => {
    const tapped = exposeTaps(
      floatClassifier(),
      [
        { tensor: 'map', reduce: 'spatial-mean-nchw' },
        { tensor: 'pooled', reduce: 'none' },
      ],
      { keepOriginalOutputs: true },
    );
    const out = await runOnnx(tapped.bytes, { input: input() });
    expect(Object.keys(out).sort()).toEqual(['graft_tap_0', 'graft_tap_1', 'probs']);
    expect(maxAbsDiff(out.graft_tap_0, out.graft_tap_1)).toBeLessThan(1e-6);
  });

  it('uses the ReduceMean axes input from opset 18 on', async () => {
    const tapped = exposeTaps(floatClassifier(5, 4, 8, 18), [{ tensor: 'map', reduce: 'spatial-mean-nchw' }]);
    const out = await runOnnx(tapped.bytes, { input: input() });
    expect(out.graft_tap_0.length).toBe(N * 5);
  });

  it('taps the float map of a quantised model and refuses its uint8 twin', async () => {
    const tapped = exposeTaps(quantisedClassifier(), [{ tensor: 'features', reduce: 'spatial-mean-nchw' }]);
    const out = await runOnnx(tapped.bytes, { input: input() });
    expect(out.graft_tap_0.length).toBe(N * 6);
    expect(() => exposeTaps(quantisedClassifier(), [{ tensor: 'features_q', reduce: 'none' }])).toThrow(/uint8/);
  });
});
