import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageFile } from '../backbones/package-files';
import { layersModelToOnnx } from '../onnx/layers-to-onnx';
import { loadLayersArtifacts, runOnnx, saveArtifacts, seededArray } from '../onnx/parity-support';
import * as ort from '../onnxruntime';
import { readUmdModel, type TfjsArtifacts } from '../tfjs/tfjs-artifacts';
import { useWasmBackend } from '../tfjs-backend';
import { FineTuneError } from './finetune-error';
import { invertedResidualBlocks, splitAtTopBlocks, trunkToOnnx } from './layers-top';
import { MINI_MOBILENET_SIZE, miniMobileNetV2 } from './mobilenet-v2-fixture';

/** max |a-b| / max(1, |b|). */
function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

function photos(n: number, size: number, seed: number): tf.Tensor4D {
  return tf.tensor4d(seededArray(n * size * size * 3, seed, 0, 1), [n, size, size, 3]);
}

/** The tap activation the app's own ONNX conversion computes for the whole network. */
async function onnxTap(artifacts: TfjsArtifacts, tapLayer: string, x: tf.Tensor4D): Promise<Float32Array> {
  const whole = layersModelToOnnx(artifacts, { inputLayout: 'NHWC', outputs: [tapLayer] });
  const feeds = { [whole.inputs[0].name]: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape) };
  return (await runOnnx(whole.bytes, feeds))[whole.outputs[0].name];
}

/** ONNX trunk (onnxruntime) -> tfjs top, as stage 2 runs it. */
async function trunkThenTop(artifacts: TfjsArtifacts, blockCount: number, tapLayer: string, x: tf.Tensor4D) {
  const split = splitAtTopBlocks(await loadLayersArtifacts(artifacts), { tapLayer, blockCount });
  const trunk = trunkToOnnx(artifacts, split, 'NHWC');
  const feeds = { [trunk.inputName]: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape) };
  const cut = (await runOnnx(trunk.bytes, feeds))[trunk.outputName];
  const top = tf.tidy(() => split.run(tf.tensor4d(cut, [x.shape[0], ...split.cutShape])).dataSync());
  return { split, top: top as Float32Array };
}

beforeAll(async () => {
  expect(await useWasmBackend()).toBe(true);
});

describe('splitAtTopBlocks on a miniature Keras MobileNetV2', () => {
  it('finds the blocks and cuts at the input of the top ones', () => {
    const model = miniMobileNetV2(1);
    expect(invertedResidualBlocks(model).map((b) => b.id)).toEqual([1, 2, 3, 4, 5, 6]);
    const split = splitAtTopBlocks(model, { tapLayer: 'out_relu', blockCount: 2 });
    expect(split.cutLayer).toBe('block_4_add');
    expect(split.cutShape).toEqual([4, 4, 12]);
    expect(split.blocks).toEqual([5, 6]);
    const topNames = split.top.layers.map((l) => l.name);
    expect(topNames).toContain('block_5_add');
    expect(topNames).toContain('Conv_1');
    expect(topNames).not.toContain('block_4_project');
    expect(topNames).not.toContain('predictions');
    // Kernels of block_5/6 expand, depthwise, project and Conv_1; no BatchNormalization weight.
    expect(split.trainable.map((v) => v.name).sort()).toEqual(
      [
        'block_5_expand',
        'block_5_depthwise',
        'block_5_project',
        'block_6_expand',
        'block_6_depthwise',
        'block_6_project',
        'Conv_1',
      ]
        .map((l) => (model.getLayer(l).trainableWeights[0].read() as tf.Variable).name)
        .sort(),
    );
  });

  it.each([1, 2, 3, 6])(
    'trunk then top equals the whole network at the tap, in tfjs and through the ONNX trunk (%i blocks)',
    async (blockCount) => {
      const model = miniMobileNetV2(2);
      const artifacts = await saveArtifacts(model);
      const x = photos(3, MINI_MOBILENET_SIZE, blockCount);
      const whole = tf.model({ inputs: model.inputs, outputs: model.getLayer('out_relu').getOutputAt(0) });
      const reference = tf.tidy(() => (whole.predict(x) as tf.Tensor).dataSync());

      const split = splitAtTopBlocks(model, { tapLayer: 'out_relu', blockCount });
      const inTfjs = tf.tidy(() => split.run(split.trunk.predict(x) as tf.Tensor4D).dataSync());
      expect(maxRelativeError(inTfjs, reference)).toBeLessThanOrEqual(1e-5);

      const viaOnnx = await trunkThenTop(artifacts, blockCount, 'out_relu', x);
      expect(maxRelativeError(viaOnnx.top, await onnxTap(artifacts, 'out_relu', x))).toBeLessThanOrEqual(1e-4);
      expect(maxRelativeError(viaOnnx.top, reference)).toBeLessThanOrEqual(1e-4);
    },
  );

  it('a training step, even in training mode, moves only the top’s convolutions: BatchNormalization and the trunk stay', () => {
    const model = miniMobileNetV2(3);
    const split = splitAtTopBlocks(model, { tapLayer: 'out_relu', blockCount: 2 });
    const snapshot = () => new Map(model.weights.map((w) => [w.name, w.read().dataSync().slice()]));
    const before = snapshot();
    const cut = split.trunk.predict(photos(4, MINI_MOBILENET_SIZE, 9)) as tf.Tensor4D;
    const optimizer = tf.train.sgd(0.1);
    // Even a training-mode call (what fit() makes) cannot move the frozen statistics.
    const inTraining = () => split.top.apply(cut, { training: true }) as tf.Tensor;
    optimizer.minimize(() => tf.mean(tf.square(inTraining())) as tf.Scalar, false, split.trainable);
    const after = snapshot();
    const trainableNames = new Set(split.trainable.map((v) => v.name));
    const changed = [...before.keys()].filter((k) => maxRelativeError(after.get(k) ?? [], before.get(k) ?? []) > 0);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((k) => trainableNames.has(k))).toBe(true);
    expect(changed.some((k) => k.startsWith('block_6_project'))).toBe(true);
  });

  it('after training, the source model converted whole to ONNX computes what trunk + trained top compute', async () => {
    const model = miniMobileNetV2(6);
    const x = photos(2, MINI_MOBILENET_SIZE, 4);
    const before = await onnxTap(await saveArtifacts(model), 'out_relu', x);
    const split = splitAtTopBlocks(model, { tapLayer: 'out_relu', blockCount: 3 });
    const cut = split.trunk.predict(photos(4, MINI_MOBILENET_SIZE, 8)) as tf.Tensor4D;
    const optimizer = tf.train.sgd(0.05);
    for (let i = 0; i < 3; i++) {
      optimizer.minimize(() => tf.mean(tf.square(split.run(cut))) as tf.Scalar, false, split.trainable);
    }
    const trained = tf.tidy(() => split.run(split.trunk.predict(x) as tf.Tensor4D).dataSync());
    const exported = await onnxTap(await saveArtifacts(model), 'out_relu', x);
    expect(maxRelativeError(exported, trained)).toBeLessThanOrEqual(1e-4);
    expect(maxRelativeError(exported, before)).toBeGreaterThan(1e-2);
  });

  it('refuses block counts, taps and cuts it cannot make, saying why', () => {
    const model = miniMobileNetV2(4);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return err instanceof FineTuneError ? `${err.code}: ${err.message}` : String(err);
      }
      return 'no error';
    };
    expect(code(() => splitAtTopBlocks(model, { tapLayer: 'out_relu', blockCount: 0 }))).toMatch(/^FINETUNE_INVALID/);
    expect(code(() => splitAtTopBlocks(model, { tapLayer: 'out_relu', blockCount: 7 }))).toMatch(/^FINETUNE_INVALID/);
    expect(code(() => splitAtTopBlocks(model, { tapLayer: 'nope', blockCount: 1 }))).toMatch(/^FINETUNE_INVALID/);
    // The tap below the cut: the top would not reach it.
    expect(code(() => splitAtTopBlocks(model, { tapLayer: 'block_2_add', blockCount: 1 }))).toMatch(
      /^FINETUNE_UNSUPPORTED: .*bypasses block 6/,
    );

    const L = tf.layers;
    const input = tf.input({ shape: [8, 8, 4] });
    const a = L.conv2d({ name: 'block_1_expand', filters: 4, kernelSize: 1 }).apply(input) as tf.SymbolicTensor;
    const b = L.conv2d({ name: 'block_2_expand', filters: 4, kernelSize: 1 }).apply(a) as tf.SymbolicTensor;
    const norm = L.layerNormalization({ name: 'block_2_norm' }).apply(b) as tf.SymbolicTensor;
    const skip = L.add({ name: 'skip' }).apply([norm, input]) as tf.SymbolicTensor;
    const odd = tf.model({ inputs: input, outputs: skip });
    expect(code(() => splitAtTopBlocks(odd, { tapLayer: 'block_2_norm', blockCount: 1 }))).toMatch(
      /^FINETUNE_UNSUPPORTED: Layer "block_2_norm" \(LayerNormalization\) above block 2/,
    );
    expect(code(() => splitAtTopBlocks(odd, { tapLayer: 'skip', blockCount: 1 }))).toMatch(/bypasses block 2/);
  });
});

describe('splitAtTopBlocks on the bundled nsfwjs MobileNetV2', () => {
  it('cuts before block_15 and its ONNX trunk + tfjs top reproduce out_relu', async () => {
    const artifacts = await readUmdModel(packageFile('nsfwjs', 'dist/models/mobilenet_v2/model.min.js'));
    const x = photos(2, 224, 5);
    const { split, top } = await trunkThenTop(artifacts, 2, 'out_relu', x);
    expect(split.cutLayer).toBe('block_14_add');
    expect(split.cutShape).toEqual([7, 7, 160]);
    expect(split.blocks).toEqual([15, 16]);
    expect(maxRelativeError(top, await onnxTap(artifacts, 'out_relu', x))).toBeLessThanOrEqual(1e-4);
  }, 60_000);
});
