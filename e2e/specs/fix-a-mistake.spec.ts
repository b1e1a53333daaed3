// Issue 9 acceptance: a person sees a confident mistake in Evaluate, opens it large, relabels it
// with the class's number key, retrains and sees it change; after the run, an unlabelled photo
// carries the model's suggestion, which Enter accepts in the Library.

import { expect } from '@playwright/test';
import { test } from '../fixtures/labelled-host';
import { EvaluatePage } from '../pages/evaluate-page';
import { ExperimentsPage } from '../pages/experiments-page';
import { LibraryPage } from '../pages/library-page';
import { PhotoViewer } from '../pages/photo-viewer';
import { showView, TrainPage } from '../pages/train-page';
import { createLabelledProject, trainWithDefaults } from '../pages/training-flow';

const PROJECT = 'Fix a mistake';
const WRONG = 'red-0003.jpg';
const TO_SUGGEST = 'green-0005.jpg';

test('relabel a confident mistake from Evaluate, retrain and see it change; accept a suggestion with Enter', async ({
  page,
  labelled,
}) => {
  const library = new LibraryPage(page);
  const viewer = new PhotoViewer(page);
  const evaluate = new EvaluatePage(page);
  const train = new TrainPage(page);
  await createLabelledProject(page, labelled.url, labelled.corpus, PROJECT);
  const keyOf = async (name: string) => (await library.classShortcut(name).textContent())?.trim() ?? '';
  const redKey = await keyOf('red');
  const blueKey = await keyOf('blue');
  const blueId = await library.classId('blue');
  const redId = await library.classId('red');

  let imageId = '';
  await test.step('a red photo mislabelled blue in the viewer and put in validation', async () => {
    await library.clickThumb(WRONG);
    await library.press('Space');
    await viewer.expectOpen(WRONG);
    imageId = await viewer.imageId();
    await viewer.relabel(blueKey, 'blue');
    await viewer.split.selectOption('val');
    await expect(viewer.split).toHaveValue('val');
    await viewer.press('+');
    await expect(viewer.zoom).toHaveText('150%');
    await viewer.press('f');
    await expect(viewer.zoom).toHaveText('100%');
    await viewer.close();
    await library.expectLabel(WRONG, blueId);
  });

  await test.step('train: the photo is a confident mistake; relabel it red from Evaluate', async () => {
    await trainWithDefaults(page);
    await train.openEvaluation.click();
    const mistake = page.locator(`[data-testid="mistake"][data-image-id="${imageId}"]`);
    await expect(mistake).toContainText('is blue');
    await expect(mistake).toContainText('predicted red');
    await mistake.getByTestId('mistake-open').click();
    await viewer.expectOpen(WRONG);
    await expect(viewer.caption).toHaveText(/blue predicted as red, \d+(\.\d)?% sure/);
    await viewer.relabel(redKey, 'red');
    await viewer.close();
  });

  await test.step('a green photo loses its label in the Library, then retrain', async () => {
    await showView(page, 'library');
    await library.clickThumb(TO_SUGGEST);
    await library.press('0');
    await library.expectFilterCounts({ all: 120, unlabelled: 1, problems: 0 });
    await train.show();
    await train.start();
    await train.expectOutcome('finished');
    await train.openEvaluation.click();
  });

  await test.step('the relabelled photo is no longer a mistake: it is red predicted red', async () => {
    await expect(evaluate.matrix).toBeVisible();
    await expect(page.locator(`[data-testid="mistake"][data-image-id="${imageId}"]`)).toHaveCount(0);
    await evaluate.cell(redId, redId).click();
    await expect(evaluate.cellPhotos.locator(`[data-testid="cell-photo"][data-image-id="${imageId}"]`)).toHaveCount(1);
  });

  await test.step('Compare lists the photo: blue predicted red in the first run, red predicted red in the second', async () => {
    const experiments = new ExperimentsPage(page);
    await experiments.show();
    await expect(experiments.rows).toHaveCount(2);
    for (const box of await page.getByTestId('experiment-select').all()) await box.check();
    await page.getByTestId('compare-button').click();
    const change = page.locator(`[data-testid="compare-change"][data-image-id="${imageId}"]`);
    await expect(change).toContainText('blue, predicted red');
    await expect(change).toContainText('red, predicted red');
  });

  await test.step('the unlabelled photo carries a suggestion; Enter accepts it', async () => {
    await showView(page, 'library');
    await library.showFilter('unlabelled');
    await library.clickThumb(TO_SUGGEST);
    await expect(page.getByTestId('current-suggestion')).toContainText(/green, \d+(\.\d)?% sure/, { timeout: 60_000 });
    await library.press('Enter');
    await library.expectFilterCounts({ all: 120, unlabelled: 0, problems: 0 });
    await library.showFilter('all');
    await library.expectLabel(TO_SUGGEST, await library.classId('green'));
  });
});
