// A fine-tuning run's numerical work, from photos to a trained top and head:
// 1. the backbone split at its top `unfreezeBlocks` blocks: a Keras backbone's own layers
//    (splitAtTopBlocks), any other backbone's ONNX graph (planOnnxTop / buildOnnxTop);
// 2. cut activations of every photo and its mirror image from the frozen trunk in onnxruntime,
//    cached on disk per photo (both views in one file) so a second run computes none;
// 3. stage 1: the app's head (trainHead, the run's head settings) on the frozen features, which
//    the top computes from the cut exactly as the embedder does from the photo;
// 4. stage 2: top blocks + that head (trainTop, the run's block and stage-2 head rates, the
//    photo or its mirror image drawn per epoch, early stopping on validation loss, seeded).
// The app runs it on a worker thread (fine-tune-in-worker.ts), so the trunk's onnxruntime
// session runs on the calling thread here.
// Stage 2 is kept only when its best validation loss beats stage 1's; otherwise the top's
// weights are put back and stage 1's head is the model (the benchmark saw stage 2 overfit).
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../../common/training';
import { fitRunOodStatistics } from '../ml/adaptation/ood-artefact';
import type { OodStatistics } from '../ml/adaptation/out-of-distribution';
import { inputSignature, writeFileAtomic } from '../ml/backbones/prepare-backbone';
import { createInferenceSession } from '../ml/embedding/embedder';
import { splitAtTopBlocks, trunkToOnnx } from '../ml/finetune/layers-top';
import { buildOnnxTop, planOnnxTop } from '../ml/finetune/onnx-top';
import { fineTunedBackboneOnnx, trunkOnnx } from '../ml/finetune/onnx-top-export';
import {
  type CutActivations,
  predictTop,
  type TopEpochMetrics,
  type TrainTopResult,
  topFeatures,
  trainTop,
} from '../ml/finetune/train-top';
import type { TrainableTop } from '../ml/finetune/trainable-top';
import type { HeadConfig } from '../ml/head/head-config';
import { averageProbabilities, type HeadArtifacts, loadHead } from '../ml/head/head-model';
import { type HeadEpochMetrics, type TrainHeadResult, trainHead } from '../ml/head/train-head';
import { layersModelToOnnx } from '../ml/onnx/layers-to-onnx';
import { saveArtifacts } from '../ml/onnx/parity-support';
import * as ort from '../ml/onnxruntime';
import { decodeCrop, flipHorizontally, inputDims, type Preprocessing, writeInputRow } from '../ml/preprocess';
import { toModelArtifacts } from '../ml/tfjs/tfjs-artifacts';
import { initTfjs } from '../ml/tfjs-backend';
import type { TrainableBackbone } from './trainable-backbone';

/** Views per photo in the activation cache: the photo and its left-right mirror image. */
const VIEWS = 2;
/** Photos per trunk batch (2 views each). */
const TRUNK_PHOTOS = 8;
/**
 * Stage 2 batch ceiling: 16 fitted the 4 GiB wasm heap from cut activations for nsfwjs's
 * MobileNetV2 (docs/BENCHMARKS.md, fine-tuning stage 2); a smaller run setting is kept.
 */
const STAGE2_MAX_BATCH = 16;
/** Stage 2 overfit within 2–3 epochs on hymenoptera (docs/BENCHMARKS.md): it stops after 3 without a better loss. */
const STAGE2_PATIENCE = 3;

export interface FineTunePhoto {
  /** The photo's content hash: the cache key. */
  key: string;
  read(): Promise<Buffer>;
  /** Class index. */
  label: number;
  split: 'train' | 'val' | 'test';
}

export type FineTuneProgress = {
  phase: 'activations' | 'training' | 'fine-tuning';
  done: number;
  total: number;
  imagesPerSecond: number | null;
  etaSeconds: number | null;
};

export interface FineTuneOptions {
  /** Where cut activations are cached (one folder per backbone version and cut). */
  cacheDir: string;
  /** Identifies the backbone's numbers (its id and version); part of the cache folder's name. */
  modelKey: string;
  signal?: AbortSignal;
  onProgress?: (p: FineTuneProgress) => void;
  onEpoch?: (stage: 1 | 2, m: HeadEpochMetrics | TopEpochMetrics) => void;
}

/** One trainable variable of the top after training, by its tfjs name. */
export interface TopWeight {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface FineTuneOutcome {
  stage1: TrainHeadResult;
  stage2: TrainTopResult;
  /** 2 when stage 2 beat stage 1 on validation loss, else 1 (the top's weights are the backbone's own). */
  keptStage: 1 | 2;
  head: HeadArtifacts;
  unfrozen: number[];
  /** The cut: a Keras layer, or an ONNX tensor. */
  cutLayer: string;
  /** The top's convolution weights as kept (the backbone's own where keptStage is 1). */
  topWeights: TopWeight[];
  /**
   * The whole backbone with the kept top, as ONNX (a Keras model saved and converted as a bundled
   * LayersModel is, or the ONNX graph's trunk with the top re-serialised; spec.layout input): what
   * Predict and export run, so both compute what the trunk + top computed here (proven for the
   * conversions in layers-top.test.ts and onnx-top.test.ts).
   */
  backboneOnnx: { bytes: Uint8Array; tapTensor: string; tapLayout: 'NCHW' | 'NHWC' | null; featureDim: number };
  /** Probabilities (n * classCount) of the photos of each held-out split that were read, in the order given. */
  val: { keys: string[]; probabilities: Float32Array };
  test: { keys: string[]; probabilities: Float32Array };
  /** Stage 1's probabilities for the same photos (feature extraction's model), for comparison. */
  stage1HeldOut: Record<'val' | 'test', Float32Array>;
  /**
   * Out-of-distribution statistics on the kept backbone's features (what Predict computes for
   * this run): training photos' views as stage 1 trains on them, validation photos' own view;
   * null when a class has no training photo or there is no validation photo.
   */
  ood: OodStatistics | null;
  /** Photos that could not be read or decoded, with why. */
  skipped: { key: string; message: string }[];
  cachedPhotos: number;
  computedPhotos: number;
  photosPerSecond: number;
  backend: string;
}

/**
 * Runs both stages for `photos` (classes 0..classCount-1) on `backbone`: stage 1 with
 * `headConfig` (the run's head settings), stage 2 with `config`'s fine-tuning settings.
 * Throws FineTuneError (FINETUNE_INVALID / FINETUNE_UNSUPPORTED naming the block, DATASET_INVALID,
 * CANCELLED, TRAINING_FAILED) or HeadTrainingError from stage 1; an aborted signal stops within
 * one trunk batch or one training step.
 */
export async function fineTune(
  backbone: TrainableBackbone,
  photos: FineTunePhoto[],
  classCount: number,
  config: TrainConfig,
  headConfig: HeadConfig,
  options: FineTuneOptions,
): Promise<FineTuneOutcome> {
  const { tf: tfjs, backend } = await initTfjs();
  const backboneSplit = await splitBackbone(tfjs, backbone, config.unfreezeBlocks);
  const split = backboneSplit.top;
  try {
    const cache = await activations(backboneSplit, photos, options);
    const sets = {
      train: cutSet(split, cache.rows, 'train', config.augmentFlip ? VIEWS : 1),
      val: cutSet(split, cache.rows, 'val', VIEWS),
      test: cutSet(split, cache.rows, 'test', VIEWS),
    };
    const flip = config.flipTestTime;
    const stage1 = await stageOne(tfjs, split, sets, classCount, config, headConfig, options);
    const original = split.trainable.map((v) => tfjs.keep(v.clone()));
    const head = await loadHead(stage1.artifacts);
    const heldOut = (): Record<'val' | 'test', Float32Array> => {
      const probabilities = (set: CutActivations) => {
        if (set.y.length === 0) return new Float32Array();
        const plain = predictTop(split, head, set, 0);
        return flip ? averageProbabilities(plain, predictTop(split, head, set, 1)) : plain;
      };
      return { val: probabilities(sets.val.set), test: probabilities(sets.test.set) };
    };
    try {
      const stage1HeldOut = heldOut();
      options.onProgress?.({
        phase: 'fine-tuning',
        done: 0,
        total: config.fineTuneEpochs,
        imagesPerSecond: null,
        etaSeconds: null,
      });
      let stage2Seconds = 0;
      const stage2 = await trainTop(
        split,
        head,
        { classCount, train: sets.train.set, val: { ...sets.val.set, flipView: flip ? 1 : undefined } },
        {
          seed: config.seed,
          blockLearningRate: config.blockLearningRate,
          headLearningRate: config.fineTuneHeadLearningRate,
          batchSize: Math.min(config.batchSize, STAGE2_MAX_BATCH),
          maxEpochs: config.fineTuneEpochs,
          patience: STAGE2_PATIENCE,
          classWeighting: config.classWeighting,
        },
        {
          signal: options.signal,
          onEpoch: (m) => {
            stage2Seconds += m.seconds;
            options.onEpoch?.(2, m);
            const left = config.fineTuneEpochs - m.epoch;
            options.onProgress?.({
              phase: 'fine-tuning',
              done: m.epoch,
              total: config.fineTuneEpochs,
              imagesPerSecond: null,
              etaSeconds: (stage2Seconds / m.epoch) * left,
            });
          },
        },
      );
      const loss1 = monitoredLoss(stage1.epochs[stage1.bestEpoch - 1]);
      const loss2 = monitoredLoss(stage2.epochs[stage2.bestEpoch - 1]);
      const keptStage: 1 | 2 = loss2 < loss1 ? 2 : 1;
      if (keptStage === 1) for (const [i, v] of split.trainable.entries()) v.assign(original[i]);
      const kept = keptStage === 2 ? heldOut() : stage1HeldOut;
      const trainRows = trainFeatures(tfjs, split, sets.train.set);
      const ood = fitRunOodStatistics(
        { train: trainRows, val: { x: viewFeatures(tfjs, split, sets.val.set, 0) } },
        trainRows.x.length / Math.max(1, trainRows.y.length),
        classCount,
      );
      return {
        stage1,
        stage2,
        keptStage,
        head: keptStage === 2 ? stage2.head : stage1.artifacts,
        unfrozen: split.blocks,
        cutLayer: split.cutName,
        backboneOnnx: await backboneSplit.wholeBackbone(),
        topWeights: split.trainable.map((v) => ({
          name: v.name,
          shape: v.shape,
          data: v.dataSync() as Float32Array,
        })),
        val: { keys: sets.val.keys, probabilities: kept.val },
        test: { keys: sets.test.keys, probabilities: kept.test },
        stage1HeldOut,
        ood,
        skipped: cache.skipped,
        cachedPhotos: cache.cached,
        computedPhotos: cache.computed,
        photosPerSecond: cache.photosPerSecond,
        backend,
      };
    } finally {
      head.dispose();
      tfjs.dispose(original);
    }
  } finally {
    backboneSplit.dispose();
  }
}

/** A backbone split for a run: its trainable top, its frozen trunk as ONNX, and the whole backbone after training. */
interface SplitBackbone {
  top: TrainableTop;
  /** image -> cut activation [N, H, W, C]; built when first asked for (a cached run needs none). */
  trunk(): { bytes: Uint8Array; inputName: string; outputName: string };
  /** How photos become the trunk's input. */
  preprocessing: Preprocessing;
  /** The whole backbone with the top's current weights, as ONNX. */
  wholeBackbone(): Promise<FineTuneOutcome['backboneOnnx']>;
  dispose(): void;
}

/** Splits `backbone` at its top `blockCount` blocks; throws FineTuneError as splitAtTopBlocks / planOnnxTop do. */
async function splitBackbone(tfjs: typeof tf, backbone: TrainableBackbone, blockCount: number): Promise<SplitBackbone> {
  if (backbone.kind === 'onnx') {
    const plan = planOnnxTop(backbone.bytes, { tap: backbone.tapTensor, blockCount });
    const trunk = trunkOnnx(backbone.bytes, plan);
    const top = buildOnnxTop(plan, await cutShapeOf(trunk, backbone.preprocessing));
    return {
      top,
      trunk: () => trunk,
      preprocessing: backbone.preprocessing,
      wholeBackbone: async () => {
        const whole = fineTunedBackboneOnnx(backbone.bytes, plan, top.onnxWeights());
        return { bytes: whole.bytes, tapTensor: whole.tapTensor, tapLayout: 'NCHW', featureDim: backbone.featureDim };
      },
      dispose: () => top.dispose(),
    };
  }
  const model = await tfjs.loadLayersModel(tfjs.io.fromMemory(toModelArtifacts(backbone.artifacts)));
  try {
    const split = splitAtTopBlocks(model, { tapLayer: backbone.tapLayer, blockCount });
    return {
      top: split,
      trunk: () => trunkToOnnx(backbone.artifacts, split, 'NHWC'),
      preprocessing: backbone.preprocessing,
      wholeBackbone: () => wholeBackboneOnnx(model, backbone),
      dispose: () => model.dispose(),
    };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** One photo's cut activation shape [H, W, C]: the trunk run once on a blank input. */
async function cutShapeOf(
  trunk: { bytes: Uint8Array; inputName: string; outputName: string },
  pre: Preprocessing,
): Promise<[number, number, number]> {
  const session = await createInferenceSession(trunk.bytes);
  try {
    const dims = inputDims(pre, 1);
    const input = new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
    const out = (await session.run({ [trunk.inputName]: input }))[trunk.outputName];
    return [out.dims[1], out.dims[2], out.dims[3]];
  } finally {
    await session.release();
  }
}

/** The source model (its top layers hold the kept weights in place) converted to ONNX up to the tap. */
async function wholeBackboneOnnx(
  model: tf.LayersModel,
  backbone: Extract<TrainableBackbone, { kind: 'layers' }>,
): Promise<FineTuneOutcome['backboneOnnx']> {
  const converted = layersModelToOnnx(await saveArtifacts(model), {
    inputLayout: backbone.inputLayout,
    outputs: [backbone.tapLayer],
  });
  const tensor = converted.layerTensors.get(backbone.tapLayer);
  if (!tensor) throw new Error(`The fine-tuned model has no output "${backbone.tapLayer}".`);
  const layout = tensor.layout === 'NCHW' || tensor.layout === 'NHWC' ? tensor.layout : null;
  const featureDim = model.getLayer(backbone.tapLayer).outputShape.at(-1) as number;
  return { bytes: converted.bytes, tapTensor: tensor.name, tapLayout: layout, featureDim };
}

function monitoredLoss(m: { valLoss: number; valLossFlip: number | null }): number {
  return m.valLossFlip ?? m.valLoss;
}

type Row = { photo: FineTunePhoto; data: Float32Array };

/** Each readable photo's cut activations (VIEWS views, photo-major), from the cache or the trunk. */
async function activations(
  backbone: SplitBackbone,
  photos: FineTunePhoto[],
  options: FineTuneOptions,
): Promise<{
  rows: Row[];
  skipped: { key: string; message: string }[];
  cached: number;
  computed: number;
  photosPerSecond: number;
}> {
  const split = backbone.top;
  const size = split.cutShape.reduce((a, b) => a * b, 1) * VIEWS;
  const dir = path.join(
    options.cacheDir,
    createHash('sha256')
      .update(`${options.modelKey}\n${split.cutName}\n${JSON.stringify(backbone.preprocessing)}`)
      .digest('hex')
      .slice(0, 32),
  );
  const fileOf = (key: string) => path.join(dir, `${key.replace(/[^A-Za-z0-9]/g, '_')}.f32`);
  const found = new Map<string, Float32Array>();
  for (const p of photos) {
    const bytes = await fs.readFile(fileOf(p.key)).catch(() => null);
    if (bytes && bytes.byteLength === size * 4) {
      found.set(p.key, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
    }
  }
  const missing = [...new Map(photos.filter((p) => !found.has(p.key)).map((p) => [p.key, p])).values()];
  const skipped: { key: string; message: string }[] = [];
  const pre = backbone.preprocessing;
  const started = performance.now();
  if (missing.length > 0) {
    const trunk = backbone.trunk();
    const session = await createInferenceSession(trunk.bytes);
    try {
      const rowSize = pre.inputSize * pre.inputSize * 3;
      for (let start = 0; start < missing.length; start += TRUNK_PHOTOS) {
        if (options.signal?.aborted) throw cancelled();
        const batch: FineTunePhoto[] = [];
        const crops: Uint8Array[] = [];
        for (const photo of missing.slice(start, start + TRUNK_PHOTOS)) {
          try {
            crops.push(await decodeCrop(await photo.read(), pre));
            batch.push(photo);
          } catch (err) {
            skipped.push({ key: photo.key, message: err instanceof Error ? err.message : String(err) });
          }
        }
        if (batch.length > 0) {
          const input = new Float32Array(batch.length * VIEWS * rowSize);
          crops.forEach((crop, i) => {
            writeInputRow(crop, pre, input, VIEWS * i);
            writeInputRow(flipHorizontally(crop, pre.inputSize), pre, input, VIEWS * i + 1);
          });
          const all = await runTrunk(session, trunk, pre, input, batch.length * VIEWS);
          for (const [i, photo] of batch.entries()) {
            const data = all.slice(i * size, (i + 1) * size);
            found.set(photo.key, data);
            await writeFileAtomic(fileOf(photo.key), new Uint8Array(data.buffer));
          }
        }
        const done = Math.min(start + TRUNK_PHOTOS, missing.length);
        const rate = done / ((performance.now() - started) / 1000);
        options.onProgress?.({
          phase: 'activations',
          done,
          total: missing.length,
          imagesPerSecond: rate,
          etaSeconds: (missing.length - done) / rate,
        });
      }
    } finally {
      await session.release();
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    rows: photos.flatMap((photo) => {
      const data = found.get(photo.key);
      return data ? [{ photo, data }] : [];
    }),
    skipped,
    cached: photos.length - missing.length,
    computed: missing.length - skipped.length,
    photosPerSecond: missing.length > 0 && seconds > 0 ? (missing.length - skipped.length) / seconds : 0,
  };
}

/**
 * The trunk's cut activations of `rows` input rows, in runs of at most the batch the model fixes
 * (an ONNX model may declare batch 1, as the ONNX Model Zoo's ShuffleNet does).
 */
async function runTrunk(
  session: Awaited<ReturnType<typeof createInferenceSession>>,
  trunk: { bytes: Uint8Array; inputName: string; outputName: string },
  pre: Preprocessing,
  input: Float32Array,
  rows: number,
): Promise<Float32Array> {
  const step = inputSignature(trunk.bytes).maxBatch ?? rows;
  const rowSize = input.length / rows;
  const parts: Float32Array[] = [];
  for (let at = 0; at < rows; at += step) {
    const n = Math.min(step, rows - at);
    const rowsHere = n === rows ? input : input.slice(at * rowSize, (at + n) * rowSize);
    const feed = new ort.Tensor('float32', rowsHere, inputDims(pre, n));
    parts.push((await session.run({ [trunk.inputName]: feed }))[trunk.outputName].data as Float32Array);
  }
  if (parts.length === 1) return parts[0];
  const all = new Float32Array(parts.reduce((k, p) => k + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  return all;
}

/** The rows of one split as CutActivations with their first `views` views. */
function cutSet(split: TrainableTop, rows: Row[], which: FineTunePhoto['split'], views: number) {
  const chosen = rows.filter((r) => r.photo.split === which);
  const one = split.cutShape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(chosen.length * views * one);
  chosen.forEach((r, i) => {
    data.set(r.data.subarray(0, views * one), i * views * one);
  });
  const set: CutActivations = { shape: split.cutShape, views, data, y: Int32Array.from(chosen, (r) => r.photo.label) };
  return { keys: chosen.map((r) => r.photo.key), set };
}

/** The top's features (n × dim, L2-normalised, as the embedder computes them) of view `view` of every photo. */
function viewFeatures(tfjs: typeof tf, split: TrainableTop, set: CutActivations, view: number): Float32Array {
  const one = set.shape.reduce((a, b) => a * b, 1);
  const n = set.y.length;
  const rows = new Float32Array(n * one);
  for (let i = 0; i < n; i++)
    rows.set(set.data.subarray((i * set.views + view) * one, (i * set.views + view + 1) * one), i * one);
  return tfjs.tidy(() => topFeatures(split, tfjs.tensor4d(rows, [n, ...set.shape])).dataSync() as Float32Array);
}

/**
 * Features of every view of the training photos with their class indices, photo after photo and
 * each photo's views together (photo 1, its mirror image, photo 2, …): the row order of a
 * feature-extraction run's training set (buildHeadDataset), so the seeded shuffle draws the same
 * batches and stage 1 trains the head a feature-extraction run trains on the same photos.
 */
function trainFeatures(
  tfjs: typeof tf,
  split: TrainableTop,
  train: CutActivations,
): { x: Float32Array; y: Int32Array } {
  const trainViews = Array.from({ length: train.views }, (_, v) => viewFeatures(tfjs, split, train, v));
  const n = train.y.length;
  const dim = n === 0 ? 0 : trainViews[0].length / n;
  const x = new Float32Array(n * train.views * dim);
  const y = new Int32Array(n * train.views);
  for (let i = 0; i < n; i++) {
    for (let v = 0; v < train.views; v++) {
      x.set(trainViews[v].subarray(i * dim, (i + 1) * dim), (i * train.views + v) * dim);
      y[i * train.views + v] = train.y[i];
    }
  }
  return { x, y };
}

/** Stage 1: the head on frozen features of every view (training views as extra examples, as the app trains). */
async function stageOne(
  tfjs: typeof tf,
  split: TrainableTop,
  sets: Record<'train' | 'val', { set: CutActivations }>,
  classCount: number,
  config: TrainConfig,
  headConfig: HeadConfig,
  options: FineTuneOptions,
): Promise<TrainHeadResult> {
  const features = (set: CutActivations, view: number) => viewFeatures(tfjs, split, set, view);
  const { x, y } = trainFeatures(tfjs, split, sets.train.set);
  const dim = x.length / y.length;
  let seconds = 0;
  options.onProgress?.({
    phase: 'training',
    done: 0,
    total: config.maxEpochs,
    imagesPerSecond: null,
    etaSeconds: null,
  });
  return trainHead(
    {
      dim,
      classCount,
      train: { x, y },
      val: {
        x: features(sets.val.set, 0),
        y: sets.val.set.y,
        xFlip: config.flipTestTime ? features(sets.val.set, 1) : undefined,
      },
    },
    headConfig,
    {
      signal: options.signal,
      onEpoch: (m) => {
        seconds += m.seconds;
        options.onEpoch?.(1, m);
        options.onProgress?.({
          phase: 'training',
          done: m.epoch,
          total: config.maxEpochs,
          imagesPerSecond: null,
          etaSeconds: (seconds / m.epoch) * (config.maxEpochs - m.epoch),
        });
      },
    },
  );
}

function cancelled(): Error {
  const err = new Error('Fine-tuning was cancelled.');
  err.name = 'AbortError';
  return err;
}
