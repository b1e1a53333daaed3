// Test support: an ONNX network without residual connections that declares a fixed batch of 1,
// as some ONNX Model Zoo models do, written with the graph builder and seeded weights.
import { attr, OnnxGraphBuilder } from '../onnx/onnx-graph-builder';
import { ElemType } from '../onnx/onnx-proto';
import { seededArray } from '../onnx/parity-support';

/** A chain without residual connections and a fixed batch of 1, as some zoo models declare: conv 3x3 s2, conv 3x3, conv 1x1, each with ReLU; tap "tap" [1, 16, 16, 16]. */
export function convChainFixture(size = 32): Uint8Array {
  const b = new OnnxGraphBuilder('chain');
  b.addInput(b.claimName('input_1'), ElemType.FLOAT, [1, 3, size, size]);
  let x = 'input_1';
  const layers: Array<[number, number, number, number]> = [
    [3, 8, 3, 2],
    [8, 8, 3, 1],
    [8, 16, 1, 1],
  ];
  for (const [i, [cin, cout, k, stride]] of layers.entries()) {
    const w = b.addFloatInitializer(`w${i}`, [cout, cin, k, k], seededArray(cout * cin * k * k, 40 + i, -0.6, 0.6));
    const bias = b.addFloatInitializer(`b${i}`, [cout], seededArray(cout, 50 + i, -0.1, 0.1));
    const pad = (k - 1) / 2;
    b.addNode('Conv', [x, w, bias], [b.claimName(`conv${i}`)], {
      kernel_shape: attr.ints([k, k]),
      pads: attr.ints([pad, pad, pad, pad]),
      strides: attr.ints([stride, stride]),
    });
    x = b.claimName(i === layers.length - 1 ? 'tap' : `relu${i}`);
    b.addNode('Relu', [`conv${i}`], [x]);
  }
  b.addOutput('tap', ElemType.FLOAT, [1, 16, size / 2, size / 2]);
  return b.serialize();
}
