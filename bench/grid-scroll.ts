// npm run bench -- grid-scroll [count]: the Library grid of `count` (20,000) generated photos,
// served by the built host (`npm run build` first) in Chromium, scrolled at 120 px per frame for
// 600 frames. Prints frame-time percentiles, long tasks and how long after the scroll stops the
// thumbnails in view take to show, next to the same scroll over a plain list in the same browser
// (what the machine's load alone costs).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import { startHostProcess } from '../e2e/fixtures/host-process';
import { GraftApp } from '../main/services/graft-app';
import { BROWSER_HINT, findBrowser } from '../scripts/find-browser';

const FRAMES = 600;
const STEP_PX = 120;

/** Small photos that all differ (8×8 px blocks coloured by a hash of the photo's number). */
async function generatedPhotos(count: number): Promise<string> {
  const root = path.join(os.tmpdir(), `graft-bench-grid-${count}`);
  const done = path.join(root, '.complete');
  if (await fs.stat(done).catch(() => null)) return root;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const dir = path.join(root, `set-${String(Math.floor(i / 1000)).padStart(2, '0')}`);
      await fs.mkdir(dir, { recursive: true });
      const [w, h] = [96, 72];
      const px = Buffer.alloc(w * h * 3);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const block = (Math.floor(y / 8) * 12 + Math.floor(x / 8)) * 3;
          for (let c = 0; c < 3; c++) {
            let v = Math.imul((i + 1) ^ Math.imul(block + c + 1, 0x9e3779b1), 0x85ebca6b);
            v ^= v >>> 13;
            v = Math.imul(v, 0xc2b2ae35);
            px[(y * w + x) * 3 + c] = (v ^ (v >>> 16)) & 255;
          }
        }
      }
      await sharp(px, { raw: { width: w, height: h, channels: 3 } })
        .jpeg({ quality: 70 })
        .toFile(path.join(dir, `p-${String(i).padStart(5, '0')}.jpg`));
    }
  };
  await Promise.all([worker(), worker()]);
  await fs.writeFile(done, '');
  return root;
}

export interface ScrollResult {
  frames: number[];
  longTasks: number[];
  /** Milliseconds from the last scroll step until every tile in view shows its thumbnail. */
  settleMs: number;
}

/**
 * The few browser APIs the page function uses: the node-side tsconfig has no DOM library, and
 * must not get one (main/ must not use the DOM).
 */
interface PageBox {
  top: number;
  bottom: number;
}
interface PageElement {
  scrollTop: number;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  getBoundingClientRect(): PageBox;
  complete?: boolean;
  naturalWidth?: number;
}
interface PageGlobals {
  document: { querySelector(selector: string): PageElement | null };
  requestAnimationFrame(callback: (time: number) => void): number;
  PerformanceObserver: new (
    callback: (list: { getEntries(): { duration: number }[] }) => void,
  ) => { observe(options: { type: string }): void };
}

/** Runs in the page: scrolls `[data-testid=thumbnail-grid]` and records each frame's duration. */
async function scrollInPage({ frames, step }: { frames: number; step: number }): Promise<ScrollResult> {
  const page = globalThis as unknown as PageGlobals;
  const grid = page.document.querySelector('[data-testid="thumbnail-grid"]')!;
  const longTasks: number[] = [];
  new page.PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longTasks.push(entry.duration);
  }).observe({ type: 'longtask' });
  const times: number[] = [];
  let last = performance.now();
  await new Promise<void>((resolve) => {
    let i = 0;
    const tick = (t: number) => {
      times.push(t - last);
      last = t;
      grid.scrollTop += step;
      if (++i < frames) page.requestAnimationFrame(tick);
      else resolve();
    };
    page.requestAnimationFrame(tick);
  });
  const start = performance.now();
  const shown = () => {
    const box = grid.getBoundingClientRect();
    const inView = [...grid.querySelectorAll('img')].filter((img) => {
      const r = img.getBoundingClientRect();
      return r.bottom > box.top && r.top < box.bottom;
    });
    return !grid.querySelector('[data-testid="thumb"]') || inView.every((img) => img.complete && img.naturalWidth);
  };
  while (!shown() && performance.now() - start < 30_000) await new Promise((r) => setTimeout(r, 50));
  return { frames: times.slice(1), longTasks, settleMs: performance.now() - start };
}

/** One line of a scroll's figures: frame-time percentiles (ms), frames over 33 ms, long tasks, settle time. */
export function figures(label: string, r: ScrollResult): string {
  const sorted = [...r.frames].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(1);
  const slow = r.frames.filter((t) => t > 33).length;
  return (
    `  ${label.padEnd(15)} frame p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, p99 ${at(0.99)} ms; ` +
    `>33 ms: ${slow} (${((100 * slow) / r.frames.length).toFixed(1)}%); long tasks ${r.longTasks.length}` +
    ` (longest ${Math.round(Math.max(0, ...r.longTasks))} ms); thumbnails in view after ${Math.round(r.settleMs)} ms`
  );
}

/** Replaces the page with a plain scroller of static rows and scrolls it as scrollGrid does (the load's own noise). */
export async function scrollPlainList(page: Page): Promise<ScrollResult> {
  await page.setContent(
    `<div data-testid="thumbnail-grid" style="height:800px;overflow-y:auto">${'<div style="height:132px">row</div>'.repeat(2000)}</div>`,
  );
  return scrollGrid(page);
}

/** Scrolls the page's `[data-testid=thumbnail-grid]` for FRAMES frames at STEP_PX per frame. */
export async function scrollGrid(page: Page): Promise<ScrollResult> {
  // tsx names functions with an `__name` helper that the page lacks: give it one.
  await page.evaluate('globalThis.__name = (f) => f');
  return page.evaluate(scrollInPage, { frames: FRAMES, step: STEP_PX });
}

export async function benchGridScroll(args: string[]): Promise<void> {
  const count = Number(args[0] ?? 20_000);
  const browser = findBrowser();
  if (!browser) throw new Error(BROWSER_HINT);
  const photos = await generatedPhotos(count);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'graft-bench-grid-data-'));
  const host = await (async () => {
    const app = new GraftApp({ dataDir: work });
    const project = app.projects.create('Scroll');
    app.projects.open(project.id);
    await app.importer.start(app.folders.add(project.id, photos, false).id).done;
    app.close();
    return startHostProcess(work, photos);
  })();
  const chrome = await chromium.launch({
    executablePath: browser.executablePath,
    channel: browser.channel,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  try {
    const page = await chrome.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(host.url);
    await page
      .getByTestId('shown-count')
      .filter({ hasText: `${count.toLocaleString('en')} shown` })
      .waitFor();
    await page.waitForTimeout(2000);
    const grid = await scrollGrid(page);
    const plain = await scrollPlainList(page);
    console.log(
      `\nGrid scroll: ${count.toLocaleString('en')} photos, ${FRAMES} frames at ${STEP_PX} px/frame, ${os.cpus().length} vCPUs, load average ${os.loadavg()[0].toFixed(1)}`,
    );
    console.log(figures('Library grid', grid));
    console.log(figures('plain scroller', plain));
  } finally {
    await chrome.close();
    await host.stop();
    await fs.rm(work, { recursive: true, force: true });
  }
}
