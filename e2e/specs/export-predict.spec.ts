// A user's path through the headless host in Chromium: train a model, export it as ONNX into a
// folder chosen through the host's folder picker, see the export proven to match Graft, then
// let the exported model name the class of a photo from outside the project and refuse a
// text file dressed up as a photo. The confidence bars are as wide as the confidence they show;
// on a photo between two classes the exported file gives the numbers Predict shows for the run
// (which averages each photo with its mirror image); results stay while another view shows;
// exporting again into the same folder leaves one history row and one model to predict with.

import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from '@playwright/test';
import { writeBorderlinePhoto } from '../fixtures/borderline-photo';
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
    await expect(parity).toContainText('Matches Graft');
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

  await test.step('each confidence bar is as wide as the confidence it shows, in a wide or a narrow window', async () => {
    const viewport = page.viewportSize();
    // At 1080 px the cards are at their narrowest (three to a row), where the bars once collapsed.
    for (const width of [1280, 1080]) {
      await page.setViewportSize({ width, height: viewport?.height ?? 720 });
      for (const photo of ['holiday-red.jpg', 'holiday-blue.jpg']) {
        const bars = await predict.bars(photo);
        expect(bars).toHaveLength(Object.keys(COLOUR_CLASSES).length);
        for (const bar of bars) {
          expect(bar.trackPx, `${photo} at ${width} px: the bar has room to show a confidence`).toBeGreaterThan(48);
          expect(Math.abs(bar.filled - bar.confidence), `${photo} at ${width} px: filled share`).toBeLessThan(0.02);
        }
      }
      await page.screenshot({ path: test.info().outputPath(`predict-${width}.png`) });
    }
    if (viewport) await page.setViewportSize(viewport);
  });

  const borderline = path.join(corpus.outsideDir, 'half-red-half-blue.jpg');
  let shownByGraft: Record<string, number> = {};
  await test.step('on a photo between two classes the exported ONNX gives the numbers Predict shows for the run', async () => {
    // Left half red, right half blue: unlike its mirror image, so one view alone gives other numbers.
    await writeBorderlinePhoto(borderline, 0, 1, 0.5);
    await predict.upload([borderline]);
    shownByGraft = await predict.confidences('half-red-half-blue.jpg');
    expect(Math.max(...Object.values(shownByGraft)), 'the photo is between classes').toBeLessThan(99);

    await predict.chooseModel(`export:${exportId}`);
    await expect(predict.results).toHaveCount(0);
    await predict.upload([borderline]);
    const fromFile = await predict.confidences('half-red-half-blue.jpg');
    expect(Object.keys(fromFile).sort()).toEqual(Object.keys(shownByGraft).sort());
    for (const [className, percent] of Object.entries(shownByGraft)) {
      expect(Math.abs(fromFile[className] - percent), `${className}: file vs Graft, in percent`).toBeLessThanOrEqual(
        0.1,
      );
    }
  });

  await test.step('results stay while another view shows', async () => {
    await exporter.show();
    await predict.show();
    await expect(predict.modelSelect).toHaveValue(`export:${exportId}`);
    await expect(predict.results).toHaveCount(1);
    const again = await predict.confidences('half-red-half-blue.jpg');
    for (const [className, percent] of Object.entries(shownByGraft)) {
      expect(Math.abs(again[className] - percent)).toBeLessThanOrEqual(0.1);
    }
  });

  let replacedBy = '';
  await test.step('exporting again into the same folder replaces its history row', async () => {
    await exporter.show();
    await exporter.expectRun(experimentId);
    await exporter.chooseFormat('onnx');
    await exporter.pickLocation(corpus.root, corpus.exportPath);
    await exporter.setFolderName(EXPORT_FOLDER);
    replacedBy = await exporter.startReplacing();
    await exporter.expectStatus(replacedBy, 'passed');
    await expect(exporter.rowsIn(exportedTo)).toHaveCount(1);
    await expect(exporter.row(exportId)).toHaveCount(0);
    await expect(exporter.row(replacedBy)).toContainText(exportedTo);
  });

  await test.step('Predict offers the replaced folder’s model once, and the new file matches Graft too', async () => {
    await predict.show();
    const options = await predict.modelSelect
      .locator('option')
      .evaluateAll((o) => o.map((e) => e.getAttribute('value') ?? ''));
    expect(options.filter((v) => v.startsWith('export:'))).toEqual([`export:${replacedBy}`]);
    // The results stood for the replaced file, so they went with it.
    await expect(predict.modelSelect).toHaveValue(`experiment:${experimentId}`);
    await expect(predict.results).toHaveCount(0);
    await predict.chooseModel(`export:${replacedBy}`);
    await predict.upload([borderline]);
    const fromFile = await predict.confidences('half-red-half-blue.jpg');
    for (const [className, percent] of Object.entries(shownByGraft)) {
      expect(Math.abs(fromFile[className] - percent)).toBeLessThanOrEqual(0.1);
    }
  });
});
