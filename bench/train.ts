// npm run bench -- train: the hymenoptera photos imported through the service layer with their
// folder labels and given split, trained per backbone as the app trains (defaults), plus a
// 1,000-photo run on generated photos for the wall-time goal.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeLabelledFolder } from '../e2e/fixtures/photo-corpus';
import { GraftApp } from '../main/services/graft-app';
import { bareOnnxLoop } from './bare-onnx-loop';
import { HYMENOPTERA_DIR, hymenopteraAvailable, SHARED_BACKBONES_DIR } from './hymenoptera';

interface Row {
  backbone: string;
  valAccuracy: number;
  embedPhotosPerSecond: number;
  barePhotosPerSecond: number;
  inferenceForwardsPerSecond: number;
  ratio: number;
  wallSeconds: number;
}

async function trainOnce(app: GraftApp, projectId: number, backboneId: string): Promise<Row> {
  const started = performance.now();
  const run = app.training.start(projectId, { backboneId });
  await run.done;
  const wallSeconds = (performance.now() - started) / 1000;
  const detail = app.experiments.get(run.experimentId);
  if (detail.status !== 'finished' || !detail.metrics)
    throw new Error(`${backboneId}: ${detail.status} ${detail.error}`);
  const views = detail.config.augmentFlip || detail.config.flipTestTime ? 2 : 1;
  const files = app.images.list(projectId, { kind: 'all' }).map((r) => app.images.absolutePath(r.id));
  const bare = await bareOnnxLoop(await app.backbones.prepare(backboneId), files, { views });
  const embed = detail.metrics.embeddingImagesPerSecond;
  return {
    backbone: backboneId,
    valAccuracy: detail.metrics.val?.accuracy ?? 0,
    embedPhotosPerSecond: embed,
    barePhotosPerSecond: bare.photosPerSecond,
    inferenceForwardsPerSecond: bare.inferenceForwardsPerSecond,
    ratio: embed / bare.photosPerSecond,
    wallSeconds,
  };
}

function printRows(title: string, rows: Row[]): void {
  console.log(`\n${title}`);
  console.log(
    '| backbone | val acc | Graft embedding photos/s | bare decode+ORT loop photos/s | ratio | ORT alone forwards/s | Train → finished |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.backbone} | ${(r.valAccuracy * 100).toFixed(1)}% | ${r.embedPhotosPerSecond.toFixed(1)} | ${r.barePhotosPerSecond.toFixed(1)} | ${r.ratio.toFixed(2)} | ${r.inferenceForwardsPerSecond.toFixed(1)} | ${r.wallSeconds.toFixed(1)} s |`,
    );
  }
}

async function hymenopteraRuns(work: string): Promise<void> {
  if (!hymenopteraAvailable()) {
    console.log(
      `Skipped hymenoptera: ${HYMENOPTERA_DIR} is not present (it is shared data, not part of the repository).`,
    );
    return;
  }
  const app = new GraftApp({ dataDir: path.join(work, 'hymenoptera') });
  try {
    const project = app.projects.create('Hymenoptera');
    const folder = app.folders.add(project.id, HYMENOPTERA_DIR, true);
    const imported = await app.importer.start(folder.id).done;
    console.log(
      `Imported hymenoptera: ${imported.added} photos, ${imported.unreadable} unreadable, ${imported.labelled} labelled`,
    );
    const backbones = [app.backbones.list().find((b) => b.isDefault)!.id];
    const reference = path.join(SHARED_BACKBONES_DIR, 'mobilenetv2-12-int8-onnx', 'mobilenetv2-12-int8.onnx');
    if (fs.existsSync(reference)) {
      const { backbone } = await app.backbones.importFile(reference, { name: 'MobileNetV2 int8 (ImageNet, imported)' });
      backbones.push(backbone.id);
    }
    const rows: Row[] = [];
    for (const id of backbones) rows.push(await trainOnce(app, project.id, id));
    printRows('Hymenoptera (245 train / 153 val), default training settings, fresh embedding cache:', rows);
  } finally {
    app.close();
  }
}

async function thousandPhotoRun(work: string): Promise<void> {
  const photos = path.join(os.tmpdir(), 'graft-bench-1000-640x480');
  if (!fs.existsSync(path.join(photos, '.complete'))) {
    await writeLabelledFolder(photos, { a: 250, b: 250, c: 250, d: 250 }, { width: 640, height: 480 });
    fs.writeFileSync(path.join(photos, '.complete'), '');
  }
  const app = new GraftApp({ dataDir: path.join(work, 'thousand') });
  try {
    const project = app.projects.create('Thousand');
    const folder = app.folders.add(project.id, photos, true);
    await app.importer.start(folder.id).done;
    const id = app.backbones.list().find((b) => b.isDefault)!.id;
    await app.backbones.prepare(id);
    printRows('1,000 generated photos (640×480, 4 classes), default backbone and settings, nothing cached:', [
      await trainOnce(app, project.id, id),
    ]);
  } finally {
    app.close();
  }
}

export async function benchTrain(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-bench-train-'));
  try {
    console.log(`Train benchmark on ${os.cpus().length} vCPUs (${os.cpus()[0]?.model ?? 'unknown CPU'})`);
    await hymenopteraRuns(work);
    await thousandPhotoRun(work);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
