// npm run bench -- active-learning: does labelling the most uncertain photos first reach the
// all-labels accuracy sooner than labelling in random order? On the shared hymenoptera photos
// (pool = train folder, scored on val) and PACS photo (7 classes; a seeded stratified 70/30
// pool/test split), each photo embedded once with the app's embedder and cache (original view),
// the head trained by the app's trainHead (default settings, the labelled photos as its
// early-stopping set since an active learner has no other), starting from 2 labels per class
// and adding 10% of the pool per round, up to half the pool. Random order is the mean of three
// seeds. The uncertainty measure the app uses is the one with the best mean accuracy over both
// sets' rounds after the first. A batch variant, 'k-centre' (least confidence's top 3 × batch,
// then farthest-first from what is labelled), is measured beside them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { permutation, seededRandom } from '../common/seeded-random';
import { UNCERTAINTY_MEASURES, type UncertaintyMeasure, uncertainty } from '../common/uncertainty';
import { sha256 } from '../main/ml/backbones/prepare-backbone';
import { Embedder } from '../main/ml/embedding/embedder';
import { predictWithHead } from '../main/ml/head/head-model';
import { trainHead } from '../main/ml/head/train-head';
import { accuracy } from '../main/ml/metrics';
import { SqliteEmbeddingCache } from '../main/services/embedding-store';
import { GraftApp } from '../main/services/graft-app';
import { pack } from '../main/services/training-dataset';
import { HYMENOPTERA_DIR, SHARED_BACKBONES_DIR } from './hymenoptera';

const COMMAND = 'npm run bench -- active-learning';
const PACS_PHOTO_DIR = path.resolve(__dirname, '..', '..', 'shared', 'datasets', 'pacs', 'photo');
const CACHE_DIR = path.join(os.tmpdir(), 'graft-bench-active-learning');
const RANDOM_SEEDS = [1, 2, 3];
const ROUND_SHARE = 0.1;
const MAX_SHARE = 0.5;

interface Photo {
  file: string;
  label: number;
}

interface LabelledSet {
  name: string;
  classes: string[];
  pool: Photo[];
  test: Photo[];
}

interface Features {
  dim: number;
  classCount: number;
  poolX: Float32Array[];
  poolY: number[];
  testX: Float32Array;
  testY: Int32Array;
}

/** 'k-centre': least confidence's top 3 × batch, then farthest-first from the labelled photos (cosine). */
type Order = UncertaintyMeasure | 'random' | 'k-centre';

interface Curve {
  order: Order;
  /** Labels used at each round. */
  labels: number[];
  /** Test accuracy at each round, 0-1. */
  accuracy: number[];
}

function photosIn(dir: string, label: number): Photo[] {
  return fs
    .readdirSync(dir)
    .sort()
    .map((name) => ({ file: path.join(dir, name), label }));
}

function hymenoptera(): LabelledSet | null {
  if (!fs.existsSync(path.join(HYMENOPTERA_DIR, 'train'))) return null;
  const classes = ['ants', 'bees'];
  const split = (s: string) => classes.flatMap((c, i) => photosIn(path.join(HYMENOPTERA_DIR, s, c), i));
  return { name: 'hymenoptera', classes, pool: split('train'), test: split('val') };
}

function pacsPhoto(): LabelledSet | null {
  if (!fs.existsSync(PACS_PHOTO_DIR)) return null;
  const classes = fs.readdirSync(PACS_PHOTO_DIR).sort();
  const pool: Photo[] = [];
  const test: Photo[] = [];
  const random = seededRandom(2026);
  classes.forEach((c, i) => {
    const photos = photosIn(path.join(PACS_PHOTO_DIR, c), i);
    const order = permutation(photos.length, random);
    const cut = Math.round(photos.length * 0.7);
    order.forEach((at, k) => {
      (k < cut ? pool : test).push(photos[at]);
    });
  });
  return { name: 'PACS photo', classes, pool, test };
}

async function embed(app: GraftApp, backboneId: string, set: LabelledSet): Promise<Features> {
  const embedder = await Embedder.open(await app.backbones.prepare(backboneId));
  try {
    const all = [...set.pool, ...set.test];
    const items = all.map((p, i) => {
      const bytes = fs.readFileSync(p.file);
      return { id: String(i), contentHash: sha256(bytes), read: async () => bytes };
    });
    const run = await embedder.embed(items, { cache: new SqliteEmbeddingCache(app.ctx.db) });
    const vectors = run.results.map((r) => {
      if (!r.ok || !r.vectors.original) throw new Error(`${all[Number(r.id)].file}: not embedded`);
      return r.vectors.original;
    });
    process.stderr.write(
      `${set.name}: ${run.embedded} embedded (${run.imagesPerSecond.toFixed(1)} photos/s), ${run.fromCache} from cache\n`,
    );
    const dim = vectors[0].length;
    const testX = new Float32Array(set.test.length * dim);
    vectors.slice(set.pool.length).forEach((v, i) => {
      testX.set(v, i * dim);
    });
    return {
      dim,
      classCount: set.classes.length,
      poolX: vectors.slice(0, set.pool.length),
      poolY: set.pool.map((p) => p.label),
      testX,
      testY: Int32Array.from(set.test.map((p) => p.label)),
    };
  } finally {
    await embedder.close();
  }
}

/** Trains the app's head on the labelled pool rows; returns test accuracy and the head's probabilities on `score`. */
async function trainOn(
  f: Features,
  labelled: number[],
  score: number[],
): Promise<{ accuracy: number; scored: Float32Array }> {
  const x = pack(
    labelled.map((i) => f.poolX[i]),
    f.dim,
  );
  const y = Int32Array.from(labelled.map((i) => f.poolY[i]));
  const result = await trainHead({ dim: f.dim, classCount: f.classCount, train: { x, y }, val: { x, y } });
  const test = await predictWithHead(result.artifacts, f.testX, f.testY.length);
  const scored = await predictWithHead(
    result.artifacts,
    pack(
      score.map((i) => f.poolX[i]),
      f.dim,
    ),
    score.length,
  );
  return { accuracy: accuracy(f.testY, test, f.classCount), scored };
}

function cosineDistance(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let d = 0; d < a.length; d++) {
    dot += a[d] * b[d];
    na += a[d] * a[d];
    nb += b[d] * b[d];
  }
  return 1 - dot / Math.sqrt(na * nb || 1);
}

/** The batch: among the 3 × `add` least confident, each next one farthest from every photo labelled or picked. */
function kCentre(f: Features, labelled: number[], rest: number[], scored: Float32Array, add: number): number[] {
  const k = f.classCount;
  const candidates = rest
    .map((i, r) => ({ i, u: uncertainty(scored.subarray(r * k, (r + 1) * k), 'least-confidence') }))
    .sort((a, b) => b.u - a.u || a.i - b.i)
    .slice(0, 3 * add)
    .map((c) => c.i);
  const nearest = candidates.map((c) => Math.min(...labelled.map((l) => cosineDistance(f.poolX[c], f.poolX[l]))));
  const picked: number[] = [];
  while (picked.length < Math.min(add, candidates.length)) {
    let best = -1;
    for (let j = 0; j < candidates.length; j++)
      if (nearest[j] >= 0 && (best < 0 || nearest[j] > nearest[best])) best = j;
    const chosen = candidates[best];
    picked.push(chosen);
    nearest[best] = -1;
    for (let j = 0; j < candidates.length; j++) {
      if (nearest[j] >= 0) nearest[j] = Math.min(nearest[j], cosineDistance(f.poolX[candidates[j]], f.poolX[chosen]));
    }
  }
  return picked;
}

/** 2 pool photos per class, drawn with `seed`. */
function startingLabels(f: Features, seed: number): number[] {
  const order = permutation(f.poolY.length, seededRandom(seed));
  const picked: number[] = [];
  for (let c = 0; c < f.classCount; c++)
    picked.push(
      ...Array.from(order)
        .filter((i) => f.poolY[i] === c)
        .slice(0, 2),
    );
  return picked;
}

async function curve(f: Features, order: Order, seed: number): Promise<Curve> {
  const n = f.poolY.length;
  const step = Math.ceil(n * ROUND_SHARE);
  const random = seededRandom(seed * 7919);
  const labelled = startingLabels(f, seed);
  const out: Curve = { order, labels: [], accuracy: [] };
  for (;;) {
    const taken = new Set(labelled);
    const rest = [...Array(n).keys()].filter((i) => !taken.has(i));
    const { accuracy: acc, scored } = await trainOn(f, labelled, rest);
    out.labels.push(labelled.length);
    out.accuracy.push(acc);
    if (labelled.length >= n * MAX_SHARE || rest.length === 0) return out;
    const add = Math.min(step, rest.length);
    if (order === 'k-centre') {
      labelled.push(...kCentre(f, labelled, rest, scored, add));
    } else if (order === 'random') {
      const shuffled = permutation(rest.length, random);
      for (let k = 0; k < add; k++) labelled.push(rest[shuffled[k]]);
    } else {
      const k = f.classCount;
      const ranked = rest
        .map((i, r) => ({ i, u: uncertainty(scored.subarray(r * k, (r + 1) * k), order) }))
        .sort((a, b) => b.u - a.u || a.i - b.i);
      for (let j = 0; j < add; j++) labelled.push(ranked[j].i);
    }
  }
}

function meanCurve(curves: Curve[]): Curve {
  return {
    order: 'random',
    labels: curves[0].labels,
    accuracy: curves[0].accuracy.map((_, r) => curves.reduce((s, c) => s + c.accuracy[r], 0) / curves.length),
  };
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

interface SetResult {
  name: string;
  backbone: string;
  pool: number;
  allLabels: number;
  curves: Curve[];
}

function printSet(r: SetResult): void {
  console.log(`\n${r.name}, ${r.backbone}: pool ${r.pool} photos; all ${r.pool} labels → ${pct(r.allLabels)}`);
  const labels = r.curves[0].labels;
  console.log(`| order | ${labels.map((l) => `${l} labels (${pct(l / r.pool)})`).join(' | ')} |`);
  console.log(`|---|${labels.map(() => '---:').join('|')}|`);
  for (const c of r.curves) console.log(`| ${c.order} | ${c.accuracy.map(pct).join(' | ')} |`);
}

async function runSet(app: GraftApp, backboneId: string, backboneName: string, set: LabelledSet): Promise<SetResult> {
  const f = await embed(app, backboneId, set);
  const all = await trainOn(f, [...f.poolY.keys()], []);
  const curves: Curve[] = [];
  for (const measure of UNCERTAINTY_MEASURES) curves.push(await curve(f, measure, RANDOM_SEEDS[0]));
  curves.push(await curve(f, 'k-centre', RANDOM_SEEDS[0]));
  const randoms: Curve[] = [];
  for (const seed of RANDOM_SEEDS) randoms.push(await curve(f, 'random', seed));
  curves.push(meanCurve(randoms));
  const result = { name: set.name, backbone: backboneName, pool: f.poolY.length, allLabels: all.accuracy, curves };
  printSet(result);
  return result;
}

function verdict(results: SetResult[]): void {
  const score = (m: Order) =>
    results.reduce((s, r) => {
      const c = r.curves.find((x) => x.order === m)!;
      return s + c.accuracy.slice(1).reduce((a, b) => a + b, 0) / (c.accuracy.length - 1);
    }, 0) / results.length;
  const best = [...UNCERTAINTY_MEASURES].sort((a, b) => score(b) - score(a))[0];
  console.log(
    `\nMean accuracy over the rounds after the first, all sets: ${[...UNCERTAINTY_MEASURES, 'random' as const]
      .map((m) => `${m} ${pct(score(m))}`)
      .join(', ')}. Best measure: ${best}.`,
  );
  for (const r of results) for (const order of [best, 'k-centre' as const]) goals(r, order);
}

function goals(r: SetResult, order: Order): void {
  const c = r.curves.find((x) => x.order === order)!;
  const random = r.curves.find((x) => x.order === 'random')!;
  const within = c.labels.findIndex((l, i) => l <= r.pool * MAX_SHARE && c.accuracy[i] >= r.allLabels - 0.02);
  const beats = c.accuracy.slice(1).every((a, i) => a > random.accuracy[i + 1]);
  console.log(
    `${r.name}, ${r.backbone}: ${order} within 2 points of all labels ${within >= 0 ? `at ${c.labels[within]} labels (${pct(c.labels[within] / r.pool)}) — met` : 'by half the labels — NOT met'}; beats random at every round after the first — ${beats ? 'met' : 'NOT met'}.`,
  );
}

export async function benchActiveLearning(): Promise<void> {
  const sets = [hymenoptera(), pacsPhoto()].filter((s): s is LabelledSet => s !== null);
  if (sets.length === 0) {
    console.log(`Skipped: neither ${HYMENOPTERA_DIR} nor ${PACS_PHOTO_DIR} is present (shared data).`);
    return;
  }
  console.log(`Active-learning benchmark (${COMMAND}) on ${os.cpus().length} vCPUs; embeddings cached in ${CACHE_DIR}`);
  const app = new GraftApp({ dataDir: CACHE_DIR });
  try {
    const backbones = [{ id: app.backbones.list().find((b) => b.isDefault)!.id, name: 'default backbone' }];
    const reference = path.join(SHARED_BACKBONES_DIR, 'mobilenetv2-12-int8-onnx', 'mobilenetv2-12-int8.onnx');
    if (fs.existsSync(reference) && !process.argv.includes('--default-only')) {
      const name = 'MobileNetV2 int8 (ImageNet, imported)';
      const known = app.backbones.list().find((b) => b.name === name);
      const id = known?.id ?? (await app.backbones.importFile(reference, { name })).backbone.id;
      backbones.push({ id, name });
    }
    for (const b of backbones) {
      const results: SetResult[] = [];
      for (const set of sets) results.push(await runSet(app, b.id, b.name, set));
      verdict(results);
    }
  } finally {
    app.close();
  }
}
