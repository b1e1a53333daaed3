import { describe, expect, it } from 'vitest';
import type { TfjsArtifacts } from '../tfjs/tfjs-artifacts';
import { decodeWeights } from '../tfjs/tfjs-artifacts';
import { withTrainedWeights } from './fine-tuned-layers';

/** Two groups: a uint8-quantised kernel and a float32 bias, then a float32 kernel, as TF.js writes them. */
function artifacts(): TfjsArtifacts {
  const bias = new Uint8Array(new Float32Array([0.5, -0.25]).buffer);
  const kernel = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);
  return {
    model: {
      format: 'layers-model',
      modelTopology: { class_name: 'Model' },
      weightsManifest: [
        {
          paths: ['group1-shard1of1.bin'],
          weights: [
            { name: 'a/kernel', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', min: -1, scale: 0.5 } },
            { name: 'a/bias', shape: [2], dtype: 'float32' },
          ],
        },
        { paths: ['group2-shard1of1.bin'], weights: [{ name: 'b/kernel', shape: [2, 2], dtype: 'float32' }] },
      ],
    },
    groupData: [Uint8Array.from([0, 2, 4, ...bias]), kernel],
  };
}

describe('withTrainedWeights', () => {
  it('puts trained weights in as float32 and keeps every other weight byte for byte, quantised or not', () => {
    const before = artifacts();
    const after = withTrainedWeights(before, [{ name: 'a/bias_3', shape: [2], data: new Float32Array([7, 8]) }]);
    expect(after.model.modelTopology).toEqual(before.model.modelTopology);
    expect(after.model.weightsManifest[0].weights[0]).toEqual(before.model.weightsManifest[0].weights[0]);
    expect(after.groupData[0].subarray(0, 3)).toEqual(Uint8Array.from([0, 2, 4]));
    expect(after.groupData[1]).toEqual(before.groupData[1]);
    const decoded = decodeWeights(after);
    expect(Array.from(decoded.get('a/kernel')!.data)).toEqual([-1, 0, 1]);
    expect(Array.from(decoded.get('a/bias')!.data)).toEqual([7, 8]);
    expect(Array.from(decoded.get('b/kernel')!.data)).toEqual([1, 2, 3, 4]);
    // The input is left as it was.
    expect(Array.from(decodeWeights(before).get('a/bias')!.data)).toEqual([0.5, -0.25]);
  });

  it('drops the quantisation of a trained weight that was quantised', () => {
    const after = withTrainedWeights(artifacts(), [
      { name: 'a/kernel', shape: [3], data: new Float32Array([0.1, 0.2, 0.3]) },
    ]);
    expect(after.model.weightsManifest[0].weights[0]).toEqual({ name: 'a/kernel', shape: [3], dtype: 'float32' });
    expect(Array.from(decodeWeights(after).get('a/kernel')!.data)).toEqual(
      Array.from(new Float32Array([0.1, 0.2, 0.3])),
    );
    expect(Array.from(decodeWeights(after).get('a/bias')!.data)).toEqual([0.5, -0.25]);
  });

  it('refuses a trained weight the backbone does not have, of another shape, or given twice', () => {
    const one = (name: string, shape: number[]) => ({ name, shape, data: new Float32Array(shape[0]) });
    expect(() => withTrainedWeights(artifacts(), [one('c/kernel', [2])])).toThrow(/no weight "c\/kernel"/);
    expect(() => withTrainedWeights(artifacts(), [one('a/bias', [3])])).toThrow(/has shape \[3\].*\[2\]/);
    expect(() => withTrainedWeights(artifacts(), [one('a/bias', [2]), one('a/bias_1', [2])])).toThrow(/given twice/);
  });
});
