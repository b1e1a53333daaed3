// The core user path under Electron itself: create a project, import a folder (through the
// native folder dialog, stubbed in main), label photos, restart the app, find every label kept.
// Runs only where Electron's binary is installed and a display exists; skipped, saying why, elsewhere.

import fs from 'node:fs';
import path from 'node:path';
import { type ElectronApplication, _electron as electron, expect, type Page, test } from '@playwright/test';
import { type HolidayCorpus, writeHolidayCorpus } from '../fixtures/holiday-corpus';
import { type GridLabels, LibraryPage } from '../pages/library-page';
import { ProjectsPage } from '../pages/projects-page';

const ROOT = path.resolve(__dirname, '..', '..');
const PROJECT = 'Electron holiday';
const PER_CLASS = { beach: 20, city: 20 };

/** Why Electron cannot run here, or null when it can. */
function electronUnavailable(): string | null {
  let binary: string;
  try {
    // The electron package exports its binary's path, and throws when the binary was never downloaded.
    binary = require('electron') as string;
  } catch (err) {
    return (
      `Electron's binary is not installed (require('electron') threw: "${(err as Error).message}"). ` +
      'It is downloaded by the electron package at install time, which had no internet here; ' +
      'run `node node_modules/electron/install.js` with internet access to get it.'
    );
  }
  if (!fs.existsSync(binary)) return `Electron's binary is missing: ${binary} does not exist.`;
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return 'No display: Electron needs an X11 or Wayland display (DISPLAY/WAYLAND_DISPLAY unset); run under xvfb-run.';
  }
  return null;
}

const unavailable = electronUnavailable();
test.skip(unavailable !== null, unavailable ?? '');
// The list reporter does not print skip reasons: say it once, when the spec file loads.
if (unavailable) console.log(`electron.spec.ts skipped: ${unavailable}`);

let corpus: HolidayCorpus;
const running: ElectronApplication[] = [];

test.beforeEach(async () => {
  corpus = await writeHolidayCorpus(PER_CLASS);
});

test.afterEach(async () => {
  for (const app of running.splice(0)) await app.close().catch(() => undefined);
  await corpus?.remove();
});

/** Starts Graft's Electron main (package.json "main": dist/main/electron-main.cjs) over the corpus's data dir. */
async function launchGraft(): Promise<{ app: ElectronApplication; page: Page }> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  env.GRAFT_DATA_DIR = corpus.dataDir;
  const app = await electron.launch({ args: [ROOT], cwd: ROOT, env });
  running.push(app);
  const page = await app.firstWindow();
  await page.waitForLoadState('domcontentloaded');
  return { app, page };
}

async function closeGraft(app: ElectronApplication): Promise<void> {
  running.splice(running.indexOf(app), 1);
  await app.close();
}

test('under Electron: import through the native dialog, label, restart, labels kept', async () => {
  const { beach, city } = corpus.photos;
  const okCount = corpus.okCount;
  const brokenCount = Object.keys(corpus.unreadable).length;
  let { app, page } = await launchGraft();
  let library = new LibraryPage(page);

  await test.step('create and open a project', async () => {
    const projects = new ProjectsPage(page);
    await projects.createProject(PROJECT);
    await library.expectOpen(PROJECT);
  });

  await test.step('add photos through the (stubbed) native folder dialog', async () => {
    const folder = path.join(corpus.root, corpus.folderName);
    // The native dialog cannot be driven by a test: answer it in main with the corpus folder.
    await app.evaluate(({ dialog }, chosen) => {
      dialog.showOpenDialog = (async () => ({ canceled: false, filePaths: [chosen] })) as typeof dialog.showOpenDialog;
    }, folder);
    await library.openAddPhotos({ labelsFromSubfolders: false });
    await library.continueToFolderChoice();
    await expect(library.picker.root).toHaveCount(0);
    await library.expectImportSummary({ added: okCount, duplicates: 0, unreadable: brokenCount, missing: 0 });
    await library.expectFilterCounts({ all: okCount, unlabelled: okCount, problems: brokenCount });
    await expect(library.problemRows).toHaveCount(brokenCount);
  });

  const ids: Record<string, string> = {};
  await test.step('create classes and label with keys and a shift-click range', async () => {
    ids.beach = await library.addClass('beach');
    ids.city = await library.addClass('city');
    await library.clickThumb(beach[0]);
    await library.press('Escape');
    for (let i = 0; i < 3; i++) {
      await library.press('1');
      await library.expectCurrent(beach[i + 1]);
    }
    await library.press('z');
    await expect(library.thumb(beach[2])).toHaveAttribute('data-class-id', '');
    await library.clickThumb(beach[2]);
    await library.clickThumb(beach[19], ['Shift']);
    await library.expectSelected(18);
    await library.assignWithButton('beach');
    await library.expectCurrent(city[0]);
    await library.clickThumb(city[0]);
    await library.clickThumb(city[19], ['Shift']);
    await library.expectSelected(20);
    await library.press('2');
    await library.expectClassCounts({ beach: 20, city: 20 });
  });

  const expected: GridLabels = {};
  for (const name of beach) expected[name] = ids.beach;
  for (const name of city) expected[name] = ids.city;
  for (const name of corpus.readable) expected[name] = '';

  async function expectEveryLabel(): Promise<void> {
    await library.expectClassCounts({ beach: 20, city: 20 });
    await library.expectFilterCounts({ all: okCount, unlabelled: corpus.readable.length, problems: brokenCount });
    await library.expectShown(okCount);
    expect(await library.gridLabels(okCount)).toEqual(expected);
  }

  await test.step('every label is shown', expectEveryLabel);

  await test.step('restart the app: the project reopens with every label', async () => {
    await closeGraft(app);
    ({ app, page } = await launchGraft());
    library = new LibraryPage(page);
    await library.expectOpen(PROJECT);
    await expectEveryLabel();
  });
});
