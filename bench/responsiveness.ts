// npm run bench -- responsiveness: how long the UI's thread stalls while photos are embedded
// (a 10 ms timer's lateness), with the default backbone on generated 640×480 photos.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeLabelledFolder } from '../e2e/fixtures/photo-corpus';
import { DEFAULT_BACKBONE_ID, findBundledBackbone } from '../main/ml/backbones/bundled-backbones';
import { prepareBackbone } from '../main/ml/backbones/prepare-backbone';
import { Embedder } from '../main/ml/embedding/embedder';
import { walkPhotoFolder } from '../main/services/folder-walk';

export async function benchResponsiveness(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-bench-lag-'));
  try {
    await writeLabelledFolder(path.join(work, 'photos'), { a: 80, b: 80 }, { width: 640, height: 480 });
    const prepared = await prepareBackbone(findBundledBackbone(DEFAULT_BACKBONE_ID)!, path.join(work, 'data'));
    const files = (await walkPhotoFolder(path.join(work, 'photos'))).files;
    const embedder = await Embedder.open(prepared);
    const lags: number[] = [];
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      lags.push(now - last - 10);
      last = now;
    }, 10);
    const run = await embedder.embed(
      files.map((f) => ({ id: f.relPath, contentHash: f.relPath, read: () => fs.promises.readFile(f.absPath) })),
      { views: ['original', 'hflip'] },
    );
    clearInterval(timer);
    await embedder.close();
    lags.sort((a, b) => a - b);
    const at = (q: number) => lags[Math.min(lags.length - 1, Math.floor(q * lags.length))].toFixed(1);
    console.log(
      `Embedding ${files.length} photos (two views) at ${run.imagesPerSecond.toFixed(1)} photos/s on ${os.cpus().length} vCPUs:`,
    );
    console.log(
      `  10 ms timer lateness on the calling thread: p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, worst ${at(1)} ms`,
    );
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
