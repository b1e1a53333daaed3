// A user's path through the headless host in Chromium: import a folder whose sub-folders name
// the classes, train with the default settings while the curves draw live, find the run again
// after a reload, and inspect its evaluation down to the photos of one confusion-matrix cell.

import { expect } from '@playwright/test';
import { COLOUR_CLASSES, test } from '../fixtures/labelled-host';
import { EvaluatePage } from '../pages/evaluate-page';
import { ExperimentsPage, parsePercent } from '../pages/experiments-page';
import { LibraryPage } from '../pages/library-page';
import { TrainPage } from '../pages/train-page';
import { createLabelledProject, trainWithDefaults } from '../pages/training-flow';

const PROJECT = 'Colour swatches';

test('train on labelled sub-folders, then find and evaluate the run after a reload', async ({ page, labelled }) => {
  const { corpus, url } = labelled;
  const train = new TrainPage(page);
  const experiments = new ExperimentsPage(page);
  const evaluate = new EvaluatePage(page);

  await test.step('import the folder with sub-folder names as labels', async () => {
    await createLabelledProject(page, url, corpus, PROJECT);
  });

  await test.step('train with the defaults and watch the curves advance', async () => {
    const steps = await trainWithDefaults(page);
    const live = steps.filter((s) => s.running).map((s) => s.epochs);
    // The chart drew epochs one after another while the run was still going.
    expect(live.length, `epochs drawn while training (saw ${JSON.stringify(steps)})`).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < live.length; i++) expect(live[i]).toBeGreaterThan(live[i - 1]);
    expect(Math.max(...live), 'epochs drawn before the run ended').toBeGreaterThan(2);
    const final = await train.epochs();
    expect(final).toBeGreaterThanOrEqual(Math.max(...live));
    await expect(train.openEvaluation).toBeVisible();
  });

  let experimentId = '';
  await test.step('reload: the run is in Experiments, finished, with its val accuracy', async () => {
    await page.reload();
    await new LibraryPage(page).expectOpen(PROJECT);
    await experiments.show();
    await expect(experiments.rows).toHaveCount(1);
    experimentId = await experiments.latestId();
    await experiments.expectStatus(experimentId, 'finished');
    expect(await experiments.valAccuracy(experimentId)).toBeGreaterThanOrEqual(0.9);
  });

  await test.step('evaluate: a 3×3 confusion matrix that adds up to the validation photos', async () => {
    await experiments.openEvaluation(experimentId);
    await evaluate.expectRun(experimentId);
    await expect(evaluate.report.getByTestId('experiment-status')).toHaveAttribute('data-status', 'finished');
    expect(parsePercent(await evaluate.accuracy.textContent())).toBeGreaterThanOrEqual(0.9);

    const counts = await evaluate.snapshotCounts();
    const total = Object.values(COLOUR_CLASSES).reduce((a, b) => a + b, 0);
    expect(counts.train + counts.val + counts.test).toBe(total);
    expect(counts.val).toBeGreaterThan(0);

    await expect(evaluate.cells).toHaveCount(9);
    const cells = await evaluate.matrixCells();
    const classIds = [...new Set(cells.map((c) => c.trueClassId))];
    expect(classIds).toHaveLength(3);
    expect(new Set(cells.map((c) => c.predictedClassId))).toEqual(new Set(classIds));
    expect(cells.reduce((sum, c) => sum + c.count, 0)).toBe(counts.val);
    const correct = cells.filter((c) => c.trueClassId === c.predictedClassId).reduce((sum, c) => sum + c.count, 0);
    expect(correct / counts.val).toBeGreaterThanOrEqual(0.9);

    // An empty cell cannot be opened.
    for (const cell of cells.filter((c) => c.count === 0)) {
      await expect(evaluate.cell(cell.trueClassId, cell.predictedClassId)).toBeDisabled();
    }

    const nonEmpty = cells.find((c) => c.count > 0)!;
    await evaluate.openCell(nonEmpty);
    await expect(evaluate.cellPhotoItems).toHaveCount(nonEmpty.count);
    for (const photo of await evaluate.cellPhotoItems.all()) {
      await expect(photo).toHaveAttribute('data-image-id', /^\d+$/);
      await expect(photo.locator('img')).toBeVisible();
    }
  });
});
