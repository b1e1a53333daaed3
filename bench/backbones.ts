// Which bundled backbone should Graft use by default? Embeds the hymenoptera photos (ants vs
// bees) with every bundled candidate tap, fits a linear probe on train, scores val, and times
// the embedder against a bare onnxruntime loop over the same tensors. Inference runs on one
// thread, the app's default, in both.
//
//   npx tsx bench/backbones.ts
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BackboneSpec, FeatureTap, PreparedBackbone } from '../main/ml/backbones/backbone-spec';
import { BUNDLED_BACKBONES, DEFAULT_BACKBONE_ID } from '../main/ml/backbones/bundled-backbones';
import { importOnnxBackbone } from '../main/ml/backbones/import-backbone';
import { prepareBackbone } from '../main/ml/backbones/prepare-backbone';
import { defaultInferenceThreads, Embedder } from '../main/ml/embedding/embedder';
import * as ort from '../main/ml/onnxruntime';
import { bareOnnxLoop } from './bare-onnx-loop';
import {
  HYMENOPTERA_DIR,
  hymenopteraAvailable,
  type LabelledPhoto,
  loadHymenoptera,
  SHARED_BACKBONES_DIR,
} from './hymenoptera';
import { accuracy, type ProbeOptions, trainLinearProbe } from './linear-probe';

const COMMAND = 'npm run bench -- backbones';
const BATCH = 16;
const MID =
  'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/';

interface CandidateTap extends FeatureTap {
  label: string;
}

/** Taps tried per bundled network (the registry ships the set that scored best). */
const CANDIDATE_TAPS: Record<string, CandidateTap[]> = {
  'nsfwjs-mobilenet-v2-140': [
    { label: 'feature_vector (GAP Conv_1)', node: `${MID}feature_vector/SpatialSqueeze`, reduce: 'none', dim: 1792 },
    {
      label: 'GAP expanded_conv_16/project',
      node: `${MID}MobilenetV2/expanded_conv_16/project/BatchNorm/FusedBatchNormV3`,
      reduce: 'spatial-mean-nchw',
      dim: 448,
    },
    {
      label: 'GAP expanded_conv_13/expand',
      node: `${MID}MobilenetV2/expanded_conv_13/expand/Relu6`,
      reduce: 'spatial-mean-nchw',
      dim: 816,
    },
  ],
  'nsfwjs-mobilenet-v2': [
    { label: 'GAP out_relu', node: 'out_relu', reduce: 'spatial-mean-nchw', dim: 1280 },
    { label: 'GAP block_16_project_BN', node: 'block_16_project_BN', reduce: 'spatial-mean-nchw', dim: 320 },
    { label: 'GAP block_13_expand_relu', node: 'block_13_expand_relu', reduce: 'spatial-mean-nchw', dim: 576 },
    { label: 'dense_1 (head)', node: 'dense_1', reduce: 'none', dim: 256 },
  ],
  'nsfwjs-inception-v3': [
    { label: 'GAP mixed10', node: 'mixed10', reduce: 'spatial-mean-nchw', dim: 2048 },
    { label: 'GAP mixed8', node: 'mixed8', reduce: 'spatial-mean-nchw', dim: 1280 },
    { label: 'GAP mixed7', node: 'mixed7', reduce: 'spatial-mean-nchw', dim: 768 },
  ],
  'human-centernet-mobilenet-v3': [
    {
      label: 'GAP expanded_conv_14/add',
      node: 'tower_0/MobilenetV3/expanded_conv_14/add',
      reduce: 'spatial-mean-nchw',
      dim: 120,
    },
    {
      label: 'GAP expanded_conv_11/add',
      node: 'tower_0/MobilenetV3/expanded_conv_11/add',
      reduce: 'spatial-mean-nchw',
      dim: 88,
    },
  ],
};

/** Linear-probe settings: λ is chosen by 5-fold cross-validation on train only. */
const L2_GRID = [1e-4, 1e-3, 1e-2];
const PROBE: ProbeOptions = { steps: 300, learningRate: 0.05 };

interface Vectors {
  original: Float32Array;
  hflip: Float32Array;
}

interface AccuracyRow {
  backbone: string;
  tap: string;
  dim: number;
  plain: number;
  flipAveraged: number;
  l2: number;
}

interface SpeedRow {
  backbone: string;
  tap: string;
  dim: number;
  embedRate: number;
  bareRate: number;
  sequentialRate: number;
  convertSeconds: number | null;
  onnxMB: number;
}

function tapLabel(backboneId: string, tap: FeatureTap): string {
  const known = CANDIDATE_TAPS[backboneId]?.find((c) => c.node === tap.node);
  return known?.label ?? `${tap.reduce === 'none' ? '' : 'GAP '}${tap.node}`;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function normalise(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  return v.map((x) => x * inv);
}

/** Per-tap slices of a combined vector, renormalised (the embedder scales each tap to unit length). */
function slice(v: Float32Array, taps: FeatureTap[], pick: number[]): Float32Array {
  const parts: Float32Array[] = [];
  let at = 0;
  taps.forEach((t, i) => {
    if (pick.includes(i)) parts.push(normalise(v.subarray(at, at + t.dim)));
    at += t.dim;
  });
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return normalise(out);
}

function seededOrder(n: number, seed: number): number[] {
  const order = [...Array(n).keys()];
  let s = seed;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** λ by 5-fold CV on train, then the probe on all of train, scored on val. */
function probeScore(
  train: Float32Array[],
  trainY: number[],
  val: Float32Array[],
  valY: number[],
): { acc: number; l2: number } {
  const order = seededOrder(train.length, 7);
  let best = { l2: L2_GRID[0], cv: -1 };
  for (const l2 of L2_GRID) {
    let right = 0;
    for (let f = 0; f < 5; f++) {
      const inFold = (k: number) => k % 5 === f;
      const tr = order.filter((_, k) => !inFold(k));
      const te = order.filter((_, k) => inFold(k));
      const probe = trainLinearProbe(
        tr.map((i) => train[i]),
        tr.map((i) => trainY[i]),
        2,
        { ...PROBE, l2 },
      );
      right +=
        accuracy(
          probe,
          te.map((i) => train[i]),
          te.map((i) => trainY[i]),
        ) * te.length;
    }
    if (right > best.cv) best = { l2, cv: right };
  }
  const probe = trainLinearProbe(train, trainY, 2, { ...PROBE, l2: best.l2 });
  return { acc: accuracy(probe, val, valY), l2: best.l2 };
}

function benchSpec(base: BackboneSpec, taps: FeatureTap[]): BackboneSpec {
  const version = createHash('sha256')
    .update(JSON.stringify({ taps, resize: base.resize }))
    .digest('hex')
    .slice(0, 12);
  return { ...base, id: `${base.id}-bench`, version, taps, featureDim: taps.reduce((n, t) => n + t.dim, 0) };
}

async function embedBothViews(prepared: PreparedBackbone, photos: LabelledPhoto[]): Promise<Map<string, Vectors>> {
  const embedder = await Embedder.open(prepared);
  const run = await embedder.embed(photos, { views: ['original', 'hflip'], batchSize: BATCH });
  await embedder.close();
  const out = new Map<string, Vectors>();
  run.results.forEach((r) => {
    if (r.ok) out.set(r.id, r.vectors as Vectors);
    else log(`  ${r.id}: ${r.error.code} ${r.error.message}`);
  });
  return out;
}

function scoreTaps(
  backbone: string,
  taps: CandidateTap[],
  vectors: Map<string, Vectors>,
  photos: LabelledPhoto[],
  combos: { label: string; pick: number[] }[],
): AccuracyRow[] {
  const usable = photos.filter((p) => vectors.has(p.id));
  const train = usable.filter((p) => p.split === 'train');
  const val = usable.filter((p) => p.split === 'val');
  return combos.map(({ label, pick }) => {
    const plainOf = (p: LabelledPhoto) => slice((vectors.get(p.id) as Vectors).original, taps, pick);
    const flipOf = (p: LabelledPhoto) => {
      const v = vectors.get(p.id) as Vectors;
      const a = slice(v.original, taps, pick);
      const b = slice(v.hflip, taps, pick);
      return normalise(a.map((x, i) => x + b[i]));
    };
    const plain = probeScore(
      train.map(plainOf),
      train.map((p) => p.label),
      val.map(plainOf),
      val.map((p) => p.label),
    );
    const flip = probeScore(
      train.map(flipOf),
      train.map((p) => p.label),
      val.map(flipOf),
      val.map((p) => p.label),
    );
    const dim = pick.reduce((n, i) => n + taps[i].dim, 0);
    log(`  ${label}: ${plain.acc.toFixed(3)} / flip ${flip.acc.toFixed(3)}`);
    return { backbone, tap: label, dim, plain: plain.acc, flipAveraged: flip.acc, l2: plain.l2 };
  });
}

function tapCombos(taps: CandidateTap[]): { label: string; pick: number[] }[] {
  const combos = taps.map((t, i) => ({ label: t.label, pick: [i] }));
  if (taps.length > 1) combos.push({ label: `all ${taps.length} taps concatenated`, pick: taps.map((_, i) => i) });
  return combos;
}

/**
 * Embedder throughput (decode + inference, pipelined), against bare-onnx-loop over the same
 * files: session.run alone on its preprocessed tensors, and its plain read-decode-infer loop.
 */
async function measureSpeed(
  prepared: PreparedBackbone,
  photos: LabelledPhoto[],
): Promise<{ embedRate: number; bareRate: number; sequentialRate: number }> {
  const embedder = await Embedder.open(prepared);
  await embedder.embed(photos.slice(0, BATCH), { batchSize: BATCH });
  const run = await embedder.embed(photos, { batchSize: BATCH });
  await embedder.close();
  const bare = await bareOnnxLoop(
    prepared,
    photos.map((p) => p.file),
    { views: 1, batch: BATCH },
  );
  return {
    embedRate: run.imagesPerSecond,
    bareRate: bare.inferenceForwardsPerSecond,
    sequentialRate: bare.photosPerSecond,
  };
}

function machineNote(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
  return `${cpu}, ${os.cpus().length} vCPU, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}, onnxruntime-node ${ort.env.versions.node}, intraOpNumThreads=${defaultInferenceThreads()}, batch ${BATCH}; load average (1/5/15 min) at the end of the run ${load}: other processes share the CPU, so the speeds are lower bounds`;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** The registered default and the figures of its registered taps, from this run's rows. */
function defaultSummary(acc: AccuracyRow[], speed: SpeedRow[]): string {
  const spec = BUNDLED_BACKBONES.find((b) => b.id === DEFAULT_BACKBONE_ID);
  if (!spec) return `Registered default \`${DEFAULT_BACKBONE_ID}\` is not a bundled backbone.`;
  const tap = spec.taps.map((t) => tapLabel(spec.id, t)).join(' + ');
  const taps = CANDIDATE_TAPS[spec.id] ?? [];
  const label = spec.taps.length === taps.length && taps.length > 1 ? `all ${taps.length} taps concatenated` : tap;
  const a = acc.find((r) => r.backbone === spec.id && r.tap === label);
  const s = speed.find((r) => r.backbone === spec.id);
  const figures = [
    a ? `${pct(a.plain)} val, ${pct(a.flipAveraged)} flip-averaged` : 'no accuracy row',
    s ? `${s.embedRate.toFixed(1)} photos/s embedded (bare inference ${s.bareRate.toFixed(1)}/s)` : 'no speed row',
  ];
  return `Registered default: \`${spec.id}\` with ${tap} (${spec.featureDim}-d): ${figures.join('; ')}. The reasoning is in the comment on \`DEFAULT_BACKBONE_ID\` in main/ml/backbones/bundled-backbones.ts.`;
}

function report(acc: AccuracyRow[], speed: SpeedRow[], counts: string): string {
  const lines = [
    '# Backbone benchmarks',
    '',
    `Command: \`${COMMAND}\` (data: \`shared/datasets/hymenoptera\`, ${counts}; reference backbone: \`shared/backbones/mobilenetv2-12-int8-onnx\` through the ONNX import path).`,
    '',
    `Machine: ${machineNote()}.`,
    '',
    'Features are the embedder\'s L2-normalised vectors (taps normalised one by one, then together). Probe: multinomial logistic regression, full-batch Adam from zero, 300 steps, L2 penalty chosen from {1e-4, 1e-3, 1e-2} by 5-fold cross-validation on train; score = val accuracy (153 photos, so one photo = 0.65 points). "flip-averaged" = mean of the original and mirrored views\' vectors, for train and val.',
    '',
    '## Accuracy of each candidate tap',
    '',
    '| backbone | tap | dim | val acc | val acc, flip-averaged | λ (CV) |',
    '|---|---|---:|---:|---:|---:|',
    ...acc.map((r) => `| ${r.backbone} | ${r.tap} | ${r.dim} | ${pct(r.plain)} | ${pct(r.flipAveraged)} | ${r.l2} |`),
    '',
    '## Embedding speed (registered taps, original view)',
    '',
    "embed = `Embedder.embed` over all photos (sharp decode + resize + crop overlapped with inference); bare = `session.run` alone over the same preprocessed tensors with the same session options, in the same run (`bench/bare-onnx-loop.ts`); sequential = that loop's read, decode, infer one after the other.",
    '',
    '| backbone | tap | dim | embed img/s | bare ORT img/s | embed / bare | sequential img/s | first-use conversion | ONNX size |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...speed.map(
      (r) =>
        `| ${r.backbone} | ${r.tap} | ${r.dim} | ${r.embedRate.toFixed(1)} | ${r.bareRate.toFixed(1)} | ${(r.embedRate / r.bareRate).toFixed(2)} | ${r.sequentialRate.toFixed(1)} | ${r.convertSeconds === null ? 'import' : `${r.convertSeconds.toFixed(1)} s`} | ${r.onnxMB.toFixed(1)} MB |`,
    ),
    '',
    defaultSummary(acc, speed),
    '',
  ];
  return lines.join('\n');
}

export async function runBackbonesBench(): Promise<void> {
  if (!hymenopteraAvailable()) {
    console.log(`backbones: skipped, ${HYMENOPTERA_DIR} is not there (it lives in ../shared beside the project).`);
    return;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-bench-backbones-'));
  const photos = loadHymenoptera();
  const counts = `${photos.filter((p) => p.split === 'train').length} train / ${photos.filter((p) => p.split === 'val').length} val photos`;
  log(`${counts}; data dir ${dataDir}`);
  const accRows: AccuracyRow[] = [];
  const speedRows: SpeedRow[] = [];
  const allVectors = new Map<string, { taps: CandidateTap[]; vectors: Map<string, Vectors> }>();
  try {
    for (const base of BUNDLED_BACKBONES) {
      const taps = CANDIDATE_TAPS[base.id] ?? [{ label: base.taps[0].node, ...base.taps[0] }];
      log(`${base.id}: embedding ${taps.length} taps, two views`);
      const prepared = await prepareBackbone(benchSpec(base, taps), dataDir);
      const vectors = await embedBothViews(prepared, photos);
      allVectors.set(base.id, { taps, vectors });
      accRows.push(...scoreTaps(base.id, taps, vectors, photos, tapCombos(taps)));
    }
    const centernet = allVectors.get('human-centernet-mobilenet-v3');
    const mid = allVectors.get('nsfwjs-mobilenet-v2-140');
    if (centernet && mid) {
      log('cross-model concatenation');
      const joined = new Map<string, Vectors>();
      const taps: CandidateTap[] = [centernet.taps[0], mid.taps[0]];
      for (const [id, a] of centernet.vectors) {
        const b = mid.vectors.get(id);
        if (!b) continue;
        const cat = (x: Float32Array, y: Float32Array) =>
          Float32Array.from([...slice(x, centernet.taps, [0]), ...slice(y, mid.taps, [0])]);
        joined.set(id, { original: cat(a.original, b.original), hflip: cat(a.hflip, b.hflip) });
      }
      accRows.push(
        ...scoreTaps('centernet + mobilenet-v2-140', taps, joined, photos, [
          { label: `${taps[0].label} + ${taps[1].label}`, pick: [0, 1] },
        ]),
      );
    }

    const reference = path.join(SHARED_BACKBONES_DIR, 'mobilenetv2-12-int8-onnx', 'mobilenetv2-12-int8.onnx');
    let referenceSpec: BackboneSpec | null = null;
    if (fs.existsSync(reference)) {
      log('reference: ImageNet MobileNetV2 int8 ONNX through importOnnxBackbone');
      const imported = await importOnnxBackbone(reference, dataDir, {
        name: 'ImageNet MobileNetV2 int8 (imported ONNX)',
      });
      referenceSpec = imported.spec;
      const tap = imported.spec.taps[0];
      const taps: CandidateTap[] = [{ ...tap, label: `proposed: ${tap.reduce === 'none' ? '' : 'GAP '}${tap.node}` }];
      const vectors = await embedBothViews(await prepareBackbone(imported.spec, dataDir), photos);
      accRows.push(...scoreTaps('imported mobilenetv2-12-int8 (reference)', taps, vectors, photos, tapCombos(taps)));
    }

    const speedSpecs: { label: string; spec: BackboneSpec }[] = BUNDLED_BACKBONES.map((spec) => ({
      label: spec.id,
      spec,
    }));
    if (referenceSpec) speedSpecs.push({ label: 'imported mobilenetv2-12-int8 (reference)', spec: referenceSpec });
    for (const { label, spec } of speedSpecs) {
      log(`${label}: speed`);
      const freshDir = fs.mkdtempSync(path.join(dataDir, 'speed-'));
      let convertSeconds: number | null = null;
      let prepared: PreparedBackbone;
      if (spec.source.kind === 'bundled') {
        const start = performance.now();
        prepared = await prepareBackbone(spec, freshDir);
        convertSeconds = (performance.now() - start) / 1000;
      } else {
        prepared = await prepareBackbone(spec, dataDir);
      }
      const { embedRate, bareRate, sequentialRate } = await measureSpeed(prepared, photos);
      log(
        `  embed ${embedRate.toFixed(1)} img/s, bare inference ${bareRate.toFixed(1)}/s, sequential loop ${sequentialRate.toFixed(1)}/s`,
      );
      speedRows.push({
        backbone: label,
        tap: spec.taps.map((t) => tapLabel(spec.id, t)).join(' + '),
        dim: spec.featureDim,
        embedRate,
        bareRate,
        sequentialRate,
        convertSeconds,
        onnxMB: fs.statSync(prepared.onnxPath).size / 2 ** 20,
      });
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(report(accRows, speedRows, counts));
}
