// npm run bench -- adabn-speed [target photos] [seed]: wall time of AdaBN alone (source statistics
// from 200 PACS photos, target statistics from N PACS cartoons, re-folding) for the bundled
// default backbone and the imported ImageNet MobileNetV2 int8; the issue's goal is ≤ 60 s for 1,000.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { permutation, seededRandom } from '../common/seeded-random';
import { adaBn } from '../main/ml/adaptation/adabn';
import { photoBatches } from '../main/ml/adaptation/adabn-batches';
import { GraftApp } from '../main/services/graft-app';
import { SHARED_BACKBONES_DIR } from './hymenoptera';

const PACS_DIR = path.resolve(__dirname, '..', '..', 'shared', 'datasets', 'pacs');
const SOURCE_PHOTOS = 200;

/** `count` seeded photo paths from every class folder of a PACS domain. */
function sample(domain: string, count: number, seed: number): string[] {
  const dir = path.join(PACS_DIR, domain);
  const files = fs
    .readdirSync(dir)
    .sort()
    .flatMap((cls) =>
      fs
        .readdirSync(path.join(dir, cls))
        .sort()
        .map((f) => path.join(dir, cls, f)),
    );
  return Array.from(permutation(files.length, seededRandom(seed)).slice(0, count), (i) => files[i]);
}

export async function benchAdaBnSpeed(args: string[]): Promise<void> {
  const count = Number(args[0] ?? 1000);
  const seed = Number(args[1] ?? 42);
  if (!fs.existsSync(path.join(PACS_DIR, 'cartoon'))) {
    console.log(`Skipped: ${PACS_DIR} is not present.`);
    return;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-bench-adabn-'));
  const app = new GraftApp({ dataDir: work });
  try {
    const ids = [app.backbones.list().find((b) => b.isDefault)!.id];
    const reference = path.join(SHARED_BACKBONES_DIR, 'mobilenetv2-12-int8-onnx', 'mobilenetv2-12-int8.onnx');
    if (fs.existsSync(reference)) ids.push((await app.backbones.importFile(reference, {})).backbone.id);
    const source = sample('photo', SOURCE_PHOTOS, seed).map((f) => ({ read: async () => fs.readFileSync(f) }));
    const target = sample('cartoon', count, seed).map((f) => ({ read: async () => fs.readFileSync(f) }));
    console.log(
      `AdaBN speed on ${os.cpus().length} vCPUs (${os.cpus()[0]?.model ?? 'unknown CPU'}), load ${os.loadavg()[0].toFixed(1)}; ${source.length} source photos, ${target.length} target photos, seed ${seed}`,
    );
    console.log('| backbone | conv layers | source pass | target pass | fold | total |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const id of ids) {
      const prepared = await app.backbones.prepare(id);
      const open = (photos: typeof source) =>
        photoBatches(photos, prepared.preprocessing, prepared.inputName, prepared.maxBatch).run;
      const marks: Record<string, number> = {};
      const started = performance.now();
      const result = await adaBn(
        new Uint8Array(fs.readFileSync(prepared.onnxPath)),
        { source: open(source), target: open(target) },
        (pass) => {
          marks[pass] = performance.now();
        },
      );
      const end = performance.now();
      const s = (a: number, b: number) => `${((b - a) / 1000).toFixed(1)} s`;
      console.log(
        `| ${id} | ${result.layers}${result.quantised ? ` (${result.quantised} int8)` : ''} | ${s(started, marks.source)} | ${s(marks.source, marks.target)} | ${s(marks.target, end)} | **${s(started, end)}** |`,
      );
    }
    console.log(`Load average after: ${os.loadavg()[0].toFixed(1)}`);
  } finally {
    app.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
