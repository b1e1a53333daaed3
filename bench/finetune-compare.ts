// npm run bench -- finetune-compare [blocks...] [--pacs-per-class N] [--epochs N]
// [--backbone ID | --import FILE.onnx]: feature extraction vs fine-tuning through the app's own
// fine-tuning run (main/services/fine-tuning.ts: stage 1 is the app's head on the frozen
// features, stage 2 the top blocks + head) with a bundled backbone (default: the LayersModel
// MobileNetV2 of nsfwjs) or an ONNX file imported as the app imports it, on the shared hymenoptera photos (train folder split
// 80/20 seeded into train/validation, the val folder as test) and PACS photo (7 classes, a seeded
// per-class subset split 70/15/15). Prints, per set and unfrozen block count: validation and test
// accuracy of stage 1 (feature extraction) and of the fine-tuned model, the stage kept, seconds
// per stage-2 epoch per 1,000 training photos, wall time, peak RSS and the tfjs backend.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { permutation, seededRandom } from '../common/seeded-random';
import { embeddingModelId } from '../main/ml/backbones/backbone-spec';
import { findBundledBackbone } from '../main/ml/backbones/bundled-backbones';
import { importOnnxBackbone } from '../main/ml/backbones/import-backbone';
import { accuracy } from '../main/ml/metrics';
import { type FineTunePhoto, fineTune } from '../main/services/fine-tuning';
import { loadTrainableBackbone } from '../main/services/trainable-backbone';
import { DEFAULT_TRAIN_CONFIG, headConfigOf } from '../main/services/training';
import { HYMENOPTERA_DIR, hymenopteraAvailable, loadHymenoptera } from './hymenoptera';
import { withPeakRss } from './peak-rss';

const PACS_PHOTO_DIR = path.resolve(__dirname, '..', '..', 'shared', 'datasets', 'pacs', 'photo');
const SEED = 1;

interface PhotoSet {
  name: string;
  classCount: number;
  photos: FineTunePhoto[];
  note: string;
}

function keyOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function hymenoptera(): PhotoSet {
  const random = seededRandom(SEED);
  const all = loadHymenoptera();
  const train = all.filter((p) => p.split === 'train');
  const order = permutation(train.length, random);
  const valRows = new Set(Array.from(order.subarray(0, Math.round(train.length * 0.2))));
  const photos = all.map(
    (p, i): FineTunePhoto => ({
      key: p.contentHash,
      read: p.read,
      label: p.label,
      split: p.split === 'val' ? 'test' : valRows.has(i) ? 'val' : 'train',
    }),
  );
  return {
    name: 'hymenoptera',
    classCount: 2,
    photos,
    note: 'train folder 80/20 train/val (seed 1), val folder = test',
  };
}

function pacsPhoto(perClass: number): PhotoSet {
  const random = seededRandom(SEED);
  const classes = fs.readdirSync(PACS_PHOTO_DIR).sort();
  const photos: FineTunePhoto[] = [];
  classes.forEach((cls, label) => {
    const names = fs.readdirSync(path.join(PACS_PHOTO_DIR, cls)).sort();
    const order = permutation(names.length, random);
    const chosen = Array.from(order.subarray(0, Math.min(perClass, names.length)), (i) => names[i]);
    chosen.forEach((name, i) => {
      const bytes = fs.readFileSync(path.join(PACS_PHOTO_DIR, cls, name));
      const share = i / chosen.length;
      photos.push({
        key: keyOf(bytes),
        read: async () => bytes,
        label,
        split: share < 0.7 ? 'train' : share < 0.85 ? 'val' : 'test',
      });
    });
  });
  return {
    name: 'pacs/photo',
    classCount: classes.length,
    photos,
    note: `${perClass} photos per class (seeded), 70/15/15 per class`,
  };
}

function option(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
}

function textOption(args: string[], name: string): string | null {
  const at = args.indexOf(name);
  return at >= 0 ? (args[at + 1] ?? null) : null;
}

/** The bundled backbone `--backbone` names, or the ONNX file `--import` names imported into `dataDir`. */
async function chosenSpec(args: string[], dataDir: string) {
  const file = textOption(args, '--import');
  if (file) return (await importOnnxBackbone(path.resolve(file), dataDir)).spec;
  const id = textOption(args, '--backbone') ?? 'nsfwjs-mobilenet-v2';
  const spec = findBundledBackbone(id);
  if (!spec) throw new Error(`${id} is not bundled`);
  return spec;
}

export async function finetuneCompareBenchmark(args: string[]): Promise<void> {
  if (!hymenopteraAvailable()) throw new Error(`The hymenoptera photos are not at ${HYMENOPTERA_DIR}`);
  if (!fs.existsSync(PACS_PHOTO_DIR)) throw new Error(`The PACS photos are not at ${PACS_PHOTO_DIR}`);
  const perClass = option(args, '--pacs-per-class', 60);
  const epochs = option(args, '--epochs', DEFAULT_TRAIN_CONFIG.fineTuneEpochs);
  const blockCounts = args.filter((a, i) => /^\d+$/.test(a) && !args[i - 1]?.startsWith('--')).map(Number);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-bench-cut-'));
  const cacheDir = path.join(dataDir, 'cut-activations');
  const spec = await chosenSpec(args, dataDir);
  const backbone = await loadTrainableBackbone(spec, dataDir);
  console.log(`Backbone: ${spec.name} (${spec.id})`);
  const rows: string[] = [];
  const gains: Record<number, number[]> = {};
  try {
    for (const set of [hymenoptera(), pacsPhoto(perClass)]) {
      const counts = (s: FineTunePhoto['split']) => set.photos.filter((p) => p.split === s).length;
      console.log(
        `\n${set.name}: ${counts('train')} train / ${counts('val')} val / ${counts('test')} test photos (${set.note})`,
      );
      for (const blocks of blockCounts.length > 0 ? blockCounts : [1, 2]) {
        const config = { ...DEFAULT_TRAIN_CONFIG, backboneId: spec.id, unfreezeBlocks: blocks, fineTuneEpochs: epochs };
        const started = performance.now();
        const { result: outcome, peakRssMb } = await withPeakRss(() =>
          fineTune(backbone, set.photos, set.classCount, config, headConfigOf(config), {
            cacheDir,
            modelKey: embeddingModelId(spec),
            onEpoch: (stage, m) =>
              console.log(
                `  [${blocks} blocks] stage ${stage} epoch ${m.epoch}: val loss ${(m.valLossFlip ?? m.valLoss).toFixed(3)}, val acc ${(m.valAccuracyFlip ?? m.valAccuracy).toFixed(3)}, ${m.seconds.toFixed(1)} s`,
              ),
          }),
        );
        const wall = (performance.now() - started) / 1000;
        const labelOf = new Map(set.photos.map((p) => [p.key, p.label]));
        const y = (which: 'val' | 'test') => Int32Array.from(outcome[which].keys, (k) => labelOf.get(k) as number);
        const acc = (which: 'val' | 'test', probabilities: Float32Array) =>
          accuracy(y(which), probabilities, set.classCount);
        const fe = { val: acc('val', outcome.stage1HeldOut.val), test: acc('test', outcome.stage1HeldOut.test) };
        const ftTest = acc('test', outcome.test.probabilities);
        const ftVal = acc('val', outcome.val.probabilities);
        const stage2 = outcome.stage2.epochs;
        const perEpoch = stage2.reduce((t, e) => t + e.seconds, 0) / stage2.length;
        const per1000 = (perEpoch / counts('train')) * 1000;
        gains[blocks] = [...(gains[blocks] ?? []), ftTest - fe.test];
        rows.push(
          `| ${set.name} | ${blocks} (${outcome.unfrozen.join(', ')}) | ${fe.val.toFixed(3)} / ${fe.test.toFixed(3)} | ${ftVal.toFixed(3)} / ${ftTest.toFixed(3)} | ${outcome.keptStage} | ${outcome.stage2.bestEpoch} of ${stage2.length} | ${per1000.toFixed(0)} | ${wall.toFixed(0)} | ${peakRssMb.toFixed(0)} | ${outcome.backend} |`,
        );
        console.log(rows[rows.length - 1]);
      }
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(
    '\n| set | blocks unfrozen | feature extraction val / test | fine-tuned val / test | stage kept | stage-2 best epoch | s per stage-2 epoch per 1,000 train photos | wall s | peak RSS MB | tfjs backend |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  console.log('\nMean test-accuracy gain of fine-tuning over feature extraction, both sets:');
  for (const [blocks, g] of Object.entries(gains)) {
    console.log(`  ${blocks} blocks: ${((g.reduce((a, b) => a + b, 0) / g.length) * 100).toFixed(1)} points`);
  }
  console.log(`\nCommand: npm run bench -- finetune-compare ${args.join(' ')}`);
}

if (require.main === module) {
  finetuneCompareBenchmark(process.argv.slice(2)).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
