// npm run bench -- scale [count] [width] [height]: a project of `count` (20,000) generated photos
// of width×height (640×480) px, end to end (issue 9 item F). Imports them through the service
// layer (photos/s), then serves the data with the built host (`npm run build` first) and, in
// Chromium: how long the Library takes from navigation to its first visible thumbnail, the grid's
// scroll frame times (bench/grid-scroll.ts), and single-photo label assignments sent over HTTP to
// POST /api/labels:assign while the Library is open (round-trip ms). Ends with the database's and
// the thumbnails' size on disk.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { startHostProcess } from '../e2e/fixtures/host-process';
import { dataPaths } from '../main/data-dir';
import { GraftApp } from '../main/services/graft-app';
import { BROWSER_HINT, findBrowser } from '../scripts/find-browser';
import { figures, scrollGrid, scrollPlainList } from './grid-scroll';
import { cameraPhotoSet } from './photo-set';

const LIBRARY_OPENS = 3;
const ASSIGNMENTS = 300;
/** Goals from issue 9's benchmark list. */
const GOALS = { libraryOpenMs: 1000, assignP95Ms: 50, frameP95Ms: 16 };

/** Value at quantile q (0..1) of the numbers, nearest rank below. */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Bytes used by the files below `dir`: their sizes and the blocks they take on disk. */
async function sizeOnDisk(target: string): Promise<{ files: number; bytes: number; diskBytes: number }> {
  const total = { files: 0, bytes: 0, diskBytes: 0 };
  const visit = async (p: string): Promise<void> => {
    const st = await fs.lstat(p).catch(() => null);
    if (!st) return;
    if (st.isDirectory()) {
      for (const name of await fs.readdir(p)) await visit(path.join(p, name));
    } else if (st.isFile()) {
      total.files++;
      total.bytes += st.size;
      total.diskBytes += st.blocks * 512;
    }
  };
  await visit(target);
  return total;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * Runs in the page before its own scripts (an init script, which the page's CSP allows): on every
 * animation frame, looks for the first thumbnail inside the Library grid that has decoded
 * (img.complete with a natural width) and keeps performance.now() then, in ms since navigation.
 */
const FIRST_THUMBNAIL_WATCH = `(() => {
  const look = () => {
    const grid = document.querySelector('[data-testid="thumbnail-grid"]');
    for (const img of grid ? grid.querySelectorAll('img') : []) {
      if (img.complete && img.naturalWidth > 0) return (globalThis.__firstThumbnailMs = performance.now());
    }
    requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})();`;

/** Milliseconds from the start of navigation to the first thumbnail visible in the Library grid. */
async function libraryOpenMs(page: Page, url: string): Promise<number> {
  await page.addInitScript(FIRST_THUMBNAIL_WATCH);
  await page.goto(url);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ms = (await page.evaluate('globalThis.__firstThumbnailMs')) as number | undefined;
    if (ms !== undefined) return ms;
    await page.waitForTimeout(100);
  }
  throw new Error('No thumbnail showed within 60 s of opening the Library.');
}

/** Round-trip milliseconds of single-photo assignments (a keypress each), cycling the classes. */
async function assignmentTimes(url: string, projectId: number, imageIds: number[], classIds: number[]) {
  const { origin, hash } = new URL(url);
  const token = new URLSearchParams(hash.slice(1)).get('token') ?? '';
  const times: number[] = [];
  for (let i = 0; i < ASSIGNMENTS; i++) {
    // A fixed stride through the photos: repeatable, and spread over the whole project.
    const imageId = imageIds[(i * 7919) % imageIds.length];
    const classId = i % 5 === 4 ? null : classIds[i % classIds.length];
    const t0 = performance.now();
    const res = await fetch(`${origin}/api/labels:assign`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-graft-token': token },
      body: JSON.stringify({ projectId, imageIds: [imageId], classId }),
    });
    const body = (await res.json()) as { ok: boolean };
    times.push(performance.now() - t0);
    if (!body.ok) throw new Error(`labels:assign failed: ${JSON.stringify(body)}`);
  }
  return times;
}

export async function benchScale(args: string[]): Promise<void> {
  const [count, width, height] = [Number(args[0] ?? 20_000), Number(args[1] ?? 640), Number(args[2] ?? 480)];
  const browser = findBrowser();
  if (!browser) throw new Error(BROWSER_HINT);
  const photos = await cameraPhotoSet(count, width, height);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'graft-bench-scale-'));
  const chrome = await chromium.launch({
    executablePath: browser.executablePath,
    channel: browser.channel,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  let host: Awaited<ReturnType<typeof startHostProcess>> | undefined;
  try {
    const app = new GraftApp({ dataDir: work });
    const project = app.projects.create('Scale');
    app.projects.open(project.id);
    const t0 = performance.now();
    const imported = await app.importer.start(app.folders.add(project.id, photos, true).id).done;
    const importSeconds = (performance.now() - t0) / 1000;
    const imageIds = app.images.list(project.id, { kind: 'all' }).map((row) => row.id);
    const classIds = app.classes.list(project.id).map((c) => c.id);
    app.close();
    console.log(
      `\nScale: ${count.toLocaleString('en')} photos of ${width}×${height}, ${os.cpus().length} vCPUs, load average ${os.loadavg()[0].toFixed(1)}`,
    );
    console.log(
      `  import            ${(imported.added / importSeconds).toFixed(1)} photos/s (${importSeconds.toFixed(1)} s, ${imported.added} added, ${imported.unreadable} unreadable)`,
    );

    host = await startHostProcess(work, photos);
    const opens: number[] = [];
    for (let i = 0; i < LIBRARY_OPENS; i++) {
      const page = await chrome.newPage({ viewport: { width: 1400, height: 900 } });
      opens.push(await libraryOpenMs(page, host.url));
      await page.close();
    }
    console.log(
      `  Library open      ${opens.map((ms) => `${Math.round(ms)} ms`).join(', ')} (navigation to first thumbnail; goal ≤ ${GOALS.libraryOpenMs} ms)`,
    );

    const page = await chrome.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(host.url);
    await page
      .getByTestId('shown-count')
      .filter({ hasText: `${count.toLocaleString('en')} shown` })
      .waitFor({ timeout: 60_000 });
    await page.waitForTimeout(2000);
    const assign = await assignmentTimes(host.url, project.id, imageIds, classIds);
    console.log(
      `  label assignment  p50 ${quantile(assign, 0.5).toFixed(1)} ms, p95 ${quantile(assign, 0.95).toFixed(1)} ms, worst ${Math.max(...assign).toFixed(1)} ms over ${ASSIGNMENTS} single-photo calls with the Library open (goal p95 ≤ ${GOALS.assignP95Ms} ms)`,
    );
    await page.waitForTimeout(2000);
    const grid = await scrollGrid(page);
    const plain = await scrollPlainList(page);
    console.log(`  grid scroll (goal frame p95 ≤ ${GOALS.frameP95Ms} ms):`);
    console.log(`  ${figures('Library grid', grid)}`);
    console.log(`  ${figures('plain scroller', plain)}`);
    await page.close();

    const paths = dataPaths(work);
    const database = await sizeOnDisk(paths.database);
    const wal = await sizeOnDisk(`${paths.database}-wal`);
    const thumbs = await sizeOnDisk(paths.thumbnails);
    console.log(`  database          ${mb(database.bytes)} (+ ${mb(wal.bytes)} write-ahead log)`);
    console.log(
      `  thumbnails        ${thumbs.files.toLocaleString('en')} files, ${mb(thumbs.bytes)} (${mb(thumbs.diskBytes)} on disk), ${(thumbs.bytes / Math.max(1, thumbs.files) / 1024).toFixed(1)} KB each`,
    );
    console.log(`  load average at the end ${os.loadavg()[0].toFixed(1)}`);
  } finally {
    await chrome.close();
    await host?.stop();
    await fs.rm(work, { recursive: true, force: true });
  }
}
