// Which backbone should Graft use by default? The "Compare backbones" measure (embeddings, then
// a seeded, stratified 5-fold cross-validated linear probe: main/ml/head/linear-probe.ts) on
// two photo sets — hymenoptera (train + val pooled) and PACS photo (a seeded sample per class) —
// for every bundled network's candidate taps, their concatenation within one network (the
// catalogue's multi-tap form), a two-network concatenation, and the ImageNet models in
// ../shared/backbones imported into a temporary data directory. One table, per set and mean.
//
//   npm run bench -- backbones [PACS photos per class, default 60; 0 = all] [ID…]
//
// IDs (bundled backbone ids, or "imported") limit the run to those networks, e.g. to measure the
// close candidates on the whole of PACS photo.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { permutation, seededRandom } from '../common/seeded-random';
import type { BackboneSpec, FeatureTap, PreparedBackbone } from '../main/ml/backbones/backbone-spec';
import { BUNDLED_BACKBONES, DEFAULT_BACKBONE_ID } from '../main/ml/backbones/bundled-backbones';
import { type ImportOptions, importOnnxBackbone, importTfjsBackbone } from '../main/ml/backbones/import-backbone';
import { prepareBackbone } from '../main/ml/backbones/prepare-backbone';
import { defaultInferenceThreads, Embedder, type EmbedItem } from '../main/ml/embedding/embedder';
import { type CrossValidation, crossValidateProbe, PROBE_SETTINGS } from '../main/ml/head/linear-probe';
import * as ort from '../main/ml/onnxruntime';
import { HYMENOPTERA_DIR, SHARED_BACKBONES_DIR } from './hymenoptera';

const COMMAND = 'npm run bench -- backbones';
const PACS_PHOTO_DIR = path.resolve(__dirname, '..', '..', 'shared', 'datasets', 'pacs', 'photo');
const SAMPLE_SEED = 2026;
const PROBE_SEED = 42;
const MID =
  'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/';

interface CandidateTap extends FeatureTap {
  label: string;
}

/** Taps tried per bundled network; the catalogue registers the best (or a concatenation of them). */
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

/** The ImageNet backbones in ../shared/backbones, imported as a person would (folder, preprocessing). */
const SHARED_IMPORTS: { folder: string; file?: string; options: ImportOptions }[] = [
  {
    folder: 'mobilenetv2-12-int8-onnx',
    file: 'mobilenetv2-12-int8.onnx',
    options: { name: 'ImageNet MobileNetV2 int8' },
  },
  {
    folder: 'shufflenet-v2-12-qdq-onnx',
    file: 'shufflenet-v2-12-qdq.onnx',
    options: { name: 'ImageNet ShuffleNetV2 QDQ' },
  },
  {
    folder: 'mobilenet-v1-0.25-224-tfjs',
    // Its SOURCE.md: pixel/127.5 − 1 scored better than [0,1].
    options: {
      name: 'ImageNet MobileNetV1 0.25 (TF.js)',
      preprocessing: { normalisation: { kind: 'range', min: -1, max: 1 } },
    },
  },
];

interface PhotoSet {
  name: string;
  items: EmbedItem[];
  labels: Int32Array;
  classCount: number;
}

interface Row {
  backbone: string;
  tap: string;
  dim: number;
  bundled: boolean;
  /** Registered as a catalogue entry would be: one network (its taps may be several). */
  registrable: boolean;
  /** By set name. */
  scores: Map<string, CrossValidation>;
  photosPerSecond: number | null;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function item(file: string, id: string): EmbedItem {
  const bytes = fs.readFileSync(file);
  return { id, contentHash: createHash('sha256').update(bytes).digest('hex'), read: async () => bytes };
}

function folderSet(name: string, classDirs: { label: number; dirs: string[] }[], perClass: number): PhotoSet {
  const random = seededRandom(SAMPLE_SEED);
  const items: EmbedItem[] = [];
  const labels: number[] = [];
  for (const { label, dirs } of classDirs) {
    const files = dirs.flatMap((d) =>
      fs
        .readdirSync(d)
        .sort()
        .map((f) => path.join(d, f)),
    );
    const order = permutation(files.length, random);
    const take = perClass > 0 ? Math.min(perClass, files.length) : files.length;
    for (const k of order.slice(0, take)) {
      items.push(item(files[k], `${name}/${files[k]}`));
      labels.push(label);
    }
  }
  return { name, items, labels: Int32Array.from(labels), classCount: classDirs.length };
}

function photoSets(pacsPerClass: number): PhotoSet[] {
  const sets: PhotoSet[] = [];
  if (fs.existsSync(path.join(HYMENOPTERA_DIR, 'train'))) {
    sets.push(
      folderSet(
        'hymenoptera',
        ['ants', 'bees'].map((c, label) => ({
          label,
          dirs: ['train', 'val'].map((s) => path.join(HYMENOPTERA_DIR, s, c)),
        })),
        0,
      ),
    );
  }
  if (fs.existsSync(PACS_PHOTO_DIR)) {
    const classes = fs.readdirSync(PACS_PHOTO_DIR).sort();
    sets.push(
      folderSet(
        'PACS photo',
        classes.map((c, label) => ({ label, dirs: [path.join(PACS_PHOTO_DIR, c)] })),
        pacsPerClass,
      ),
    );
  }
  return sets;
}

function normalise(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  return v.map((x) => x * inv);
}

/** Per-tap slices of the embedder's combined vector, each renormalised, concatenated and renormalised (as a multi-tap spec embeds). */
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

function benchSpec(base: BackboneSpec, taps: FeatureTap[]): BackboneSpec {
  const version = createHash('sha256')
    .update(JSON.stringify({ taps, resize: base.resize }))
    .digest('hex')
    .slice(0, 12);
  return { ...base, id: `${base.id}-bench`, version, taps, featureDim: taps.reduce((n, t) => n + t.dim, 0) };
}

/** Each set's vectors (by photo, in set order) and the embedding rate over all sets. */
async function embedSets(
  prepared: PreparedBackbone,
  sets: PhotoSet[],
): Promise<{ vectors: Map<string, Float32Array[]>; photosPerSecond: number }> {
  const embedder = await Embedder.open(prepared);
  const vectors = new Map<string, Float32Array[]>();
  let photos = 0;
  let seconds = 0;
  try {
    for (const set of sets) {
      const run = await embedder.embed(set.items, { views: ['original'] });
      photos += run.embedded;
      seconds += run.seconds;
      vectors.set(
        set.name,
        run.results.map((r) => {
          if (!r.ok || !r.vectors.original) throw new Error(`${r.id}: not embedded`);
          return r.vectors.original;
        }),
      );
    }
  } finally {
    await embedder.close();
  }
  return { vectors, photosPerSecond: photos / seconds };
}

async function score(set: PhotoSet, vectors: Float32Array[]): Promise<CrossValidation> {
  const dim = vectors[0].length;
  const x = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => {
    x.set(v, i * dim);
  });
  return crossValidateProbe({ x, y: set.labels, dim, classCount: set.classCount }, { seed: PROBE_SEED });
}

async function scoreRow(
  sets: PhotoSet[],
  row: Omit<Row, 'scores'>,
  vectorsOf: (set: PhotoSet) => Float32Array[],
): Promise<Row> {
  const scores = new Map<string, CrossValidation>();
  for (const set of sets) scores.set(set.name, await score(set, vectorsOf(set)));
  const out = { ...row, scores };
  log(`  ${row.backbone} / ${row.tap}: ${sets.map((s) => `${s.name} ${fmt(scores.get(s.name)!)}`).join(', ')}`);
  return out;
}

function pct(x: number): string {
  return (x * 100).toFixed(1);
}

function fmt(cv: CrossValidation): string {
  return `${pct(cv.mean)} ± ${pct(cv.std)}`;
}

const meanOf = (row: Row) => [...row.scores.values()].reduce((s, cv) => s + cv.mean, 0) / row.scores.size;
const spreadOf = (row: Row) => [...row.scores.values()].reduce((s, cv) => s + cv.std, 0) / row.scores.size;

function machineNote(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
  return `${cpu}, ${os.cpus().length} vCPU, Node ${process.version}, onnxruntime-node ${ort.env.versions.node}, intraOpNumThreads=${defaultInferenceThreads()}; load average (1/5/15 min) at the end ${load}: other processes share the CPU, so speeds are lower bounds`;
}

/** The registered default's row and the best registrable bundled row, and whether the gap exceeds the spread. */
function verdict(rows: Row[]): string {
  const spec = BUNDLED_BACKBONES.find((b) => b.id === DEFAULT_BACKBONE_ID);
  const candidates = CANDIDATE_TAPS[DEFAULT_BACKBONE_ID] ?? [];
  const registered = spec?.taps.map((t) => candidates.find((c) => c.node === t.node)?.label ?? t.node).join(' + ');
  const current = rows.find((r) => r.backbone === DEFAULT_BACKBONE_ID && r.tap === registered);
  const best = rows.filter((r) => r.bundled && r.registrable).sort((a, b) => meanOf(b) - meanOf(a))[0];
  if (!current || !best) return 'No verdict: the default or a bundled row is missing.';
  const gap = meanOf(best) - meanOf(current);
  const spread = Math.max(spreadOf(best), spreadOf(current));
  const same = best === current;
  return [
    `Registered default: \`${DEFAULT_BACKBONE_ID}\` with ${registered}: mean ${pct(meanOf(current))}% (fold spread ${pct(spreadOf(current))}).`,
    same
      ? 'It is also the best registrable bundled row.'
      : `Best registrable bundled row: \`${best.backbone}\` with ${best.tap}: mean ${pct(meanOf(best))}% (spread ${pct(spreadOf(best))}); gap ${(gap * 100).toFixed(2)} points against a spread of ${(spread * 100).toFixed(2)}: ${gap > spread ? 'larger than the spread — change the default' : 'within the spread — keep the default'}.`,
  ].join(' ');
}

function report(rows: Row[], sets: PhotoSet[], pacsPerClass: number, args: string[]): string {
  const ranked = [...rows].sort((a, b) => meanOf(b) - meanOf(a));
  const setNote = sets.map((s) => `${s.name} ${s.items.length} photos, ${s.classCount} classes`).join('; ');
  return [
    `Command: \`${[COMMAND, ...args].join(' ')}\` (${setNote}; PACS photo ${pacsPerClass > 0 ? `sampled ${pacsPerClass} per class, seed ${SAMPLE_SEED}` : 'whole'}; hymenoptera train + val pooled).`,
    '',
    `Machine: ${machineNote()}.`,
    '',
    `Measure: the app's "Compare backbones" probe — multinomial logistic regression on z-scored embeddings (full-batch Adam, ${PROBE_SETTINGS.steps} steps at ${PROBE_SETTINGS.learningRate}, L2 ${PROBE_SETTINGS.l2}), stratified 5-fold cross-validation, seed ${PROBE_SEED}; accuracy % mean ± standard deviation over the folds; "mean" = mean over the sets. Original view only. Speed = photos embedded per second (decode + inference) over both sets with the bench's multi-tap graph for bundled networks.`,
    '',
    `| backbone | tap | dim | ${sets.map((s) => s.name).join(' | ')} | mean | photos/s |`,
    `|---|---|---:|${sets.map(() => '---:|').join('')}---:|---:|`,
    ...ranked.map(
      (r) =>
        `| ${r.backbone} | ${r.tap} | ${r.dim} | ${sets.map((s) => fmt(r.scores.get(s.name)!)).join(' | ')} | ${pct(meanOf(r))} | ${r.photosPerSecond === null ? '—' : r.photosPerSecond.toFixed(1)} |`,
    ),
    '',
    verdict(rows),
    '',
  ].join('\n');
}

export async function runBackbonesBench(args: string[]): Promise<void> {
  const pacsPerClass = args[0] === undefined ? 60 : Number(args[0]);
  const only = new Set(args.slice(1));
  const wanted = (id: string) => only.size === 0 || only.has(id);
  if (!Number.isInteger(pacsPerClass) || pacsPerClass < 0)
    throw new Error('PACS photos per class: a whole number, 0 = all.');
  const sets = photoSets(pacsPerClass);
  if (sets.length === 0) {
    console.log(`backbones: skipped, neither ${HYMENOPTERA_DIR} nor ${PACS_PHOTO_DIR} is there (../shared).`);
    return;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-bench-backbones-'));
  log(`${sets.map((s) => `${s.name}: ${s.items.length} photos`).join('; ')}; data dir ${dataDir}`);
  const rows: Row[] = [];
  const tapVectors = new Map<string, { taps: CandidateTap[]; vectors: Map<string, Float32Array[]> }>();
  try {
    for (const base of BUNDLED_BACKBONES.filter((b) => wanted(b.id))) {
      const taps = CANDIDATE_TAPS[base.id] ?? base.taps.map((t) => ({ ...t, label: t.node }));
      log(`${base.id}: embedding ${taps.length} taps`);
      const { vectors, photosPerSecond } = await embedSets(await prepareBackbone(benchSpec(base, taps), dataDir), sets);
      tapVectors.set(base.id, { taps, vectors });
      const combos = taps.map((t, i) => ({ label: t.label, pick: [i] }));
      if (taps.length > 1) combos.push({ label: `all ${taps.length} taps concatenated`, pick: taps.map((_, i) => i) });
      for (const { label, pick } of combos) {
        rows.push(
          await scoreRow(
            sets,
            {
              backbone: base.id,
              tap: label,
              dim: pick.reduce((n, i) => n + taps[i].dim, 0),
              bundled: true,
              registrable: true,
              photosPerSecond,
            },
            (set) => vectors.get(set.name)!.map((v) => slice(v, taps, pick)),
          ),
        );
      }
    }
    const a = tapVectors.get('human-centernet-mobilenet-v3');
    const b = tapVectors.get('nsfwjs-mobilenet-v2-140');
    if (a && b) {
      rows.push(
        await scoreRow(
          sets,
          {
            backbone: 'centernet + mobilenet-v2-140',
            tap: `${a.taps[0].label} + ${b.taps[1].label}`,
            dim: a.taps[0].dim + b.taps[1].dim,
            bundled: true,
            registrable: false,
            photosPerSecond: null,
          },
          (set) =>
            a.vectors.get(set.name)!.map((v, i) => {
              const left = slice(v, a.taps, [0]);
              const right = slice(b.vectors.get(set.name)![i], b.taps, [1]);
              return normalise(Float32Array.from([...left, ...right]));
            }),
        ),
      );
    }
    for (const shared of SHARED_IMPORTS.filter(() => wanted('imported'))) {
      const folder = path.join(SHARED_BACKBONES_DIR, shared.folder);
      if (!fs.existsSync(folder)) continue;
      log(`${shared.options.name}: importing`);
      const imported = shared.file
        ? await importOnnxBackbone(path.join(folder, shared.file), dataDir, shared.options)
        : await importTfjsBackbone(folder, dataDir, shared.options);
      const { vectors, photosPerSecond } = await embedSets(await prepareBackbone(imported.spec, dataDir), sets);
      rows.push(
        await scoreRow(
          sets,
          {
            backbone: `imported: ${shared.options.name}`,
            tap: `proposed: ${imported.spec.taps.map((t) => t.node).join(' + ')}`,
            dim: imported.spec.featureDim,
            bundled: false,
            registrable: true,
            photosPerSecond,
          },
          (set) => vectors.get(set.name)!,
        ),
      );
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(report(rows, sets, pacsPerClass, args));
}
