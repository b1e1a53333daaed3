import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../../common/seeded-random';
import { useWasmBackend } from '../tfjs-backend';

// Each case runs once on tfjs's reference cpu backend and once on wasm (where the kernels under
// test are Graft's), from the same numbers.
type Inputs = Record<string, { shape: number[]; values: Float32Array }>;

function randomInputs(shapes: Record<string, number[]>, seed: number): Inputs {
  const random = seededRandom(seed);
  const out: Inputs = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => random() * 2 - 1);
    out[name] = { shape, values };
  }
  return out;
}

async function onBackend(backend: string, inputs: Inputs, compute: (t: Record<string, tf.Tensor>) => tf.Tensor[]) {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const tensors = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.values, v.shape)]));
    return compute(tensors).map((t) => ({ shape: t.shape, values: t.dataSync() as Float32Array }));
  });
}

/** max |a-b| / max(1, |b|) over all outputs: relative for large values, absolute near zero. */
async function maxRelativeError(inputs: Inputs, compute: (t: Record<string, tf.Tensor>) => tf.Tensor[]) {
  const reference = await onBackend('cpu', inputs, compute);
  const wasm = await onBackend('wasm', inputs, compute);
  let worst = 0;
  reference.forEach((r, i) => {
    expect(wasm[i].shape).toEqual(r.shape);
    r.values.forEach((v, j) => {
      worst = Math.max(worst, Math.abs(wasm[i].values[j] - v) / Math.max(1, Math.abs(v)));
    });
  });
  return worst;
}

interface ConvCase {
  n: number;
  h: number;
  w: number;
  c: number;
  out: number;
  k: number;
  stride: 1 | 2;
  pad: 'same' | 'valid';
}

/** Every kernel size x stride x padding combination, with channel counts and sizes drawn per case. */
function convCases(seed: number): ConvCase[] {
  const random = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const cases: ConvCase[] = [];
  for (const k of [1, 3, 5]) {
    for (const stride of [1, 2] as const) {
      for (const pad of ['same', 'valid'] as const) {
        cases.push({ n: int(1, 3), h: int(k, 11), w: int(k, 11), c: int(1, 13), out: int(1, 13), k, stride, pad });
      }
    }
  }
  return cases;
}

const label = (c: ConvCase, outChannels = true) =>
  `${c.k}x${c.k} s${c.stride} ${c.pad} [${c.n},${c.h},${c.w},${c.c}]${outChannels ? `→${c.out}` : ''}`;

beforeAll(async () => {
  expect(await useWasmBackend()).toBe(true);
});

describe('wasm gradient kernels', () => {
  it('registers what wasm lacks', () => {
    for (const k of [
      'Conv2DBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
      'DepthwiseConv2dNativeBackpropFilter',
    ]) {
      expect(tf.getKernel(k, 'wasm'), k).toBeDefined();
    }
  });

  it.each(convCases(11).map((c) => [label(c), c] as const))('conv2d gradients match cpu: %s', async (_, c) => {
    const inputs = randomInputs({ x: [c.n, c.h, c.w, c.c], w: [c.k, c.k, c.c, c.out] }, c.k * 100 + c.h);
    const error = await maxRelativeError(inputs, ({ x, w }) => {
      const f = (xx: tf.Tensor, ww: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.stride, c.pad)));
      return tf.grads(f)([x, w]);
    });
    expect(error).toBeLessThanOrEqual(1e-4);
  });

  it.each(convCases(12).map((c) => [label(c, false), c] as const))(
    'depthwise gradients match cpu: %s',
    async (_, c) => {
      const inputs = randomInputs({ x: [c.n, c.h, c.w, c.c], w: [c.k, c.k, c.c, 1] }, c.k * 100 + c.w);
      const error = await maxRelativeError(inputs, ({ x, w }) => {
        const f = (xx: tf.Tensor, ww: tf.Tensor) =>
          tf.sum(tf.square(tf.depthwiseConv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.stride, c.pad)));
        return tf.grads(f)([x, w]);
      });
      expect(error).toBeLessThanOrEqual(1e-4);
    },
  );

  it('explicit padding, and depthwise with a channel multiplier, match cpu', async () => {
    const inputs = randomInputs({ x: [2, 7, 6, 3], dw: [3, 3, 3, 2], w: [3, 2, 3, 4] }, 5);
    const pads: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [2, 0],
      [1, 2],
      [0, 0],
    ];
    for (const stride of [1, 2]) {
      const error = await maxRelativeError(inputs, ({ x, dw, w }) => {
        const f = (xx: tf.Tensor, dd: tf.Tensor, ww: tf.Tensor) => {
          const depthwise = tf.depthwiseConv2d(xx as tf.Tensor4D, dd as tf.Tensor4D, stride, pads);
          const conv = tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, stride, pads);
          return tf.add(tf.sum(tf.square(depthwise)), tf.sum(tf.square(conv)));
        };
        return tf.grads(f)([x, dw, w]);
      });
      expect(error).toBeLessThanOrEqual(1e-4);
    }
  });

  it('a conv + depthwise + BatchNorm + ReLU6 net has the cpu backend’s gradients, through fused ops too', async () => {
    const inputs = randomInputs(
      {
        x: [2, 9, 9, 4],
        stem: [3, 3, 4, 8],
        expand: [1, 1, 8, 16],
        dw: [3, 3, 16, 1],
        project: [1, 1, 16, 8],
        bias: [16],
        gamma: [16],
        beta: [16],
        mean: [16],
        variance: [16],
      },
      21,
    );
    inputs.variance.values = inputs.variance.values.map((v) => 0.5 + Math.abs(v));
    const error = await maxRelativeError(inputs, (t) => {
      const net = (x: tf.Tensor, stem: tf.Tensor, expand: tf.Tensor, dw: tf.Tensor, project: tf.Tensor) => {
        const s = tf.relu6(tf.conv2d(x as tf.Tensor4D, stem as tf.Tensor4D, 2, 'same'));
        const e = tf.fused.conv2d({
          x: s,
          filter: expand as tf.Tensor4D,
          strides: 1,
          pad: 'same',
          bias: t.bias,
          activation: 'relu6',
        });
        const d = tf.depthwiseConv2d(e, dw as tf.Tensor4D, 1, 'same');
        const bn = tf.relu6(tf.batchNorm(d, t.mean, t.variance, t.beta, t.gamma, 1e-3));
        const p = tf.conv2d(bn as tf.Tensor4D, project as tf.Tensor4D, 1, 'same');
        return tf.sum(tf.square(tf.add(p, s)));
      };
      return tf.grads(net)([t.x, t.stem, t.expand, t.dw, t.project]);
    });
    expect(error).toBeLessThanOrEqual(1e-4);
  });

  it('leaves no tensors behind', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([2, 8, 8, 6]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 6, 1]) as tf.Tensor4D;
    const p = tf.randomNormal([1, 1, 6, 5]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.conv2d(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), c as tf.Tensor4D, 1, 'same')),
    )([x, w, p]);
    expect(tf.memory().numTensors).toBe(before + 3);
    tf.dispose([...grads, x, w, p]);
  });
});
