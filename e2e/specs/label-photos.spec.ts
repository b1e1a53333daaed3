// A user's path through the headless host in Chromium: create a project, add a folder of
// photos through the host's folder picker, find the broken files, label photos with the
// keyboard and in bulk, and find every label again after a reload and after a restart.

import { expect, test } from '@playwright/test';
import { type HolidayCorpus, writeHolidayCorpus } from '../fixtures/holiday-corpus';
import { type HostProcess, startHostProcess } from '../fixtures/host-process';
import { type GridLabels, LibraryPage } from '../pages/library-page';
import { ProjectsPage } from '../pages/projects-page';

const PROJECT = 'Holiday photos';
const PER_CLASS = { beach: 70, city: 70, forest: 70 };

/** What each broken file's reason must say. */
const REASONS: Record<string, RegExp> = {
  'truncated.jpg': /truncated/,
  'zero-bytes.jpg': /empty \(0 bytes\)/,
  'notes-renamed.jpg': /not an image/,
  'bomb-20000x20000.png': /20000×20000/,
};

let corpus: HolidayCorpus;
const hosts: HostProcess[] = [];

test.beforeEach(async () => {
  corpus = await writeHolidayCorpus(PER_CLASS);
});

test.afterEach(async () => {
  for (const host of hosts.splice(0)) await host.stop();
  await corpus?.remove();
});

async function startHost(): Promise<HostProcess> {
  const host = await startHostProcess(corpus.dataDir, corpus.root);
  hosts.push(host);
  return host;
}

test('label a folder of photos and keep every label across a reload and a restart', async ({ page }) => {
  const projects = new ProjectsPage(page);
  const library = new LibraryPage(page);
  const { beach, city, forest } = corpus.photos;
  const odd = corpus.readable;
  const okCount = corpus.okCount;
  const brokenCount = Object.keys(corpus.unreadable).length;
  expect(okCount).toBe(215);
  let host = await startHost();

  await test.step('create a project', async () => {
    await projects.goto(host.url);
    await expect(page.getByTestId('nav-library')).toBeDisabled();
    await projects.createProject(PROJECT);
    await library.expectOpen(PROJECT);
    await expect(page.getByTestId('grid-empty')).toContainText('No photos yet');
  });

  await test.step('add photos: navigate the folder picker and import', async () => {
    await library.openAddPhotos({ labelsFromSubfolders: false });
    await expect(library.labelsFromSubfolders).not.toBeChecked();
    await library.continueToFolderChoice();
    const { picker } = library;
    await expect(picker.root).toBeVisible();
    await expect(picker.path).toHaveText(corpus.root);
    await picker.enter(corpus.folderName);
    for (const [name, count] of Object.entries(PER_CLASS)) {
      await expect(picker.folder(name)).toHaveText(new RegExp(`${name}\\s*${count}$`));
    }
    await expect(picker.folder(corpus.oddFolderName)).toBeVisible();
    // Counted through the sub-folders, as the import will find them.
    await expect(picker.imagesHere).toHaveText(`${okCount + brokenCount} photos in this folder and its sub-folders.`);

    const progressSeen = await library.recordImportProgress();
    await picker.choose();
    await library.expectImportSummary({ added: okCount, duplicates: 0, unreadable: brokenCount, missing: 0 });
    const seen = await progressSeen();
    expect(seen.length, 'the import progress bar showed while importing').toBeGreaterThan(0);
    for (const text of seen) {
      expect(text).toMatch(new RegExp(`Looking for photos…|Importing \\d+ / ${okCount + brokenCount}`));
    }
    await expect(library.importProgress).toHaveCount(0);
    await library.expectFilterCounts({ all: okCount, unlabelled: okCount, problems: brokenCount });
    await library.expectShown(okCount);
    await expect(page.getByTestId('problems-left-out')).toHaveText(
      `${brokenCount} unreadable or missing files not shown here (see Problems)`,
    );
    await library.dismissImportSummary();
  });

  await test.step('see every broken file with its reason', async () => {
    await library.showFilter('problems');
    await library.expectShown(brokenCount);
    await expect(library.thumbs).toHaveCount(brokenCount);
    await expect(page.getByTestId('thumb-badge')).toHaveText(Array(brokenCount).fill('unreadable'));
    await expect(library.problemRows).toHaveCount(brokenCount);
    for (const [file, reason] of Object.entries(REASONS)) {
      const row = library.problemRow(`${corpus.oddFolderName}/${file}`);
      await expect(row).toHaveCount(1);
      await expect(row).toContainText('unreadable');
      await expect(row.getByTestId('problem-reason')).toHaveText(reason);
    }
    expect(Object.keys(REASONS).sort()).toEqual(Object.keys(corpus.unreadable).sort());
    await library.showFilter('all');
    await library.expectShown(okCount);
  });

  const ids: Record<string, string> = {};
  await test.step('create classes', async () => {
    for (const name of ['beach', 'city', 'forest', 'other']) ids[name] = await library.addClass(name);
    for (const [index, name] of ['beach', 'city', 'forest', 'other'].entries()) {
      await expect(library.classShortcut(name)).toHaveText(String(index + 1));
    }
    await library.expectClassCounts({ beach: 0, city: 0, forest: 0, other: 0 });
  });

  await test.step('label with the keyboard: number keys assign and move on, Z undoes', async () => {
    await library.clickThumb(beach[0]);
    await library.press('Escape');
    await library.expectSelected(0);
    await library.expectCurrent(beach[0]);
    for (let i = 0; i < 5; i++) {
      await library.press('1');
      await library.expectCurrent(beach[i + 1]);
      await expect(library.thumb(beach[i])).toHaveAttribute('data-class-id', ids.beach);
    }
    await library.expectClassCounts({ beach: 5, city: 0, forest: 0, other: 0 });
    await expect(library.previewClass).toHaveText('Unlabelled');

    await library.press('z');
    await expect(library.thumb(beach[4])).toHaveAttribute('data-class-id', '');
    await library.expectClassCounts({ beach: 4, city: 0, forest: 0, other: 0 });
    await expect(library.redoButton).toBeEnabled();
    await library.press('Shift+Z');
    await expect(library.thumb(beach[4])).toHaveAttribute('data-class-id', ids.beach);
    await library.expectClassCounts({ beach: 5, city: 0, forest: 0, other: 0 });
    await library.press('z');
    await expect(library.thumb(beach[4])).toHaveAttribute('data-class-id', '');
    await library.expectClassCounts({ beach: 4, city: 0, forest: 0, other: 0 });

    // Back to the photo the undo unlabelled; labelling it moves on to the next unlabelled one.
    await library.expectCurrent(beach[5]);
    await library.press('ArrowLeft');
    await library.expectCurrent(beach[4]);
    await library.press('1');
    await library.expectCurrent(beach[5]);
    for (let i = 5; i < 10; i++) {
      await library.press('1');
      await library.expectCurrent(beach[i + 1]);
    }
    await library.expectClassCounts({ beach: 10, city: 0, forest: 0, other: 0 });
    await library.expectFilterCounts({ all: okCount, unlabelled: okCount - 10, problems: brokenCount });
  });

  await test.step('bulk-label: shift-click a range, then a class button or key', async () => {
    await library.clickThumb(beach[10]);
    await library.expectSelected(1);
    await library.clickThumb(beach[69], ['Shift']);
    await library.expectSelected(60);
    await library.assignWithButton('beach');
    await library.expectSelected(0);
    await library.expectCurrent(city[0]);
    await library.expectClassCounts({ beach: 70, city: 0, forest: 0, other: 0 });

    await library.clickThumb(city[0]);
    await library.clickThumb(city[69], ['Shift']);
    await library.expectSelected(70);
    await library.press('2');
    await library.expectSelected(0);
    await library.expectCurrent(forest[0]);
    await library.expectClassCounts({ beach: 70, city: 70, forest: 0, other: 0 });
    await library.expectFilterCounts({ all: okCount, unlabelled: okCount - 140, problems: brokenCount });
  });

  await test.step('bulk-label within the Unlabelled filter: range, then select all but one', async () => {
    await library.showFilter('unlabelled');
    await library.expectShown(75);
    await library.clickThumb(forest[0]);
    await library.clickThumb(forest[69], ['Shift']);
    await library.expectSelected(70);
    await library.press('3');
    await library.expectShown(5);
    await expect(library.thumbs).toHaveCount(5);
    await library.expectClassCounts({ beach: 70, city: 70, forest: 70, other: 0 });

    await library.press('Control+a');
    await library.expectSelected(5);
    await library.clickThumb(odd[4], ['Control']);
    await library.expectSelected(4);
    await expect(library.thumb(odd[4])).toHaveAttribute('aria-pressed', 'false');
    await library.assignWithButton('other');
    await library.expectShown(1);
    await expect(library.thumbs).toHaveCount(1);
    await expect(library.thumb(odd[4])).toHaveAttribute('data-class-id', '');
  });

  await test.step('a refusal shows as a notice that covers no control', async () => {
    await page.getByTestId('new-class-name').fill('beach');
    await page.getByTestId('add-class').click();
    const notice = page.getByTestId('notice');
    await expect(notice).toHaveAttribute('data-code', 'NAME_TAKEN');
    const box = await notice.boundingBox();
    expect(box).not.toBeNull();
    for (const control of await page.locator('button:visible, input:visible, select:visible').all()) {
      if (await control.evaluate((el) => el.closest('[data-testid="notice"]') !== null)) continue;
      const other = await control.boundingBox();
      if (!box || !other || other.width === 0) continue;
      const overlaps =
        other.x < box.x + box.width &&
        box.x < other.x + other.width &&
        other.y < box.y + box.height &&
        box.y < other.y + other.height;
      expect(overlaps, `the notice covers ${await control.evaluate((el) => el.outerHTML.slice(0, 80))}`).toBe(false);
    }
    await notice.getByRole('button', { name: 'Dismiss' }).click();
    await expect(notice).toHaveCount(0);
    await page.getByTestId('new-class-name').fill('');
  });

  await test.step('Class and Split filters combine: beach photos in val', async () => {
    await library.showFilter('all');
    await library.generateSplit();
    const beachSplit = await library.splitCounts(ids.beach);
    expect(beachSplit.train + beachSplit.val + beachSplit.test).toBe(70);
    await expect(page.getByTestId('split-source-generated')).toBeVisible();
    await library.chooseClass(ids.beach);
    await library.expectShown(70);
    await library.chooseSplit('val');
    await library.expectShown(beachSplit.val);
    await expect(page.getByTestId('filter-class')).toHaveValue(ids.beach);
    const shown = await library.gridLabels(beachSplit.val);
    expect(new Set(Object.values(shown))).toEqual(new Set([ids.beach]));
    await library.chooseSplit('');
    await library.expectShown(70);
    await library.showFilter('all');
    await library.expectShown(okCount);
  });

  const expected: GridLabels = {};
  for (const name of beach) expected[name] = ids.beach;
  for (const name of city) expected[name] = ids.city;
  for (const name of forest) expected[name] = ids.forest;
  for (const name of odd.slice(0, 4)) expected[name] = ids.other;
  expected[odd[4]] = '';
  const expectedCounts = { beach: 70, city: 70, forest: 70, other: 4 };
  const expectedFilterCounts = { all: okCount, unlabelled: 1, problems: brokenCount };

  async function expectEveryLabel(): Promise<void> {
    await library.expectClassCounts(expectedCounts);
    await library.expectFilterCounts(expectedFilterCounts);
    await library.showFilter('all');
    await library.expectShown(okCount);
    expect(await library.gridLabels(okCount)).toEqual(expected);
  }

  await test.step('check the class counts and every photo’s label', async () => {
    await expectEveryLabel();
  });

  await test.step('reload the page: every label is kept', async () => {
    await page.reload();
    await library.expectOpen(PROJECT);
    await expectEveryLabel();
  });

  await test.step('restart the host over the same data: the project reopens with every label', async () => {
    await host.stop();
    host = await startHost();
    await projects.goto(host.url);
    await library.expectOpen(PROJECT);
    await expectEveryLabel();
    await library.showFilter('problems');
    await expect(library.problemRows).toHaveCount(brokenCount);

    await projects.show();
    const card = projects.card(PROJECT);
    await expect(card.getByTestId('project-images')).toHaveText(String(okCount));
    await expect(card.getByTestId('project-labelled')).toHaveText(String(okCount - 1));
    await expect(card.getByTestId('project-problems')).toHaveText(String(brokenCount));
  });
});
