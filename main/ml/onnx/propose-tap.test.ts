import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { layersModelToOnnx } from './layers-to-onnx';
import { floatClassifier, quantisedClassifier } from './onnx-fixtures';
import { attr, OnnxGraphBuilder } from './onnx-graph-builder';
import { ElemType } from './onnx-proto';
import { randomiseWeights, saveArtifacts } from './parity-support';
import { proposeTap } from './propose-tap';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('proposeTap', () => {
  it('proposes the global-pool output that feeds the final Gemm (flattened when tapped)', () => {
    const p = proposeTap(floatClassifier());
    expect(p.tap).toEqual({ tensor: 'gap', reduce: 'none' });
    expect(p.candidates.map((c) => c.tensor)).toEqual(
      expect.arrayContaining(['probs', 'logits', 'pooled', 'gap', 'map']),
    );
  });

  it('proposes the float map before a quantised pool, to be averaged', () => {
    const p = proposeTap(quantisedClassifier());
    expect(['features', 'features_dq']).toContain(p.tap.tensor);
    expect(p.tap.reduce).toBe('spatial-mean-nchw');
    expect(p.reason).toMatch(/quantised/);
    expect(p.candidates.map((c) => c.tensor)).not.toContain('features_q');
  });

  it('treats a 1x1 convolution head as the classifier (Keras MobileNet style)', async () => {
    const L = tf.layers;
    const inp = tf.input({ shape: [8, 8, 3], name: 'img' });
    const conv = L.conv2d({ filters: 6, kernelSize: 3, activation: 'relu', name: 'conv' }).apply(inp);
    const gap = L.globalAveragePooling2d({ name: 'gap' }).apply(conv);
    const grid = L.reshape({ targetShape: [1, 1, 6], name: 'grid' }).apply(gap);
    const drop = L.dropout({ rate: 0.1, name: 'drop' }).apply(grid);
    const preds = L.conv2d({ filters: 4, kernelSize: 1, name: 'preds' }).apply(drop);
    const flat = L.reshape({ targetShape: [4], name: 'flat' }).apply(preds);
    const probs = L.activation({ activation: 'softmax', name: 'probs' }).apply(flat) as tf.SymbolicTensor;
    const model = tf.model({ inputs: inp, outputs: probs });
    randomiseWeights(model, 3);
    const converted = layersModelToOnnx(await saveArtifacts(model), { inputLayout: 'NCHW' });
    const p = proposeTap(converted.bytes);
    expect(p.tap.tensor).toBe('gap');
  });

  it('falls back to the output of a model without a classifier', () => {
    const p = proposeTap(embeddingModel());
    expect(p.tap.tensor).toBe('embedding');
    expect(p.reason).toMatch(/No final Gemm/);
  });
});

/** A feature extractor: its output is already the embedding. */
function embeddingModel(): Uint8Array {
  const b = new OnnxGraphBuilder('embedder');
  b.addInput(b.claimName('input'), ElemType.FLOAT, ['N', 3, 4, 4]);
  b.addNode('ReduceMean', ['input'], [b.claimName('embedding')], { axes: attr.ints([2, 3]), keepdims: attr.int(0) });
  b.addOutput('embedding', ElemType.FLOAT, ['N', 3]);
  return b.serialize();
}
