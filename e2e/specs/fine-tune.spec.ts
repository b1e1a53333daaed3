// A user's path through the headless host in Chromium with the bundled default backbone (a TF.js
// GraphModel Graft runs as ONNX): train by feature extraction, then choose Fine-tuning in the
// Train view and watch both stages, put the two runs side by side in Experiments, and export the
// fine-tuned model as ONNX, proven to match what Graft shows.

import { expect } from '@playwright/test';
import { test } from '../fixtures/labelled-host';
import { ExperimentsPage } from '../pages/experiments-page';
import { ExportPage } from '../pages/export-page';
import { TrainPage } from '../pages/train-page';
import { createLabelledProject, trainWithDefaults } from '../pages/training-flow';

const PROJECT = 'Colour swatches';

test('fine-tune the default backbone, compare it with feature extraction and export it with parity', async ({
  page,
  labelled,
}) => {
  test.setTimeout(600_000);
  const { corpus, url } = labelled;
  const train = new TrainPage(page);
  const experiments = new ExperimentsPage(page);
  const exporter = new ExportPage(page);

  let featureRun = '';
  await test.step('import labelled sub-folders and train by feature extraction', async () => {
    await createLabelledProject(page, url, corpus, PROJECT);
    await trainWithDefaults(page);
    await experiments.show();
    featureRun = await experiments.latestId();
    await experiments.expectStatus(featureRun, 'finished');
  });

  await test.step('choose Fine-tuning in the Train view and watch both stages', async () => {
    await train.show();
    // The technique is part of the plan, outside Advanced settings.
    const fineTune = page.getByTestId('technique-fine-tune');
    await expect(fineTune).toBeEnabled();
    await fineTune.check();
    await expect(page.getByTestId('fine-tune-estimate')).toContainText('Fine-tuning these photos should take');
    await train.start();
    await expect(train.phase).toHaveAttribute('data-phase', 'fine-tuning', { timeout: 300_000 });
    await train.expectOutcome('finished', 300_000);
    const stages = page.getByTestId('curves-stages');
    await expect(stages).toContainText('Stage 1, the classifier on the frozen backbone');
    await expect(stages).toContainText('Stage 2, the backbone’s last blocks with the classifier');
  });

  let fineTunedRun = '';
  await test.step('compare the fine-tuned run with the feature-extraction run', async () => {
    await experiments.show();
    fineTunedRun = await experiments.latestId();
    expect(fineTunedRun).not.toBe(featureRun);
    await experiments.expectStatus(fineTunedRun, 'finished');
    expect(await experiments.valAccuracy(fineTunedRun)).toBeGreaterThanOrEqual(0.9);
    for (const id of [featureRun, fineTunedRun]) await experiments.row(id).getByTestId('experiment-select').check();
    await page.getByTestId('compare-button').click();
    const technique = page.locator('[data-testid="compare-config-row"][data-key="technique"]');
    await expect(technique).toContainText(/feature extraction/i);
    await expect(technique).toContainText(/fine-tun/i);
  });

  await test.step('export the fine-tuned model as ONNX and see parity pass', async () => {
    await experiments.openExport(fineTunedRun);
    await exporter.expectRun(fineTunedRun);
    await exporter.chooseFormat('onnx');
    await exporter.pickLocation(corpus.root, corpus.exportPath);
    await exporter.setFolderName('fine-tuned');
    const exportId = await exporter.start();
    await exporter.expectStatus(exportId, 'passed', 300_000);
    const parity = exporter.parity(exportId);
    await expect(parity).toHaveAttribute('data-passed', 'true');
    await expect(parity).toContainText('top-1 agreement 100.0%');
  });
});
