// A user's path through the headless host in Chromium: in the Train view, compare every bundled
// backbone on the project's labelled photos, watch it run, read the ranked table and pick the
// winner for the next run.

import { expect } from '@playwright/test';
import { test } from '../fixtures/labelled-host';
import { TrainPage } from '../pages/train-page';
import { createLabelledProject } from '../pages/training-flow';

test('compare backbones on the project’s photos and pick one from the ranked table', async ({ page, labelled }) => {
  test.setTimeout(600_000);
  const { corpus, url } = labelled;
  const train = new TrainPage(page);
  await createLabelledProject(page, url, corpus, 'Colour swatches');
  await train.show();
  const select = page.getByTestId('backbone-select');
  const defaultId = await select.inputValue();

  await page.getByTestId('compare-backbones').click();
  await expect(page.getByTestId('compare-progress')).toBeVisible();
  const rows = page.getByTestId('compare-row');
  await expect(rows).toHaveCount(4, { timeout: 480_000 });
  await expect(page.getByTestId('compare-progress')).toHaveCount(0);
  await expect(page.getByTestId('compare-summary')).toContainText('120 labelled photos, 3 classes, 5-fold');
  for (const row of await rows.all()) await expect(row).toContainText(/\d+\.\d% ± \d+\.\d%/);
  await expect(page.locator(`[data-testid="compare-row"][data-backbone="${defaultId}"]`)).toContainText('Chosen');

  const other = page.locator(`[data-testid="compare-row"]:not([data-backbone="${defaultId}"])`).first();
  const otherId = await other.getAttribute('data-backbone');
  await other.getByRole('button', { name: 'Use' }).click();
  await expect(select).toHaveValue(otherId ?? '');
  await expect(other).toContainText('Chosen');
});
