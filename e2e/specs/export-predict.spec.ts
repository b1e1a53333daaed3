// A user's path through the headless host in Chromium: train a model, export it as ONNX into a
// folder chosen through the host's folder picker, see the export proven to match Graft, then
// let the exported model name the class of a photo from outside the project and refuse a
// text file dressed up as a photo.

import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from '@playwright/test';
import { COLOUR_CLASSES, test } from '../fixtures/labelled-host';
import { ExperimentsPage } from '../pages/experiments-page';
import { ExportPage } from '../pages/export-page';
import { PredictPage } from '../pages/predict-page';
import { createLabelledProject, trainWithDefaults } from '../pages/training-flow';

const PROJECT = 'Colour swatches';
const EXPORT_FOLDER = 'swatch-classifier';

test('export a trained model as ONNX, check it on disk and predict outside photos with it', async ({
  page,
  labelled,
}) => {
  const { corpus, url } = labelled;
  const experiments = new ExperimentsPage(page);
  const exporter = new ExportPage(page);
  const predict = new PredictPage(page);

  let experimentId = '';
  await test.step('import labelled sub-folders and train with the defaults', async () => {
    await createLabelledProject(page, url, corpus, PROJECT);
    await trainWithDefaults(page);
    await experiments.show();
    experimentId = await experiments.latestId();
    await experiments.expectStatus(experimentId, 'finished');
  });

  let exportId = '';
  const exportedTo = path.join(corpus.exportDir, EXPORT_FOLDER);
  await test.step('export as ONNX into a folder chosen with the host’s picker', async () => {
    await experiments.openExport(experimentId);
    await exporter.expectRun(experimentId);
    await exporter.chooseFormat('onnx');
    await expect(exporter.startButton).toBeDisabled();
    await exporter.pickLocation(corpus.root, corpus.exportPath);
    await expect(exporter.location).toHaveText(corpus.exportDir);
    await exporter.setFolderName(EXPORT_FOLDER);
    exportId = await exporter.start();
    await exporter.expectStatus(exportId, 'passed');

    const parity = exporter.parity(exportId);
    await expect(parity).toHaveAttribute('data-passed', 'true');
    await expect(parity).toContainText('PASSED');
    await expect(parity).toContainText('top-1 agreement 100.0%');
    await expect(parity).toContainText(/\d+ photos? checked/);
    await expect(exporter.row(exportId)).toContainText('ONNX');
    await expect(exporter.row(exportId)).toContainText(exportedTo);
    await expect(exporter.row(exportId).getByTestId('export-missing')).toHaveCount(0);
  });

  await test.step('the export’s files are in the chosen folder', async () => {
    const files = await fs.readdir(exportedTo);
    expect(files).toEqual(expect.arrayContaining(['model.onnx', 'labels.json', 'MODEL_CARD.md']));
    expect((await fs.stat(path.join(exportedTo, 'model.onnx'))).size).toBeGreaterThan(1000);
    const labels = JSON.parse(await fs.readFile(path.join(exportedTo, 'labels.json'), 'utf8')) as string[];
    expect([...labels].sort()).toEqual(Object.keys(COLOUR_CLASSES).sort());
    const card = await fs.readFile(path.join(exportedTo, 'MODEL_CARD.md'), 'utf8');
    for (const name of labels) expect(card).toContain(name);
    expect(card).toContain('model.onnx');
  });

  await test.step('predict with the ONNX export: an outside red photo is red', async () => {
    await predict.show();
    await predict.chooseModel(`export:${exportId}`);
    const red = await corpus.writeOutsidePhoto('red', 'holiday-red.jpg');
    await predict.upload([red]);
    await expect(predict.results).toHaveCount(1);
    expect(await predict.expectTop('holiday-red.jpg', 'red')).toBeGreaterThan(50);
  });

  await test.step('a text file renamed .jpg gets an error, not a prediction', async () => {
    const fake = await corpus.writeFakePhoto('shopping-list.jpg');
    await predict.upload([fake]);
    await expect(predict.results).toHaveCount(2);
    await predict.expectError('shopping-list.jpg', /not an image/i);
    // The photo before it keeps its answer.
    await predict.expectTop('holiday-red.jpg', 'red');
  });

  await test.step('the run’s model in Graft agrees: red is red, blue is blue', async () => {
    await predict.chooseModel(`experiment:${experimentId}`);
    // Results belong to the model that gave them, so choosing another clears them.
    await expect(predict.results).toHaveCount(0);
    const red = path.join(corpus.outsideDir, 'holiday-red.jpg');
    const blue = await corpus.writeOutsidePhoto('blue', 'holiday-blue.jpg');
    await predict.upload([red, blue]);
    await expect(predict.results).toHaveCount(2);
    await predict.expectTop('holiday-red.jpg', 'red');
    await predict.expectTop('holiday-blue.jpg', 'blue');
  });
});
