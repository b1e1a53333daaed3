// npm run bench -- finetune [blocks...]: what stage 2 of fine-tuning costs on tfjs-wasm, on
// nsfwjs's Keras MobileNetV2 (a LayersModel):
// - the matMul layouts and the 1x1 Conv2DBackpropInput the wasm gradient kernels choose between;
// - onnxruntime's trunk up to the cut (photos/s at 224 px, filling the activation cache);
// - trainTop epochs at batch 16 from cut activations, per unfrozen block count (default 1 2 3),
//   as seconds per step and per epoch per 1,000 photos, with peak RSS.
// Photos are seeded noise: the figures are times, and times do not depend on the pixels.
import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../common/seeded-random';
import { packageFile } from '../main/ml/backbones/package-files';
import { createInferenceSession } from '../main/ml/embedding/embedder';
import { splitAtTopBlocks, trunkToOnnx } from '../main/ml/finetune/layers-top';
import { type CutActivations, trainTop } from '../main/ml/finetune/train-top';
import { buildHead } from '../main/ml/head/head-model';
import { seededArray } from '../main/ml/onnx/parity-support';
import * as ort from '../main/ml/onnxruntime';
import { readUmdModel, toModelArtifacts } from '../main/ml/tfjs/tfjs-artifacts';
import { useWasmBackend } from '../main/ml/tfjs-backend';
import { withPeakRss } from './peak-rss';

const BATCH = 16;
const TRAIN_PHOTOS = 96;
const VAL_PHOTOS = 16;
const SIZE = 224;

/** Mean milliseconds of `f` over `reps` runs after one warm-up. */
function timeMs(f: () => tf.Tensor, reps = 5): number {
  tf.tidy(() => f().dataSync());
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) tf.tidy(() => f().dataSync());
  return (performance.now() - t0) / reps;
}

/** wasm's own Conv2DBackpropInput, kept under another name before Graft's 1x1 path replaces it. */
const WASM_OWN_BACKPROP_INPUT = 'GraftBenchWasmConv2DBackpropInput';

function keepWasmOwnBackpropInput(): void {
  const own = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (!own) throw new Error('tfjs-backend-wasm is not loaded');
  tf.registerKernel({ ...own, kernelName: WASM_OWN_BACKPROP_INPUT });
}

function kernelFigures(): void {
  // block_16's expand convolution at batch 16: x [16,7,7,960] and dy [16,7,7,160] as [784, C].
  const [m, ci, co] = [BATCH * 49, 960, 160];
  const x = tf.randomNormal([m, ci]) as tf.Tensor2D;
  const dy = tf.randomNormal([m, co]) as tf.Tensor2D;
  const w = tf.randomNormal([1, 1, ci, co]) as tf.Tensor4D;
  const gflops = (ms: number) => ((2 * m * ci * co) / ms / 1e6).toFixed(1);
  const rows: Array<[string, number]> = [
    ['dW = x^T dy, matMul(transposeA)', timeMs(() => tf.matMul(x, dy, true, false))],
    ['dW = x^T dy, transpose + plain matMul (Graft)', timeMs(() => tf.matMul(tf.transpose(x), dy))],
    [
      "dx, 1x1 Conv2DBackpropInput (wasm's own)",
      timeMs(
        () =>
          tf
            .engine()
            .runKernel(
              WASM_OWN_BACKPROP_INPUT,
              { dy: tf.reshape(dy, [BATCH, 7, 7, co]), filter: w },
              { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: [BATCH, 7, 7, ci] },
            ) as tf.Tensor,
      ),
    ],
    [
      'dx, 1x1 Conv2DBackpropInput (Graft: conv2d, swapped filter)',
      timeMs(() =>
        tf.conv2dTranspose(tf.reshape(dy, [BATCH, 7, 7, co]) as tf.Tensor4D, w, [BATCH, 7, 7, ci], 1, 'same'),
      ),
    ],
    [
      'forward 1x1 conv2d, for scale',
      timeMs(() => tf.conv2d(tf.reshape(x, [BATCH, 7, 7, ci]) as tf.Tensor4D, w, 1, 'same')),
    ],
  ];
  console.log(`\nKernels on ${tf.getBackend()}: [${m} x ${ci}] x [${m} x ${co}] (block_16 expand, batch ${BATCH})`);
  console.log('| operation | ms | GFLOP/s |\n|---|---|---|');
  for (const [name, ms] of rows) console.log(`| ${name} | ${ms.toFixed(1)} | ${gflops(ms)} |`);
  tf.dispose([x, dy, w]);
}

/** Cut activations of `n` noise photos through the ONNX trunk; photos/s of that trunk. */
async function trunkActivations(trunk: ReturnType<typeof trunkToOnnx>, n: number, seed: number) {
  const session = await createInferenceSession(trunk.bytes);
  const chunks: Float32Array[] = [];
  const t0 = performance.now();
  for (let start = 0; start < n; start += BATCH) {
    const b = Math.min(BATCH, n - start);
    const pixels = seededArray(b * SIZE * SIZE * 3, seed + start, 0, 1);
    const out = await session.run({ [trunk.inputName]: new ort.Tensor('float32', pixels, [b, SIZE, SIZE, 3]) });
    chunks.push(out[trunk.outputName].data as Float32Array);
  }
  const photosPerSecond = n / ((performance.now() - t0) / 1000);
  await session.release();
  const data = new Float32Array(chunks.reduce((k, c) => k + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.length;
  }
  return { data, photosPerSecond };
}

async function stage2Figures(blockCount: number): Promise<void> {
  const modelPath = packageFile('nsfwjs', 'dist/models/mobilenet_v2/model.min.js');
  const artifacts = await readUmdModel(modelPath);
  const model = await tf.loadLayersModel(tf.io.fromMemory(toModelArtifacts(artifacts)));
  const split = splitAtTopBlocks(model, { tapLayer: 'out_relu', blockCount });
  const trunk = trunkToOnnx(artifacts, split, 'NHWC');
  const train = await trunkActivations(trunk, TRAIN_PHOTOS, 1);
  const val = await trunkActivations(trunk, VAL_PHOTOS, 2);
  const labels = (n: number) => Int32Array.from({ length: n }, (_, i) => i % 2);
  const set = (data: Float32Array, n: number): CutActivations => ({
    shape: split.cutShape,
    views: 1,
    data,
    y: labels(n),
  });
  const head = buildHead({ dim: 1280, classCount: 2 }, { hiddenUnits: 0, dropout: 0.1 }, seededRandom(1)).model;
  const { result, peakRssMb } = await withPeakRss(() =>
    trainTop(
      split,
      head,
      { classCount: 2, train: set(train.data, TRAIN_PHOTOS), val: set(val.data, VAL_PHOTOS) },
      {
        seed: 1,
        blockLearningRate: 1e-4,
        headLearningRate: 1e-3,
        batchSize: BATCH,
        maxEpochs: 2,
        patience: 2,
        classWeighting: true,
      },
    ),
  );
  // Epoch 1 includes tfjs's first-call set-up; epoch 2 is the steady state.
  const epoch = result.epochs[result.epochs.length - 1].seconds;
  const steps = Math.ceil(TRAIN_PHOTOS / BATCH);
  const perThousand = (epoch * 1000) / TRAIN_PHOTOS;
  console.log(
    `| ${blockCount} (${split.blocks.map((b) => `block_${b}`).join(', ')}) | [${split.cutShape}] | ` +
      `${split.trainable.reduce((n, v) => n + v.size, 0).toLocaleString('en')} | ${train.photosPerSecond.toFixed(1)} | ` +
      `${(epoch / steps).toFixed(2)} | ${perThousand.toFixed(0)} | ${peakRssMb} |`,
  );
  model.dispose();
  head.dispose();
}

export async function benchFinetune(args: string[]): Promise<void> {
  keepWasmOwnBackpropInput();
  if (!(await useWasmBackend())) throw new Error('The wasm backend did not load');
  kernelFigures();
  const counts = args.length > 0 ? args.map(Number) : [1, 2, 3];
  console.log(
    `\nStage 2 on ${tf.getBackend()}, nsfwjs MobileNetV2, batch ${BATCH}, ${TRAIN_PHOTOS} train + ${VAL_PHOTOS} val photos, epoch 2 of 2`,
  );
  console.log(
    '| blocks unfrozen | cut [H,W,C] | trainable weights | ONNX trunk photos/s | s/step | s/epoch per 1,000 photos | peak RSS MB |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const n of counts) await stage2Figures(n);
  console.log(`\nCommand: npm run bench -- finetune ${counts.join(' ')}`);
}
