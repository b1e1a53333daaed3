// The convolution gradients tfjs-backend-wasm 4.22 does not have (Conv2DBackpropFilter,
// DepthwiseConv2dNativeBackpropInput, DepthwiseConv2dNativeBackpropFilter), composed from ops it
// does have, so a network with convolutions can train on wasm. Without them tf.grad of any
// conv or depthwise conv throws "Cannot find registered kernel" there.
//
// Speed: wasm is fast at forward convolutions (XNNPACK) and at matMul in the plain layout
// (A[m,k] @ B[k,n]); its matMul with transposeA/transposeB ran 1.3-10x slower, and its own
// Conv2DBackpropInput at a fraction of its Conv2D (bench/finetune.ts, docs/BENCHMARKS.md). So each
// gradient here is a plain matMul or a forward (depthwise) convolution with explicit transposes,
// and Conv2DBackpropInput of a 1x1 stride-1 convolution (the expand and project convolutions of
// inverted-residual blocks) is replaced by a forward Conv2D with the filter's channels swapped;
// any other Conv2DBackpropInput still runs wasm's own kernel.
//
// The derivations follow the definition of the forward correlation (TensorFlow's
// conv2d/depthwise_conv2d docs): y[n,i,j,o] = sum_{a,b,c} xpad[n, i*s+a, j*s+b, c] * w[a,b,c,o].
import * as tf from '@tensorflow/tfjs';

type Filter4 = [number, number, number, number];
type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

interface ConvAttrs {
  strides: number | [number, number];
  pad: Pad;
  dimRoundingMode?: Rounding;
  dilations?: number | [number, number];
  dataFormat?: 'NHWC' | 'NCHW';
}

/**
 * dW for conv2d: x [N,H,W,Ci], dy [N,Ho,Wo,Co] -> [kh,kw,Ci,Co]. NHWC, dilation 1.
 * 1x1 stride 1: one plain matMul, x^T [Ci, N*H*W] @ dy [N*H*W, Co]. Otherwise the
 * correlation of the padded input with dy as the filter, dilated by the stride: a forward
 * conv2d over [Ci, Hp, Wp, N] (batch = input channel, channels = photo) with filter
 * [Ho, Wo, N, Co] gives [Ci, kh, kw, Co].
 */
export function conv2dBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: Filter4,
  attrs: ConvAttrs,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = convInfo(x.shape, filterShape, attrs, false);
    const [kh, kw, ci, co] = filterShape;
    if (kh === 1 && kw === 1 && info.strideHeight === 1 && info.strideWidth === 1) {
      const cols = tf.transpose(tf.reshape(windowed(x, info), [-1, ci]));
      return tf.reshape(tf.matMul(cols, tf.reshape(dy, [-1, co])), filterShape);
    }
    const perChannel = tf.transpose(windowed(x, info), [3, 1, 2, 0]) as tf.Tensor4D;
    const dyFilter = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
    const rate: [number, number] = [info.strideHeight, info.strideWidth];
    return tf.transpose(tf.conv2d(perChannel, dyFilter, 1, 'valid', 'NHWC', rate), [1, 2, 0, 3]);
  });
}

/**
 * dW for depthwise conv2d: x [N,H,W,C], dy [N,Ho,Wo,C*m] -> [kh,kw,C,m]. Dilation 1.
 * Photos become channels ([1, Hp, Wp, N*C]); one forward depthwise conv with dy as the filter
 * ([Ho, Wo, N*C, m], dilated by the stride) gives every photo's [kh, kw] window sums, then
 * the photos are summed.
 */
export function depthwiseConv2dBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: Filter4,
  attrs: ConvAttrs,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = convInfo(x.shape, filterShape, attrs, true);
    const [kh, kw, c, m] = filterShape;
    const n = x.shape[0];
    const input = tf.transpose(windowed(x, info), [1, 2, 0, 3]);
    const photosAsChannels = tf.reshape(input, [1, input.shape[0], input.shape[1], n * c]) as tf.Tensor4D;
    const dyFilter = tf.reshape(tf.transpose(dy, [1, 2, 0, 3]), [info.outHeight, info.outWidth, n * c, m]);
    const rate: [number, number] = [info.strideHeight, info.strideWidth];
    const perPhoto = tf.depthwiseConv2d(photosAsChannels, dyFilter as tf.Tensor4D, 1, 'valid', 'NHWC', rate);
    return tf.sum(tf.reshape(perPhoto, [kh, kw, n, c, m]), 2) as tf.Tensor4D;
  });
}

/**
 * dx for depthwise conv2d: dy [N,Ho,Wo,C*m], filter [kh,kw,C,m] -> inputShape [N,H,W,C].
 * The transposed correlation: dy dilated by the stride, padded so the flipped filter's valid
 * correlation lands on the input's rows and columns, then one forward depthwise conv.
 */
export function depthwiseConv2dBackpropInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: Filter4,
  attrs: ConvAttrs,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, c, m] = filter.shape;
    const info = convInfo(inputShape, filter.shape, attrs, true);
    const [n, h, w] = inputShape;
    let spread: tf.Tensor4D = dilate(dilate(dy, 1, info.strideHeight), 2, info.strideWidth);
    spread = padOrCrop(spread, 1, kh - 1 - info.padInfo.top, h + kh - 1);
    spread = padOrCrop(spread, 2, kw - 1 - info.padInfo.left, w + kw - 1);
    const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [kh, kw, c * m, 1]) as tf.Tensor4D;
    const perOutput = tf.depthwiseConv2d(spread, flipped, 1, 'valid');
    if (m === 1) return perOutput;
    return tf.sum(tf.reshape(perOutput, [n, h, w, c, m]), 4) as tf.Tensor4D;
  });
}

/**
 * dx for a 1x1 stride-1 unpadded conv2d (see isPlainPointwise) as a forward conv with the
 * filter's in/out channels swapped: dx[., ci] = sum_co dy[., co] * w[0, 0, ci, co].
 */
export function pointwiseConv2dBackpropInput(dy: tf.Tensor4D, filter: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.conv2d(dy, tf.transpose(filter, [0, 1, 3, 2]) as tf.Tensor4D, 1, 'valid'));
}

/** True for a 1x1, stride-1, unpadded NHWC conv2d: where pointwiseConv2dBackpropInput applies. */
export function isPlainPointwise(filterShape: Filter4, inputShape: Filter4, attrs: ConvAttrs): boolean {
  const [kh, kw] = filterShape;
  if (kh !== 1 || kw !== 1 || (attrs.dataFormat ?? 'NHWC') !== 'NHWC') return false;
  const info = convInfo(inputShape, filterShape, attrs, false);
  const unpadded = info.padInfo.top === 0 && info.padInfo.left === 0;
  const sameSize = info.outHeight === inputShape[1] && info.outWidth === inputShape[2];
  return info.strideHeight === 1 && info.strideWidth === 1 && unpadded && sameSize;
}

function convInfo(
  inShape: number[],
  filterShape: number[],
  attrs: ConvAttrs,
  depthwise: boolean,
): tf.backend_util.Conv2DInfo {
  if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC') {
    throw new Error('Graft wasm gradient kernels support NHWC convolutions only.');
  }
  const dilations = attrs.dilations ?? 1;
  if (!tf.backend_util.tupleValuesAreOne(dilations)) {
    throw new Error(`Graft wasm gradient kernels support dilation 1 only; got ${String(dilations)}.`);
  }
  return tf.backend_util.computeConv2DInfo(
    inShape as Filter4,
    filterShape as Filter4,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
  );
}

/** x [N,H,W,C] padded (or cropped) to exactly the rows and columns the forward windows reach. */
function windowed(x: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo, filterHeight: kh, filterWidth: kw } = info;
  const rows = padOrCrop(x, 1, info.padInfo.top, (ho - 1) * sh + kh);
  return padOrCrop(rows, 2, info.padInfo.left, (wo - 1) * sw + kw);
}

/** Zeros before (or, if `before` < 0, rows dropped) along `axis`, then padded or cut to `length`. */
function padOrCrop<T extends tf.Tensor>(t: T, axis: number, before: number, length: number): T {
  let out: tf.Tensor = t;
  if (before < 0) out = sliceAxis(out, axis, -before, out.shape[axis] + before);
  else if (before > 0) out = tf.pad(out, padding(out.rank, axis, before, 0));
  const size = out.shape[axis];
  if (size > length) out = sliceAxis(out, axis, 0, length);
  else if (size < length) out = tf.pad(out, padding(out.rank, axis, 0, length - size));
  return out as T;
}

function sliceAxis(t: tf.Tensor, axis: number, begin: number, size: number): tf.Tensor {
  const begins = t.shape.map((_, i) => (i === axis ? begin : 0));
  const sizes = t.shape.map((d, i) => (i === axis ? size : d));
  return tf.slice(t, begins, sizes);
}

function padding(rank: number, axis: number, before: number, after: number): Array<[number, number]> {
  return Array.from({ length: rank }, (_, i) => (i === axis ? [before, after] : [0, 0]));
}

/** Inserts stride-1 zeros after every row (axis 1) or column (axis 2): [.., L, ..] -> [.., L*stride, ..]. */
function dilate(t: tf.Tensor4D, axis: 1 | 2, stride: number): tf.Tensor4D {
  if (stride === 1) return t;
  const shape: Filter4 = [...t.shape];
  shape[axis] *= stride;
  const expanded = tf.expandDims(t, axis + 1);
  return tf.reshape(tf.pad(expanded, padding(expanded.rank, axis + 1, 0, stride - 1)), shape);
}

const BACKEND = 'wasm';
let registered = false;

/**
 * Registers the three missing gradient kernels and the 1x1 Conv2DBackpropInput fast path for
 * the wasm backend. Idempotent; call after the wasm backend is registered (tfjs-backend-wasm
 * imported). Kernels receive the attrs tfjs-core's gradient configs pass (strides, pad,
 * dimRoundingMode, dilations, filterShape/inputShape); NCHW or dilation > 1 throws.
 */
export function registerWasmGradientKernels(): void {
  if (registered) return;
  registered = true;
  type Attrs = ConvAttrs & { filterShape: Filter4; inputShape: Filter4 };
  type Run = (inputs: tf.NamedTensorInfoMap, attrs: Attrs, backend: tf.KernelBackend) => tf.TensorInfo;
  const register = (kernelName: string, run: Run) => {
    const own = tf.getKernel(kernelName, BACKEND);
    if (own) tf.unregisterKernel(kernelName, BACKEND);
    tf.registerKernel({
      ...own,
      kernelName,
      backendName: BACKEND,
      kernelFunc: ({ inputs, attrs, backend }) => run(inputs, attrs as unknown as Attrs, backend as tf.KernelBackend),
    });
  };
  register('Conv2DBackpropFilter', (i, a) => tf.tidy(() => conv2dBackpropFilter(t4(i.x), t4(i.dy), a.filterShape, a)));
  register('DepthwiseConv2dNativeBackpropFilter', (i, a) =>
    tf.tidy(() => depthwiseConv2dBackpropFilter(t4(i.x), t4(i.dy), a.filterShape, a)),
  );
  register('DepthwiseConv2dNativeBackpropInput', (i, a) =>
    tf.tidy(() => depthwiseConv2dBackpropInput(t4(i.dy), t4(i.filter), a.inputShape, a)),
  );
  // Replaces wasm's own kernel, which still runs where the 1x1 shortcut does not apply.
  const wasmOwn = tf.getKernel('Conv2DBackpropInput', BACKEND);
  if (!wasmOwn) throw new Error('tfjs-backend-wasm must be loaded before its gradient kernels are registered.');
  register('Conv2DBackpropInput', (i, a, backend) => {
    if (!isPlainPointwise(shape4(i.filter), a.inputShape, a)) {
      return wasmOwn.kernelFunc({ inputs: i, attrs: a as unknown as tf.NamedAttrMap, backend }) as tf.TensorInfo;
    }
    return tf.tidy(() => pointwiseConv2dBackpropInput(t4(i.dy), t4(i.filter)));
  });
}

/**
 * Kernel inputs are Tensors when called through ops; a bare TensorInfo gets a Tensor view,
 * which the caller's tidy disposes (the data stays with its owner).
 */
function t4(info: tf.TensorInfo | undefined): tf.Tensor4D {
  if (!info) throw new Error('A convolution gradient kernel was called without one of its inputs.');
  return (info instanceof tf.Tensor ? info : tf.engine().makeTensorFromTensorInfo(info)) as tf.Tensor4D;
}

function shape4(info: tf.TensorInfo | undefined): Filter4 {
  if (info?.shape.length !== 4) throw new Error('A convolution gradient kernel was called without a 4-d filter.');
  return info.shape as Filter4;
}
