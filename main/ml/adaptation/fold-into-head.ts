import * as tf from '@tensorflow/tfjs';
import { type HeadArtifacts, loadHead, saveHead } from '../head/head-model';
import type { AffineMap } from './feature-alignment';

/**
 * A head that computes head(x·M + t) from raw features x: the affine map is absorbed by the
 * head's first Dense layer (kernel W, bias b → M·W and t·W + b), so the adapted model is the
 * same architecture and every path that reads a head (Predict, ONNX and TF.js export, parity)
 * works unchanged. Throws RangeError when the map's dim differs from the head's input.
 */
export async function foldAffineIntoHead(head: HeadArtifacts, map: AffineMap): Promise<HeadArtifacts> {
  const model = await loadHead(head);
  try {
    const first = model.layers.find((l) => l.getClassName() === 'Dense');
    if (!first) throw new Error('The head has no Dense layer to fold the alignment into.');
    const [kernel, bias] = first.getWeights() as [tf.Tensor2D, tf.Tensor1D];
    const [dim, units] = kernel.shape;
    if (dim !== map.dim) throw new RangeError(`The alignment is for ${map.dim} features, the head takes ${dim}.`);
    const folded = tf.tidy(() => {
      const m = map.kind === 'diagonal' ? tf.diag(tf.tensor1d(map.scale)) : tf.tensor2d(map.matrix, [dim, dim]);
      const newKernel = tf.matMul(m, kernel);
      const newBias = tf
        .matMul(tf.tensor2d(map.shift, [1, dim]), kernel)
        .reshape([units])
        .add(bias);
      return [newKernel, newBias];
    });
    first.setWeights(folded);
    tf.dispose(folded);
    return await saveHead(model);
  } finally {
    model.dispose();
  }
}
