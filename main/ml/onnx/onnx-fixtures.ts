// Small ONNX models written with the graph builder, for the tap and embedding tests.
import { attr, type Dim, OnnxGraphBuilder } from './onnx-graph-builder';
import { ElemType } from './onnx-proto';
import { seededArray } from './parity-support';

/**
 * Shaped like the ONNX Model Zoo's int8 MobileNetV2: a float conv map ("features"), quantised,
 * pooled by the uint8 QLinearGlobalAveragePool contrib op, dequantised and classified by MatMul + Add.
 */
export function quantisedClassifier(channels = 6, classes = 3, size = 8): Uint8Array {
  const b = new OnnxGraphBuilder('quantised');
  const x = b.claimName('input');
  b.addInput(x, ElemType.FLOAT, ['N', 3, size, size]);
  const w = b.addFloatInitializer('conv_w', [channels, 3, 3, 3], seededArray(channels * 27, 1, -0.5, 0.5));
  const bias = b.addFloatInitializer('conv_b', [channels], seededArray(channels, 2));
  b.addNode('Conv', [x, w, bias], [b.claimName('conv')], {
    kernel_shape: attr.ints([3, 3]),
    pads: attr.ints([1, 1, 1, 1]),
  });
  b.addNode('Relu', ['conv'], [b.claimName('features')]);
  const scale = b.addFloatInitializer('scale', [], Float32Array.of(0.02));
  const zp = b.addInitializer({ name: 'zp', dims: [], dataType: ElemType.UINT8, rawData: Uint8Array.of(0) });
  b.addNode('QuantizeLinear', ['features', scale, zp], [b.claimName('features_q')]);
  b.addNode('DequantizeLinear', ['features_q', scale, zp], [b.claimName('features_dq')]);
  b.addNode(
    'QLinearGlobalAveragePool',
    ['features_q', scale, zp, scale, zp],
    [b.claimName('pooled_q')],
    { channels_last: attr.int(0) },
    'com.microsoft',
  );
  const shape = b.addInt64Initializer('flat_shape', [2], [0, -1]);
  b.addNode('Reshape', ['pooled_q', shape], [b.claimName('flat_q')]);
  b.addNode('DequantizeLinear', ['flat_q', scale, zp], [b.claimName('flat')]);
  const fcw = b.addFloatInitializer('fc_w', [channels, classes], seededArray(channels * classes, 3));
  const fcb = b.addFloatInitializer('fc_b', [classes], seededArray(classes, 4));
  b.addNode('MatMul', ['flat', fcw], [b.claimName('logits_mm')]);
  b.addNode('Add', ['logits_mm', fcb], [b.claimName('logits')]);
  b.addOutput('logits', ElemType.FLOAT, ['N', classes]);
  return b.serialize({ extraOpsets: [{ domain: 'com.microsoft', version: 1 }], irVersion: 7 });
}

/** input [N,3,s,s] -> Conv -> Relu ("map") -> GlobalAveragePool -> Flatten ("pooled") -> Gemm ("logits") -> Softmax. */
export function floatClassifier(channels = 5, classes = 4, size = 8, opsetVersion = 13): Uint8Array {
  const b = new OnnxGraphBuilder('float_classifier');
  b.addInput(b.claimName('input'), ElemType.FLOAT, ['N', 3, size, size]);
  const w = b.addFloatInitializer('conv_w', [channels, 3, 3, 3], seededArray(channels * 27, 5, -0.5, 0.5));
  b.addNode('Conv', ['input', w], [b.claimName('map_pre')], { kernel_shape: attr.ints([3, 3]) });
  b.addNode('Relu', ['map_pre'], [b.claimName('map')]);
  b.addNode('GlobalAveragePool', ['map'], [b.claimName('gap')]);
  b.addNode('Flatten', ['gap'], [b.claimName('pooled')], { axis: attr.int(1) });
  const fw = b.addFloatInitializer('fc_w', [classes, channels], seededArray(classes * channels, 6));
  const fb = b.addFloatInitializer('fc_b', [classes], seededArray(classes, 7));
  b.addNode('Gemm', ['pooled', fw, fb], [b.claimName('logits')], { transB: attr.int(1) });
  b.addNode('Softmax', ['logits'], [b.claimName('probs')], { axis: attr.int(1) });
  b.addOutput('probs', ElemType.FLOAT, ['N', classes]);
  return b.serialize({ opsetVersion });
}

/** input (any declared shape, NCHW) -> GlobalAveragePool -> Flatten ("features"): a model that only declares its input size. */
export function pooledFeatureModel(shape: Dim[]): Uint8Array {
  const b = new OnnxGraphBuilder('pooled_features');
  b.addInput(b.claimName('input'), ElemType.FLOAT, shape);
  b.addNode('GlobalAveragePool', ['input'], [b.claimName('gap')]);
  b.addNode('Flatten', ['gap'], [b.claimName('features')], { axis: attr.int(1) });
  b.addOutput('features', ElemType.FLOAT, [shape[0], 3]);
  return b.serialize();
}

/** A backbone that sees nothing: input × 0, GlobalAveragePool, Flatten, + 1 ("features"), the same 3 numbers for every photo. */
export function blindFeatureModel(size = 32): Uint8Array {
  const b = new OnnxGraphBuilder('blind');
  b.addInput(b.claimName('input'), ElemType.FLOAT, ['N', 3, size, size]);
  b.addNode('Mul', ['input', b.addFloatInitializer('zero', [], Float32Array.of(0))], [b.claimName('dark')]);
  b.addNode('GlobalAveragePool', ['dark'], [b.claimName('gap')]);
  b.addNode('Flatten', ['gap'], [b.claimName('flat')], { axis: attr.int(1) });
  b.addNode('Add', ['flat', b.addFloatInitializer('one', [3], Float32Array.of(1, 1, 1))], [b.claimName('features')]);
  b.addOutput('features', ElemType.FLOAT, ['N', 3]);
  return b.serialize();
}
