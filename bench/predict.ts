// npm run bench -- predict: the default model exported to ONNX, then single-photo latency
// (decode included), batch-predict throughput through the service, and a bare
// onnxruntime-node loop over the same file and photos in the same run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeLabelledFolder } from '../e2e/fixtures/photo-corpus';
import { createInferenceSession } from '../main/ml/embedding/embedder';
import * as ort from '../main/ml/onnxruntime';
import { decodeCrop, writeInputRow } from '../main/ml/preprocess';
import { ExportedOnnxModel } from '../main/services/exported-model';
import { walkPhotoFolder } from '../main/services/folder-walk';
import { GraftApp } from '../main/services/graft-app';
import { HYMENOPTERA_DIR, hymenopteraAvailable } from './hymenoptera';

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** decode + normalise + session.run in batches of 16, nothing else: what batch predict is measured against. */
async function bareLoop(model: string, files: string[], app: ExportedOnnxModel): Promise<number> {
  const { input, preprocessing: pre } = app;
  const session = await createInferenceSession(model);
  const rowSize = pre.inputSize * pre.inputSize * 3;
  const t0 = performance.now();
  for (let start = 0; start < files.length; start += 16) {
    const crops = await Promise.all(
      files.slice(start, start + 16).map(async (f) => decodeCrop(await fs.promises.readFile(f), pre)),
    );
    const data = new Float32Array(crops.length * rowSize);
    crops.forEach((c, i) => {
      writeInputRow(c, pre, data, i);
    });
    await session.run({
      [input.name]: new ort.Tensor('float32', data, [crops.length, ...input.shape.slice(1).map(Number)]),
    });
  }
  const rate = files.length / ((performance.now() - t0) / 1000);
  await session.release();
  return rate;
}

export async function benchPredict(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-bench-predict-'));
  const app = new GraftApp({ dataDir: path.join(work, 'data') });
  try {
    let photos = HYMENOPTERA_DIR;
    if (!hymenopteraAvailable()) {
      photos = path.join(work, 'photos');
      await writeLabelledFolder(photos, { a: 100, b: 100 }, { width: 640, height: 480 });
    }
    const project = app.projects.create('Predict');
    const folder = app.folders.add(project.id, photos, true);
    await app.importer.start(folder.id).done;
    const run = app.training.start(project.id);
    await run.done;
    const exported = await app.exports.start(run.experimentId, {
      format: 'onnx',
      location: work,
      folderName: 'model',
      rawInput: false,
      overwrite: false,
    }).done;
    if (exported.status !== 'passed') throw new Error(`export failed: ${exported.error}`);
    const modelFile = path.join(exported.path, 'model.onnx');
    const files = (await walkPhotoFolder(photos)).files.map((f) => f.absPath);
    const model = await ExportedOnnxModel.open(modelFile);

    const latencies: number[] = [];
    for (const file of files.slice(0, 100)) {
      const t = performance.now();
      await model.predict([{ name: file, read: () => fs.promises.readFile(file) }], { topK: 3 });
      latencies.push(performance.now() - t);
    }
    latencies.sort((a, b) => a - b);

    const bare = await bareLoop(modelFile, files, model);
    const t0 = performance.now();
    const batch = await app.prediction.startBatch({ kind: 'export', exportId: exported.id }, photos, work, 3).done;
    const batchRate = batch.predicted / ((performance.now() - t0) / 1000);
    await model.close();

    console.log(
      `\nPredict benchmark on ${os.cpus().length} vCPUs, default backbone ${app.experiments.get(run.experimentId).backboneId}, ${files.length} photos from ${hymenopteraAvailable() ? 'hymenoptera' : 'generated 640×480 JPEGs'}`,
    );
    console.log(
      `  parity after export: ${exported.parity?.photos} photos, agreement ${exported.parity?.agreement}, max |Δp| ${exported.parity?.maxProbabilityDifference.toExponential(2)}`,
    );
    console.log(
      `  single photo (read + decode + infer): p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p95 ${percentile(latencies, 0.95).toFixed(1)} ms (100 photos)`,
    );
    console.log(
      `  batch predict to CSV: ${batchRate.toFixed(1)} photos/s (${batch.predicted} predicted, ${batch.unreadable} unreadable)`,
    );
    console.log(`  bare onnxruntime-node loop (decode + infer, batches of 16): ${bare.toFixed(1)} photos/s`);
    console.log(`  ratio batch/bare: ${(batchRate / bare).toFixed(2)}`);
  } finally {
    app.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
