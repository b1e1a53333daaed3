// Steps the training specs share: a project whose photos come labelled by their sub-folders,
// and a run trained on them with the default settings.

import { expect, type Page } from '@playwright/test';
import type { LabelledCorpus } from '../fixtures/labelled-corpus';
import { LibraryPage } from './library-page';
import { ProjectsPage } from './projects-page';
import { type ChartStep, TrainPage } from './train-page';

/** Creates and opens a project, then imports the corpus's folder with "use sub-folder names as labels". */
export async function createLabelledProject(
  page: Page,
  url: string,
  corpus: LabelledCorpus,
  projectName: string,
): Promise<void> {
  const projects = new ProjectsPage(page);
  const library = new LibraryPage(page);
  const total = Object.values(corpus.perClass).reduce((a, b) => a + b, 0);

  await projects.goto(url);
  await projects.createProject(projectName);
  await library.expectOpen(projectName);

  await library.openAddPhotos({ labelsFromSubfolders: true });
  await expect(library.labelsFromSubfolders).toBeChecked();
  await library.continueToFolderChoice();
  await expect(library.picker.path).toHaveText(corpus.root);
  await library.picker.enter(corpus.folderName);
  for (const [name, count] of Object.entries(corpus.perClass)) {
    await expect(library.picker.folder(name)).toHaveText(new RegExp(`${name}\\s*${count}$`));
  }
  await library.picker.choose();
  // The classes the folder names give are shown, with their counts, before anything is imported.
  await library.confirmImportPreview(corpus.perClass);
  await library.expectImportSummary({ added: total, duplicates: 0, unreadable: 0, missing: 0 });
  await library.dismissImportSummary();
  // Every photo came labelled with its sub-folder's name.
  await library.expectClassCounts(corpus.perClass);
  await library.expectFilterCounts({ all: total, unlabelled: 0, problems: 0 });
}

/**
 * Opens Train, presses Train with the default settings and waits until the run finishes.
 * Returns every step the loss chart went through while it ran.
 */
export async function trainWithDefaults(page: Page): Promise<ChartStep[]> {
  const train = new TrainPage(page);
  await train.show();
  // Nothing blocks training: no photo has a split yet, so training gives them one.
  await expect(train.warning('NO_SPLIT')).toHaveAttribute('data-level', 'info');
  await expect(page.locator('[data-testid="train-warning"][data-level="error"]')).toHaveCount(0);

  const chartSteps = await train.recordLossChart();
  await train.start();
  await train.expectOutcome('finished');
  const steps = await chartSteps();
  const epochs = await train.epochs();
  await expect(train.lossChart).toHaveAttribute('data-epochs', String(epochs));
  await expect(train.accuracyChart).toHaveAttribute('data-epochs', String(epochs));
  await expect(train.lossChart.getByRole('img')).toHaveAccessibleName(
    /^Loss at epoch \d+: Train loss \d+\.\d{3}, Val loss \d+\.\d{3}\. Epoch \d+ kept \(lowest validation loss\)$/,
  );
  // The banner states the score; both charts mark the epoch the model keeps.
  await expect(train.outcome.getByTestId('train-accuracy')).toHaveText(
    /^\d+\.\d% accuracy on \d+ (test photos \(validation \d+\.\d%\)|validation photos \(no test photos\))\.$/,
  );
  const kept = await train.lossChart.getAttribute('data-kept');
  expect(Number(kept)).toBeGreaterThanOrEqual(1);
  expect(Number(kept)).toBeLessThanOrEqual(epochs);
  await expect(train.accuracyChart).toHaveAttribute('data-kept', kept ?? '');
  return steps;
}
