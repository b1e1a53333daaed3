// npm run bench -- import [count]: imports generated camera-sized photos through the real
// service layer and compares with a bare sharp thumbnail loop over the same files.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { walkPhotoFolder } from '../main/services/folder-walk';
import { GraftApp } from '../main/services/graft-app';
import { THUMB_SIZE } from '../main/services/thumbnails';
import { withPeakRss } from './peak-rss';
import { cameraPhotoSet } from './photo-set';

const BARE_CONCURRENCY = 4;

async function bareThumbnailLoop(files: string[], outDir: string): Promise<void> {
  await fs.mkdir(outDir, { recursive: true });
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      await sharp(files[i])
        .rotate()
        .resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: 80 })
        .toFile(path.join(outDir, `${i}.jpg`));
    }
  };
  await Promise.all(Array.from({ length: BARE_CONCURRENCY }, worker));
}

export async function benchImport(args: string[]): Promise<void> {
  const count = Number(args[0] ?? 2000);
  const photos = await cameraPhotoSet(count, 4000, 3000);
  const { files } = await walkPhotoFolder(photos);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'graft-bench-import-'));
  try {
    // Import runs first in a fresh process state, so its peak RSS is its own.
    const app = new GraftApp({ dataDir: path.join(work, 'data') });
    const project = app.projects.create('Bench');
    const folder = app.folders.add(project.id, photos, true);
    const t0 = performance.now();
    const imported = await withPeakRss(() => app.importer.start(folder.id).done);
    const importSeconds = (performance.now() - t0) / 1000;
    app.close();

    const t1 = performance.now();
    const bare = await withPeakRss(() =>
      bareThumbnailLoop(
        files.map((f) => f.absPath),
        path.join(work, 'bare'),
      ),
    );
    const bareSeconds = (performance.now() - t1) / 1000;

    const importRate = imported.result.added / importSeconds;
    const bareRate = files.length / bareSeconds;
    console.log(`\nImport benchmark: ${files.length} photos of 4000×3000 px (JPEG), ${os.cpus().length} vCPUs`);
    console.log(
      `  Graft import : ${importRate.toFixed(1)} photos/s (${importSeconds.toFixed(1)} s, ${imported.result.added} added, ${imported.result.unreadable} unreadable), peak RSS ${imported.peakRssMb} MB`,
    );
    console.log(
      `  bare sharp   : ${bareRate.toFixed(1)} photos/s (${bareSeconds.toFixed(1)} s), peak RSS ${bare.peakRssMb} MB (concurrency ${BARE_CONCURRENCY})`,
    );
    console.log(`  ratio import/bare: ${(importRate / bareRate).toFixed(2)}`);
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
