// TensorFlow convolution and pooling geometry in ONNX terms, shared by both TF.js converters.
import type { DecodedWeight } from '../tfjs/tfjs-artifacts';
import { attr, type OnnxAttribute } from './onnx-graph-builder';

/** Padding [before, after] along one spatial axis, or null when TF 'SAME' must be resolved at run time. */
export type AxisPads = [number, number] | null;

/** TF padding along one axis: 'valid' (plus any explicit padding) or 'same' (odd pixel at the end). */
export function tfPads(
  size: number | null,
  k: number,
  s: number,
  d: number,
  padding: 'same' | 'valid',
  extraBefore = 0,
  extraAfter = 0,
): AxisPads {
  if (padding === 'valid') return [extraBefore, extraAfter];
  if (size === null) return null;
  const eff = (k - 1) * d + 1;
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + eff - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

export function padAttrs(h: AxisPads, w: AxisPads): Record<string, OnnxAttribute> {
  // TF's 'SAME' puts the odd pixel at the end, which is ONNX SAME_UPPER.
  if (h === null || w === null) return { auto_pad: attr.string('SAME_UPPER') };
  return { pads: attr.ints([h[0], w[0], h[1], w[1]]) };
}

export function outSize(size: number | null, k: number, s: number, d: number, pads: AxisPads): number | null {
  if (size === null) return null;
  if (pads === null) return Math.ceil(size / s);
  const eff = (k - 1) * d + 1;
  return Math.floor((size + pads[0] + pads[1] - eff) / s) + 1;
}

/** TF/Keras conv kernel [kh, kw, in, out] -> ONNX [out, in, kh, kw]. */
export function convKernelToOnnx(k: DecodedWeight): Float32Array {
  const [kh, kw, cin, cout] = k.shape;
  const src = k.data;
  const out = new Float32Array(src.length);
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < cin; i++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) out[((o * cin + i) * kh + y) * kw + x] = src[((y * kw + x) * cin + i) * cout + o];
  return out;
}

/** TF/Keras depthwise kernel [kh, kw, in, mult] -> ONNX grouped Conv [in*mult, 1, kh, kw] (channel i*mult+m). */
export function depthwiseKernelToOnnx(k: DecodedWeight): Float32Array {
  const [kh, kw, cin, mult] = k.shape;
  const src = k.data;
  const out = new Float32Array(src.length);
  for (let i = 0; i < cin; i++)
    for (let m = 0; m < mult; m++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) out[((i * mult + m) * kh + y) * kw + x] = src[((y * kw + x) * cin + i) * mult + m];
  return out;
}
