// npm run bench -- adaptation [photos per class] [seed] [methods,…|all] [pacs,hymenoptera]: train on PACS photos, adapt to
// PACS cartoons (their labels only measure); train on hymenoptera, adapt to its validation photos
// under synthetic shifts made here with sharp (dark + desaturated, blur, heavy JPEG, colour cast).
// Source-only vs each method of ADAPTATION_METHODS (the default's pseudo-label threshold swept),
// for the bundled default and the imported ImageNet MobileNetV2 int8; out-of-distribution AUROC
// of held-out PACS photos vs cartoons and of hymenoptera validation photos vs PACS photos.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import {
  ADAPTATION_METHODS,
  type AdaptationMethod,
  type AdaptationReport,
  DEFAULT_ADAPTATION_METHOD,
} from '../common/adaptation';
import { permutation, seededRandom } from '../common/seeded-random';
import { areaUnderRoc } from '../main/ml/adaptation/domain-measures';
import { fitOodStatistics, oodScores } from '../main/ml/adaptation/out-of-distribution';
import { GraftApp } from '../main/services/graft-app';
import { HYMENOPTERA_DIR, hymenopteraAvailable, SHARED_BACKBONES_DIR } from './hymenoptera';

const PACS_DIR = path.resolve(__dirname, '..', '..', 'shared', 'datasets', 'pacs');
/** Pseudo-label thresholds tried for the default method; the other self-training methods use the default's. */
const THRESHOLDS = [0.5, 0.7, 0.9];

/** A folder of links to at most `perClass` seeded photos of each class folder of `from`. */
function sampledFolder(from: string, to: string, perClass: number, seed: number): string {
  for (const cls of fs.readdirSync(from).sort()) {
    const dir = path.join(from, cls);
    if (!fs.statSync(dir).isDirectory()) continue;
    const files = fs.readdirSync(dir).sort();
    const order = permutation(files.length, seededRandom(seed));
    fs.mkdirSync(path.join(to, cls), { recursive: true });
    for (const i of Array.from(order).slice(0, perClass))
      fs.symlinkSync(path.join(dir, files[i]), path.join(to, cls, files[i]));
  }
  return to;
}

/**
 * The synthetic shifts of the hymenoptera validation photos: each a sharp pipeline applied to the
 * EXIF-oriented photo, written as JPEG quality 90 (the heavy-JPEG shift at its own quality).
 */
const SYNTHETIC_SHIFTS: { name: string; apply: (image: Sharp) => Sharp }[] = [
  {
    name: 'dark + desaturated',
    apply: (image) => image.modulate({ brightness: 0.45, saturation: 0.3 }).jpeg({ quality: 90 }),
  },
  // σ 4 px on photos about 500 px wide: about 1.8 px once resized to the 224 px input.
  { name: 'blur', apply: (image) => image.blur(4).jpeg({ quality: 90 }) },
  { name: 'heavy JPEG', apply: (image) => image.jpeg({ quality: 5 }) },
  // A warm cast: blue scaled to 55%, green to 85%, red and green lifted.
  { name: 'colour cast', apply: (image) => image.linear([1, 0.85, 0.55], [40, 10, 0]).jpeg({ quality: 90 }) },
];

/** The hymenoptera validation photos through `apply`, class folders kept. */
async function shiftedCopy(to: string, apply: (image: Sharp) => Sharp): Promise<string> {
  for (const cls of ['ants', 'bees']) {
    const dir = path.join(HYMENOPTERA_DIR, 'val', cls);
    fs.mkdirSync(path.join(to, cls), { recursive: true });
    for (const name of fs.readdirSync(dir).sort()) {
      await apply(sharp(path.join(dir, name)).rotate()).toFile(path.join(to, cls, name.replace(/\.\w+$/, '.jpg')));
    }
  }
  return to;
}

const pct = (v: number | undefined) => (v === undefined ? '–' : `${(v * 100).toFixed(1)}%`);

interface Shift {
  name: string;
  source: string;
  target: string;
  synthetic: boolean;
}

/** One adaptation's outcome on labelled target photos, for the summary. */
interface Outcome {
  shift: string;
  synthetic: boolean;
  backbone: string;
  method: string;
  before: number;
  after: number;
  count: number;
  secondsPer1000: number;
}

function printReport(label: string, r: AdaptationReport): void {
  const per1000 = (r.adaptSeconds / r.targetSnapshot.count) * 1000;
  console.log(
    `| ${label} | ${pct(r.before.targetTest?.accuracy)} | **${pct(r.after.targetTest?.accuracy)}** | ${pct(r.before.sourceVal?.accuracy)} → ${pct(r.after.sourceVal?.accuracy)} | ${r.before.domainDistance.toFixed(3)} → ${r.after.domainDistance.toFixed(3)} | ${pct(r.before.target.meanConfidence)} → ${pct(r.after.target.meanConfidence)} | ${Math.max(...r.after.target.classProportions).toFixed(2)} | ${r.pseudoLabelled ?? '–'} | ${r.adaptSeconds.toFixed(2)} s (${per1000.toFixed(1)} s / 1,000) |`,
  );
}

type Photo = { imageId: number; contentHash: string };

/** A project's readable photos (all folders, any domain), by content. */
function projectPhotos(app: GraftApp, projectId: number): Photo[] {
  return app.ctx.db
    .prepare(
      `SELECT id AS imageId, content_hash AS contentHash FROM images
       WHERE project_id = ? AND status = 'ok' AND content_hash IS NOT NULL ORDER BY content_hash`,
    )
    .all(projectId) as Photo[];
}

/**
 * Trains a run per backbone on `shift.source` and adapts it with every method to `shift.target`
 * (a folder marked as the new domain in a new project of `app`); appends each outcome.
 * `outside`: photos of another data set, for the AUROC of validation photos against them.
 */
async function benchShift(
  app: GraftApp,
  shift: Shift,
  backbones: { id: string; name: string }[],
  seed: number,
  methods: readonly AdaptationMethod[],
  outcomes: Outcome[],
  outside: Photo[] | null,
): Promise<void> {
  const project = app.projects.create(shift.name);
  const sourceFolder = app.folders.add(project.id, shift.source, true);
  await app.importer.start(sourceFolder.id).done;
  const targetFolder = app.folders.add(project.id, shift.target, true);
  await app.importer.start(targetFolder.id).done;
  app.domains.setFolderDomain(targetFolder.id, 'target');
  console.log(`\n### ${shift.name}: ${JSON.stringify(app.domains.counts(project.id))}`);
  for (const backbone of backbones) {
    const started = performance.now();
    const run = app.training.start(project.id, { backboneId: backbone.id, seed });
    await run.done;
    const detail = app.experiments.get(run.experimentId);
    if (detail.status !== 'finished') throw new Error(`${backbone.name}: ${detail.status} ${detail.error}`);
    console.log(
      `\n${backbone.name}: trained in ${((performance.now() - started) / 1000).toFixed(0)} s, source val ${pct(detail.metrics?.val?.accuracy)}, source test ${pct(detail.metrics?.test?.accuracy)}`,
    );
    console.log(
      '| method | target acc source-only | target acc adapted | source val before → after | MMD² before → after | target mean confidence | largest predicted class share | pseudo-labelled | adapt time |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const method of methods) {
      const thresholds = method === DEFAULT_ADAPTATION_METHOD ? THRESHOLDS : [undefined];
      for (const pseudoLabelThreshold of thresholds) {
        const adapted = app.adaptation.start(run.experimentId, { method, seed, pseudoLabelThreshold });
        await adapted.done;
        const status = app.experiments.get(adapted.experimentId);
        const label = pseudoLabelThreshold === undefined ? method : `${method} (τ ${pseudoLabelThreshold})`;
        if (status.status !== 'finished') {
          // One method failing is a figure too: the others still run.
          console.log(`| ${label} | ${status.status}: ${status.error} |`);
          continue;
        }
        const report = await app.adaptation.report(adapted.experimentId);
        printReport(label, report);
        if (report.before.targetTest && report.after.targetTest) {
          outcomes.push({
            shift: shift.name,
            synthetic: shift.synthetic,
            backbone: backbone.name,
            method: label,
            before: report.before.targetTest.accuracy,
            after: report.after.targetTest.accuracy,
            count: report.after.targetTest.count,
            secondsPer1000: (report.adaptSeconds / report.targetSnapshot.count) * 1000,
          });
        }
      }
    }
    await oodFigures(app, project.id, run.experimentId, outside);
  }
}

/**
 * Out-of-distribution score fitted on the run's training photos, threshold at validation's 95th
 * percentile: flagged shares and AUROC of held-out source test photos vs the target photos, and
 * of the validation photos vs `outside` photos when given.
 */
async function oodFigures(app: GraftApp, projectId: number, experimentId: number, outside: Photo[] | null) {
  const detail = app.experiments.get(experimentId);
  const prepared = await app.backbones.prepare(detail.config.backboneId);
  const items = app.ctx.db
    .prepare(
      'SELECT image_id AS imageId, content_hash AS contentHash, class_id AS classId, split FROM experiment_items WHERE experiment_id = ?',
    )
    .all(experimentId) as { imageId: number; contentHash: string; classId: number; split: string }[];
  const classIndex = new Map(detail.snapshot.classes.map((c, i) => [c.id, i]));
  const signal = new AbortController().signal;
  const embed = async (photos: Photo[]) =>
    (await app.adaptation.embedPhotos(prepared, photos, ['original'], signal)).rows;
  const train = items.filter((i) => i.split === 'train');
  const trainRows = await embed(train);
  const val = await embed(items.filter((i) => i.split === 'val'));
  const stats = fitOodStatistics(
    trainRows,
    Int32Array.from(train, (i) => classIndex.get(i.classId)!),
    classIndex.size,
    val.x,
  );
  const flagged = (s: Float64Array) => s.filter((v) => v > stats.threshold).length / s.length;
  const test = items.filter((i) => i.split === 'test');
  if (test.length > 0) {
    const heldOut = oodScores(stats, (await embed(test)).x);
    const shifted = oodScores(stats, (await embed(app.domains.targetPhotos(projectId))).x);
    console.log(
      `OOD (diagonal Mahalanobis to nearest class mean, threshold = val 95th percentile): held-out source test photos flagged ${pct(flagged(heldOut))} (${heldOut.length}), target photos flagged ${pct(flagged(shifted))} (${shifted.length}), AUROC ${areaUnderRoc(heldOut, shifted).toFixed(3)}`,
    );
  }
  if (outside) {
    const own = oodScores(stats, val.x);
    const other = oodScores(stats, (await embed(outside)).x);
    console.log(
      `OOD validation photos vs ${outside.length} photos of another data set: flagged ${pct(flagged(own))} vs ${pct(flagged(other))}, AUROC ${areaUnderRoc(own, other).toFixed(3)}`,
    );
  }
}

/** Per backbone and method over the synthetic shifts: mean gain in points and the worst change in photos. */
function printSummary(outcomes: Outcome[]): void {
  console.log(
    '\n### Synthetic shifts summary\n| backbone | method | mean gain (points) | worst change (photos) | slowest s / 1,000 target photos |',
  );
  console.log('|---|---|---:|---:|---:|');
  const synthetic = outcomes.filter((o) => o.synthetic);
  const keys = [...new Set(synthetic.map((o) => `${o.backbone}\u0000${o.method}`))];
  for (const key of keys) {
    const [backbone, method] = key.split('\u0000');
    const rows = synthetic.filter((o) => o.backbone === backbone && o.method === method);
    const gain = rows.reduce((s, o) => s + (o.after - o.before) * 100, 0) / rows.length;
    const worst = Math.min(...rows.map((o) => Math.round((o.after - o.before) * o.count)));
    const slowest = Math.max(...rows.map((o) => o.secondsPer1000));
    console.log(
      `| ${backbone} | ${method} | ${gain >= 0 ? '+' : ''}${gain.toFixed(1)} | ${worst} | ${slowest.toFixed(1)} |`,
    );
  }
}

/** A GraftApp in `dir` with the backbones to compare: the bundled default and, when present, the imported reference. */
async function benchApp(
  dir: string,
  reference: string,
): Promise<{ app: GraftApp; backbones: { id: string; name: string }[] }> {
  const app = new GraftApp({ dataDir: dir });
  const bundled = app.backbones.list().find((b) => b.isDefault)!;
  const backbones = [{ id: bundled.id, name: `bundled default (${bundled.name})` }];
  if (fs.existsSync(reference)) {
    const { backbone } = await app.backbones.importFile(reference, { name: 'MobileNetV2 int8 (ImageNet, imported)' });
    backbones.push({ id: backbone.id, name: 'imported ImageNet MobileNetV2 int8' });
  } else console.log(`Skipped the imported MobileNetV2: ${reference} is not present.`);
  return { app, backbones };
}

export async function benchAdaptation(args: string[]): Promise<void> {
  const perClass = Number(args[0] ?? 80);
  const seed = Number(args[1] ?? 42);
  const methods = args[2] && args[2] !== 'all' ? (args[2].split(',') as AdaptationMethod[]) : ADAPTATION_METHODS;
  const sets = (args[3] ?? 'pacs,hymenoptera').split(',');
  const unknown = methods.filter((m) => !ADAPTATION_METHODS.includes(m));
  if (unknown.length > 0)
    throw new Error(`Unknown method ${unknown.join(', ')}; one of ${ADAPTATION_METHODS.join(', ')}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-bench-adapt-'));
  console.log(
    `Adaptation benchmark on ${os.cpus().length} vCPUs (${os.cpus()[0]?.model ?? 'unknown CPU'}), load ${os.loadavg()[0].toFixed(1)}; ${perClass} photos per class, seed ${seed}; methods ${methods.join(', ')}`,
  );
  const reference = path.join(SHARED_BACKBONES_DIR, 'mobilenetv2-12-int8-onnx', 'mobilenetv2-12-int8.onnx');
  const outcomes: Outcome[] = [];
  const pacs = fs.existsSync(path.join(PACS_DIR, 'photo'));
  console.log(`Data sets: ${sets.join(', ')}`);
  try {
    const pacsPhotos = pacs
      ? sampledFolder(path.join(PACS_DIR, 'photo'), path.join(work, 'pacs-photo'), perClass, seed)
      : null;
    if (pacsPhotos && sets.includes('pacs')) {
      const { app, backbones } = await benchApp(path.join(work, 'pacs'), reference);
      try {
        const shift: Shift = {
          name: 'PACS photo → cartoon',
          source: pacsPhotos,
          target: sampledFolder(path.join(PACS_DIR, 'cartoon'), path.join(work, 'pacs-cartoon'), perClass, seed),
          synthetic: false,
        };
        await benchShift(app, shift, backbones, seed, methods, outcomes, null);
      } finally {
        app.close();
      }
    } else console.log(`Skipped PACS: ${PACS_DIR} is not present or not asked for.`);
    if (hymenopteraAvailable() && sets.includes('hymenoptera')) {
      // One data directory for every hymenoptera shift, so the source photos are embedded once.
      const { app, backbones } = await benchApp(path.join(work, 'hymenoptera'), reference);
      try {
        let outside: Photo[] | null = null;
        if (pacsPhotos) {
          const other = app.projects.create('PACS photos (out-of-distribution check only)');
          const folder = app.folders.add(other.id, pacsPhotos, false);
          await app.importer.start(folder.id).done;
          outside = projectPhotos(app, other.id);
        }
        for (const synthetic of SYNTHETIC_SHIFTS) {
          const shift: Shift = {
            name: `hymenoptera → val ${synthetic.name}`,
            source: HYMENOPTERA_DIR,
            target: await shiftedCopy(
              path.join(work, `hymenoptera-${synthetic.name.replace(/\W+/g, '-')}`),
              synthetic.apply,
            ),
            synthetic: true,
          };
          // Validation photos against PACS photos once: every shift trains the same source run.
          await benchShift(app, shift, backbones, seed, methods, outcomes, outside);
          outside = null;
        }
      } finally {
        app.close();
      }
    } else console.log(`Skipped hymenoptera: ${HYMENOPTERA_DIR} is not present or not asked for.`);
    printSummary(outcomes);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
