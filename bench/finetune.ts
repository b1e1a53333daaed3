// npm run bench -- finetune [blocks...]: what stage 2 of fine-tuning costs on tfjs-wasm, on
// nsfwjs's Keras MobileNetV2 (a LayersModel):
// - the matMul layouts and the 1x1 Conv2DBackpropInput the wasm gradient kernels choose between;
// - onnxruntime's trunk up to the cut (photos/s at 224 px, filling the activation cache);
// - trainTop epochs at batch 16 from cut activations, per unfrozen block count (default 1 2 3),
//   as seconds per step and per epoch per 1,000 photos, with peak RSS.
// Photos are seeded noise: the figures are times, and times do not depend on the pixels.
// npm run bench -- finetune accuracy [blocks] [block rate] [head rate] [six]: on the shared hymenoptera photos (ants vs bees),
// stage 1 (the app's head on frozen features) then stage 2 (top blocks + head from cut
// activations of each photo and its mirror image, or with `six` the six SIX_TRAINING_VIEWS),
// validation accuracy after each.
import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../common/seeded-random';
import { preprocessingOf } from '../main/ml/backbones/backbone-spec';
import { findBundledBackbone } from '../main/ml/backbones/bundled-backbones';
import { packageFile } from '../main/ml/backbones/package-files';
import { createInferenceSession } from '../main/ml/embedding/embedder';
import { MIRROR_VIEW, ORIGINAL_VIEW, SIX_TRAINING_VIEWS } from '../main/ml/finetune/augment-views';
import { computeCutActivations } from '../main/ml/finetune/cut-activations';
import { type LayersTop, splitAtTopBlocks, trunkToOnnx } from '../main/ml/finetune/layers-top';
import { type CutActivations, topFeatures, trainTop } from '../main/ml/finetune/train-top';
import { buildHead } from '../main/ml/head/head-model';
import { trainHead } from '../main/ml/head/train-head';
import { accuracy } from '../main/ml/metrics';
import { seededArray } from '../main/ml/onnx/parity-support';
import * as ort from '../main/ml/onnxruntime';
import { readUmdModel, toModelArtifacts } from '../main/ml/tfjs/tfjs-artifacts';
import { useWasmBackend } from '../main/ml/tfjs-backend';
import { HYMENOPTERA_DIR, hymenopteraAvailable, loadHymenoptera } from './hymenoptera';
import { withPeakRss } from './peak-rss';

const BATCH = 16;
const TRAIN_PHOTOS = 96;
const VAL_PHOTOS = 16;
const SIZE = 224;

/**
 * Median milliseconds of each function over `rounds` rounds that run them in turn, after one
 * warm-up each: on a shared machine, load that comes and goes falls on every row alike.
 */
function medianTimesMs(fs: Array<() => tf.Tensor>, rounds = 7): number[] {
  for (const f of fs) tf.tidy(() => f().dataSync());
  const times = fs.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    fs.forEach((f, i) => {
      const t0 = performance.now();
      tf.tidy(() => f().dataSync());
      times[i].push(performance.now() - t0);
    });
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]);
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
  const gflops = (t: number) => ((2 * m * ci * co) / t / 1e6).toFixed(1);
  const rows: Array<[string, () => tf.Tensor]> = [
    ['dW = x^T dy, matMul(transposeA)', () => tf.matMul(x, dy, true, false)],
    ['dW = x^T dy, transpose + plain matMul (Graft)', () => tf.matMul(tf.transpose(x), dy)],
    [
      "dx, 1x1 Conv2DBackpropInput (wasm's own)",
      () =>
        tf
          .engine()
          .runKernel(
            WASM_OWN_BACKPROP_INPUT,
            { dy: tf.reshape(dy, [BATCH, 7, 7, co]), filter: w },
            { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: [BATCH, 7, 7, ci] },
          ) as tf.Tensor,
    ],
    [
      'dx, 1x1 Conv2DBackpropInput (Graft: conv2d, swapped filter)',
      () => tf.conv2dTranspose(tf.reshape(dy, [BATCH, 7, 7, co]) as tf.Tensor4D, w, [BATCH, 7, 7, ci], 1, 'same'),
    ],
    ['forward 1x1 conv2d, for scale', () => tf.conv2d(tf.reshape(x, [BATCH, 7, 7, ci]) as tf.Tensor4D, w, 1, 'same')],
  ];
  const ms = medianTimesMs(rows.map(([, f]) => f));
  console.log(`\nKernels on ${tf.getBackend()}: [${m} x ${ci}] x [${m} x ${co}] (block_16 expand, batch ${BATCH})`);
  console.log('| operation | median ms | GFLOP/s |\n|---|---|---|');
  for (const [i, [name]] of rows.entries()) console.log(`| ${name} | ${ms[i].toFixed(1)} | ${gflops(ms[i])} |`);
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
  if (args[0] === 'accuracy') {
    await accuracyFigures(Number(args[1] ?? 2), Number(args[2] ?? 1e-4), Number(args[3] ?? 1e-3), args[4] === 'six');
    return;
  }
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

/** Frozen features (what the app embeds) of every view, [n * views, 1280]. */
function frozenFeatures(split: LayersTop, set: CutActivations): Float32Array {
  const out: Float32Array[] = [];
  const size = set.shape.reduce((a, b) => a * b, 1);
  for (let start = 0; start < set.y.length * set.views; start += 32) {
    const rows = Math.min(32, set.y.length * set.views - start);
    const chunk = set.data.subarray(start * size, (start + rows) * size);
    out.push(tf.tidy(() => topFeatures(split, tf.tensor4d(chunk, [rows, ...set.shape])).dataSync() as Float32Array));
  }
  const all = new Float32Array(out.reduce((k, c) => k + c.length, 0));
  let at = 0;
  for (const c of out) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}

/** Rows of view `view` out of photo-major [n * views, dim] features. */
function viewRows(features: Float32Array, n: number, views: number, view: number, dim: number): Float32Array {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++)
    out.set(features.subarray((i * views + view) * dim, (i * views + view + 1) * dim), i * dim);
  return out;
}

/** Views 0 and 1 (original, mirror) of each photo, interleaved: what the app's stage 1 trains on. */
function originalAndMirror(features: Float32Array, n: number, views: number, dim: number): Float32Array {
  const out = new Float32Array(n * 2 * dim);
  for (let i = 0; i < n; i++) out.set(features.subarray(i * views * dim, (i * views + 2) * dim), i * 2 * dim);
  return out;
}

async function accuracyFigures(
  blockCount: number,
  blockRate: number,
  headRate: number,
  sixViews: boolean,
): Promise<void> {
  if (!hymenopteraAvailable()) throw new Error(`The hymenoptera photos are not at ${HYMENOPTERA_DIR}`);
  const spec = findBundledBackbone('nsfwjs-mobilenet-v2');
  if (!spec) throw new Error('nsfwjs-mobilenet-v2 is not bundled');
  const pre = { ...preprocessingOf(spec), layout: 'NHWC' as const };
  const artifacts = await readUmdModel(packageFile('nsfwjs', 'dist/models/mobilenet_v2/model.min.js'));
  const model = await tf.loadLayersModel(tf.io.fromMemory(toModelArtifacts(artifacts)));
  const split = splitAtTopBlocks(model, { tapLayer: 'out_relu', blockCount });
  const trunk = trunkToOnnx(artifacts, split, 'NHWC');
  const photos = loadHymenoptera();
  const started = performance.now();
  const session = await createInferenceSession(trunk.bytes);
  const trunkModel = { session, inputName: trunk.inputName, outputName: trunk.outputName, preprocessing: pre };
  const sets = {} as Record<'train' | 'val', CutActivations>;
  for (const part of ['train', 'val'] as const) {
    const chosen = photos.filter((p) => p.split === part);
    const views = part === 'train' && sixViews ? SIX_TRAINING_VIEWS : [ORIGINAL_VIEW, MIRROR_VIEW];
    const cut = await computeCutActivations(trunkModel, chosen, { views });
    sets[part] = { ...cut, y: Int32Array.from(chosen, (p) => p.label) };
  }
  await session.release();
  const trunkSeconds = (performance.now() - started) / 1000;
  const dim = 1280;
  const trainFeatures = frozenFeatures(split, sets.train);
  const valFeatures = frozenFeatures(split, sets.val);
  const nTrain = sets.train.y.length;
  const nVal = sets.val.y.length;
  const stage1 = await trainHead({
    dim,
    classCount: 2,
    // Both views of every training photo as examples, as the app trains with mirror augmentation.
    train: {
      x: originalAndMirror(trainFeatures, nTrain, sets.train.views, dim),
      y: Int32Array.from({ length: nTrain * 2 }, (_, r) => sets.train.y[Math.floor(r / 2)]),
    },
    val: {
      x: viewRows(valFeatures, nVal, 2, 0, dim),
      y: sets.val.y,
      xFlip: viewRows(valFeatures, nVal, 2, 1, dim),
    },
  });
  const head = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: stage1.artifacts.modelTopology,
      weightSpecs: stage1.artifacts.weightSpecs,
      weightData: stage1.artifacts.weightData.slice().buffer,
    }),
  );
  const stage2Started = performance.now();
  const stage2 = await trainTop(
    split,
    head,
    { classCount: 2, train: sets.train, val: { ...sets.val, flipView: 1 } },
    {
      seed: 1,
      blockLearningRate: blockRate,
      headLearningRate: headRate,
      batchSize: BATCH,
      maxEpochs: 10,
      patience: 3,
      classWeighting: true,
    },
    { onEpoch: (m) => console.log(`  stage 2 epoch ${m.epoch}: ${JSON.stringify(m)}`) },
  );
  const stage2Seconds = (performance.now() - stage2Started) / 1000;
  const stage1Accuracy = accuracy(sets.val.y, stage1.valProbabilities, 2);
  const stage2Accuracy = accuracy(sets.val.y, stage2.valProbabilities, 2);
  console.log(
    `\nhymenoptera, nsfwjs MobileNetV2, ${blockCount} blocks unfrozen (${split.blocks.join(', ')}), ${tf.getBackend()}`,
  );
  console.log(
    `${nTrain} train / ${nVal} val photos, 2 views each; ONNX trunk ${trunkSeconds.toFixed(0)} s for both sets`,
  );
  console.log(
    '| stage | val accuracy (mirror-averaged) | val log loss | epochs (best) | seconds |\n|---|---|---|---|---|',
  );
  const best1 = stage1.epochs[stage1.bestEpoch - 1];
  const best2 = stage2.epochs[stage2.bestEpoch - 1];
  console.log(
    `| 1: head on frozen features | ${stage1Accuracy.toFixed(3)} | ${best1.valLossFlip?.toFixed(3)} | ${stage1.epochs.length} (${stage1.bestEpoch}) | ${stage1.epochs.reduce((t, e) => t + e.seconds, 0).toFixed(0)} |`,
  );
  console.log(
    `| 2: blocks + head, rates ${blockRate} / ${headRate} | ${stage2Accuracy.toFixed(3)} | ${best2.valLossFlip?.toFixed(3)} | ${stage2.epochs.length} (${stage2.bestEpoch}) | ${stage2Seconds.toFixed(0)} |`,
  );
  console.log(
    `\nCommand: npm run bench -- finetune accuracy ${blockCount} ${blockRate} ${headRate}${sixViews ? ' six' : ''}`,
  );
}
