// npm run bench -- adaptation [photos per class] [seed] [methods,…]: train on PACS photos, adapt to PACS
// cartoons (their labels only measure), source-only vs each method and pseudo-label threshold,
// for the bundled default and the imported ImageNet MobileNetV2; then the same on hymenoptera
// train → its validation photos darkened and desaturated; out-of-distribution flags and AUROC.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { ADAPTATION_METHODS, type AdaptationMethod, type AdaptationReport } from '../common/adaptation';
import { permutation, seededRandom } from '../common/seeded-random';
import { areaUnderRoc } from '../main/ml/adaptation/domain-measures';
import { fitOodStatistics, oodScores } from '../main/ml/adaptation/out-of-distribution';
import { AdaptationService } from '../main/services/adaptation';
import { DomainService } from '../main/services/domains';
import { GraftApp } from '../main/services/graft-app';
import { HYMENOPTERA_DIR, hymenopteraAvailable, SHARED_BACKBONES_DIR } from './hymenoptera';

const PACS_DIR = path.resolve(__dirname, '..', '..', 'shared', 'datasets', 'pacs');
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

/** Hymenoptera validation photos darkened (×0.45) and desaturated (×0.3), class folders kept. */
async function darkenedCopy(to: string): Promise<string> {
  for (const cls of ['ants', 'bees']) {
    const dir = path.join(HYMENOPTERA_DIR, 'val', cls);
    fs.mkdirSync(path.join(to, cls), { recursive: true });
    for (const name of fs.readdirSync(dir).sort()) {
      await sharp(path.join(dir, name))
        .rotate()
        .modulate({ brightness: 0.45, saturation: 0.3 })
        .jpeg({ quality: 90 })
        .toFile(path.join(to, cls, name.replace(/\.\w+$/, '.jpg')));
    }
  }
  return to;
}

const pct = (v: number | undefined) => (v === undefined ? '–' : `${(v * 100).toFixed(1)}%`);

function printReport(label: string, r: AdaptationReport): void {
  console.log(
    `| ${label} | ${pct(r.before.targetTest?.accuracy)} | **${pct(r.after.targetTest?.accuracy)}** | ${pct(r.before.sourceVal?.accuracy)} → ${pct(r.after.sourceVal?.accuracy)} | ${r.before.domainDistance.toFixed(3)} → ${r.after.domainDistance.toFixed(3)} | ${pct(r.before.target.meanConfidence)} → ${pct(r.after.target.meanConfidence)} | ${Math.max(...r.after.target.classProportions).toFixed(2)} | ${r.pseudoLabelled ?? '–'} | ${r.adaptSeconds.toFixed(2)} s |`,
  );
}

interface Shift {
  name: string;
  source: string;
  target: string;
}

async function benchShift(
  work: string,
  shift: Shift,
  backbones: string[],
  seed: number,
  methods: readonly AdaptationMethod[],
): Promise<void> {
  const app = new GraftApp({ dataDir: path.join(work, shift.name.replace(/\W+/g, '-')) });
  const domains = new DomainService(app.ctx);
  const adaptation = new AdaptationService(app.ctx, app.experiments, domains, app.images, app.backbones);
  try {
    const project = app.projects.create(shift.name);
    const sourceFolder = app.folders.add(project.id, shift.source, true);
    await app.importer.start(sourceFolder.id).done;
    const targetFolder = app.folders.add(project.id, shift.target, true);
    await app.importer.start(targetFolder.id).done;
    domains.setFolderDomain(targetFolder.id, 'target');
    console.log(`\n### ${shift.name}: ${JSON.stringify(domains.counts(project.id))}`);
    for (const backboneId of backbones) {
      const started = performance.now();
      const run = app.training.start(project.id, { backboneId, seed });
      await run.done;
      const detail = app.experiments.get(run.experimentId);
      if (detail.status !== 'finished') throw new Error(`${backboneId}: ${detail.status} ${detail.error}`);
      console.log(
        `\n${backboneId}: trained in ${((performance.now() - started) / 1000).toFixed(0)} s, source val ${pct(detail.metrics?.val?.accuracy)}, source test ${pct(detail.metrics?.test?.accuracy)}`,
      );
      console.log(
        '| method | target acc source-only | target acc adapted | source val before → after | MMD² before → after | target mean confidence | largest predicted class share | pseudo-labelled | adapt time |',
      );
      console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
      for (const method of methods) {
        const thresholds = method.endsWith('self-train') ? THRESHOLDS : [undefined];
        for (const pseudoLabelThreshold of thresholds) {
          const adapted = adaptation.start(run.experimentId, { method, seed, pseudoLabelThreshold });
          await adapted.done;
          const status = app.experiments.get(adapted.experimentId);
          if (status.status !== 'finished') throw new Error(`${method}: ${status.status} ${status.error}`);
          printReport(
            pseudoLabelThreshold === undefined ? method : `${method} (τ ${pseudoLabelThreshold})`,
            await adaptation.report(adapted.experimentId),
          );
        }
      }
      await oodFigures(app, adaptation, domains, project.id, run.experimentId);
    }
  } finally {
    app.close();
  }
}

/** Out-of-distribution score fitted on the run's training photos, threshold at validation's 95th percentile. */
async function oodFigures(
  app: GraftApp,
  adaptation: AdaptationService,
  domains: DomainService,
  projectId: number,
  experimentId: number,
): Promise<void> {
  const detail = app.experiments.get(experimentId);
  const prepared = await app.backbones.prepare(detail.config.backboneId);
  const items = app.ctx.db
    .prepare(
      'SELECT image_id AS imageId, content_hash AS contentHash, class_id AS classId, split FROM experiment_items WHERE experiment_id = ?',
    )
    .all(experimentId) as { imageId: number; contentHash: string; classId: number; split: string }[];
  const classIndex = new Map(detail.snapshot.classes.map((c, i) => [c.id, i]));
  const signal = new AbortController().signal;
  const embed = async (photos: { imageId: number; contentHash: string }[]) =>
    (await adaptation.embedPhotos(prepared, photos, ['original'], signal)).rows;
  const train = items.filter((i) => i.split === 'train');
  const trainRows = await embed(train);
  const val = await embed(items.filter((i) => i.split === 'val'));
  const test = await embed(items.filter((i) => i.split === 'test'));
  const target = await embed(domains.targetPhotos(projectId));
  const stats = fitOodStatistics(
    trainRows,
    Int32Array.from(train, (i) => classIndex.get(i.classId)!),
    classIndex.size,
    val.x,
  );
  if (test.x.length === 0) {
    console.log('OOD: no held-out test photos in this project, so no false-alarm rate or AUROC.');
    return;
  }
  const heldOut = oodScores(stats, test.x);
  const shifted = oodScores(stats, target.x);
  const flagged = (s: Float64Array) => s.filter((v) => v > stats.threshold).length / s.length;
  console.log(
    `OOD (diagonal Mahalanobis to nearest class mean, threshold = val 95th percentile): held-out source test photos flagged ${pct(flagged(heldOut))} (${heldOut.length}), target photos flagged ${pct(flagged(shifted))} (${shifted.length}), AUROC ${areaUnderRoc(heldOut, shifted).toFixed(3)}`,
  );
}

export async function benchAdaptation(args: string[]): Promise<void> {
  const perClass = Number(args[0] ?? 80);
  const seed = Number(args[1] ?? 42);
  const methods = args[2] ? (args[2].split(',') as AdaptationMethod[]) : ADAPTATION_METHODS;
  const unknown = methods.filter((m) => !ADAPTATION_METHODS.includes(m));
  if (unknown.length > 0)
    throw new Error(`Unknown method ${unknown.join(', ')}; one of ${ADAPTATION_METHODS.join(', ')}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-bench-adapt-'));
  console.log(
    `Adaptation benchmark on ${os.cpus().length} vCPUs (${os.cpus()[0]?.model ?? 'unknown CPU'}), load ${os.loadavg()[0].toFixed(1)}; ${perClass} photos per class, seed ${seed}`,
  );
  try {
    const probe = new GraftApp({ dataDir: path.join(work, 'probe') });
    const backbones = [probe.backbones.list().find((b) => b.isDefault)!.id];
    const reference = path.join(SHARED_BACKBONES_DIR, 'mobilenetv2-12-int8-onnx', 'mobilenetv2-12-int8.onnx');
    probe.close();
    const shifts: Shift[] = [];
    if (fs.existsSync(path.join(PACS_DIR, 'photo'))) {
      shifts.push({
        name: 'PACS photo → cartoon',
        source: sampledFolder(path.join(PACS_DIR, 'photo'), path.join(work, 'pacs-photo'), perClass, seed),
        target: sampledFolder(path.join(PACS_DIR, 'cartoon'), path.join(work, 'pacs-cartoon'), perClass, seed),
      });
    } else console.log(`Skipped PACS: ${PACS_DIR} is not present.`);
    if (hymenopteraAvailable()) {
      shifts.push({
        name: 'hymenoptera → val darkened and desaturated',
        source: HYMENOPTERA_DIR,
        target: await darkenedCopy(path.join(work, 'hymenoptera-dark')),
      });
    } else console.log(`Skipped hymenoptera: ${HYMENOPTERA_DIR} is not present.`);
    for (const shift of shifts) {
      const ids = [...backbones];
      if (fs.existsSync(reference)) {
        // Each shift has its own data directory, so the reference is imported into each.
        ids.push('imported');
      }
      await benchShiftWithImport(work, shift, ids, reference, seed, methods);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function benchShiftWithImport(
  work: string,
  shift: Shift,
  ids: string[],
  reference: string,
  seed: number,
  methods: readonly AdaptationMethod[],
) {
  if (!ids.includes('imported')) return benchShift(work, shift, ids, seed, methods);
  const app = new GraftApp({ dataDir: path.join(work, shift.name.replace(/\W+/g, '-')) });
  const { backbone } = await app.backbones.importFile(reference, { name: 'MobileNetV2 int8 (ImageNet, imported)' });
  app.close();
  return benchShift(
    work,
    shift,
    ids.map((id) => (id === 'imported' ? backbone.id : id)),
    seed,
    methods,
  );
}
