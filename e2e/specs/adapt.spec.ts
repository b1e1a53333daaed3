// Domain adaptation over a real host: a project trained on generated colour photos, a folder of
// the same photos darkened and tinted added as new-domain photos (labelled, only to measure);
// the Adapt view shows the domains, adapts the run and shows source-only vs adapted with the
// domain charts; Predict with the adapted run warns about a photo unlike both domains; the
// Library filters by domain.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import sharp from 'sharp';
import { type HostProcess, startHostProcess } from '../fixtures/host-process';
import { unlikePhoto, writeLabelledFolder } from '../fixtures/photo-corpus';
import { PredictPage } from '../pages/predict-page';
import { ProjectsPage } from '../pages/projects-page';
import { showView } from '../pages/train-page';

const ROOT = path.resolve(__dirname, '..', '..');

let root: string;
let dataDir: string;
let host: HostProcess | undefined;

function graft(args: string[]): string {
  const run = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'graft.cjs'), ...args, '--data-dir', dataDir], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`graft ${args[0]} exited ${run.status}: ${run.stderr}${run.stdout}`);
  return run.stdout;
}

test.beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'graft-e2e-adapt-'));
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'graft-e2e-data-'));
  await writeLabelledFolder(path.join(root, 'photos'), { red: 15, blue: 15, green: 15 });
  const plain = path.join(root, 'plain');
  await writeLabelledFolder(plain, { red: 6, blue: 6, green: 6 }, { startIndex: 100 });
  for (const cls of ['red', 'blue', 'green']) {
    await fs.mkdir(path.join(root, 'cast', cls), { recursive: true });
    for (const name of await fs.readdir(path.join(plain, cls))) {
      await sharp(path.join(plain, cls, name))
        .modulate({ brightness: 0.6 })
        .tint({ r: 200, g: 150, b: 60 })
        .jpeg()
        .toFile(path.join(root, 'cast', cls, name));
    }
  }
  graft(['import', '--project', 'Colours', path.join(root, 'photos'), '--labels-from-folders']);
  graft(['train', '--project', 'Colours', '--seed', '3']);
  // Adds the cast folder as the new domain (with its labels, only to measure) and adapts once.
  const printed = graft([
    'adapt',
    '--experiment',
    '1',
    '--target',
    path.join(root, 'cast'),
    '--target-labels-from-folders',
  ]);
  expect(printed).toMatch(
    /\[id 2\] “Run 1 adapted \(self-training\)”: self-training on 18 new-domain photos \(18 labelled, used only to measure\)/,
  );
  expect(printed).toMatch(/^Verdict: The adapted run is (better|worse|no better) on the new photos/m);
});

test.afterEach(async () => {
  await host?.stop();
  await fs.rm(root, { recursive: true, force: true });
  await fs.rm(dataDir, { recursive: true, force: true });
});

test('the Adapt view adapts a run and shows source-only vs adapted with the domain charts; Predict warns; the Library filters by domain', async ({
  page,
}) => {
  host = await startHostProcess(dataDir, root);
  const projects = new ProjectsPage(page);
  await projects.goto(host.url);
  await projects.openProject('Colours');
  const nav = page.getByTestId('nav-adapt');
  await nav.click();
  await expect(nav).toHaveAttribute('aria-current', 'page');

  await expect(page.getByTestId('domain-counts')).toContainText('Training photos: 45');
  await expect(page.getByTestId('domain-counts')).toContainText('New-domain photos: 18');
  await expect(page.getByTestId('target-toggle')).toHaveCount(2);
  await expect(page.getByRole('checkbox', { name: /^Use as new-domain photos: .*cast$/ })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: /^Use as new-domain photos: .*photos$/ })).not.toBeChecked();
  await expect(page.getByTestId('folder-role').filter({ hasText: 'now new-domain photos' })).toHaveCount(1);
  await expect(page.getByTestId('folder-role').filter({ hasText: 'now training photos' })).toHaveCount(1);

  await page.getByTestId('source-run').selectOption('1');
  await page.getByTestId('method').selectOption('standardise');
  await page.getByTestId('adapt-button').click();
  const table = page.getByTestId('adaptation-report');
  await expect(table).toBeVisible({ timeout: 60_000 });
  await expect(table.getByRole('row')).toHaveCount(3);
  await expect(table).toContainText('Before (source-only)');
  await expect(table).toContainText('of 18');
  // The domain charts: predicted class shares and confidence per tenth, before and after.
  await expect(page.getByTestId('class-shares').getByRole('row')).toHaveCount(4);
  await expect(page.getByTestId('confidence-histogram').getByRole('row')).toHaveCount(11);
  await expect(page.getByTestId('confidence-histogram')).toContainText('90–100%');
  await expect(page.getByTestId('unfamiliar-share')).toContainText('unlike the training photos');
  // Judged on the labelled new-domain photos, not on the training photos' validation score.
  await expect(page.getByTestId('adapt-verdict')).toContainText(
    /The adapted run is (better|worse|no better) on the new photos/,
  );

  // Predict with the adapted run: a photo like neither domain gets the warning badge, a new-domain
  // photo (what the run was adapted to) does not.
  const predict = new PredictPage(page);
  await predict.show();
  await predict.chooseModel('experiment:3');
  const strange = path.join(root, 'strange.png');
  await fs.writeFile(strange, await unlikePhoto());
  await predict.upload([strange, path.join(root, 'cast', 'red', 'red-0100.jpg')]);
  await expect(predict.result('strange.png').getByTestId('predict-unlike-training')).toBeVisible({ timeout: 30_000 });
  await expect(predict.result('strange.png').getByTestId('predict-unlike-training')).toContainText(
    'unlike the photos the model was trained on',
  );
  await expect(predict.result('red-0100.jpg').getByTestId('predict-top')).toBeVisible({ timeout: 30_000 });
  await expect(predict.result('red-0100.jpg').getByTestId('predict-unlike-training')).toHaveCount(0);

  // The Library shows both domains with their counts and filters the grid by one.
  await showView(page, 'library');
  const domain = page.getByTestId('filter-domain');
  await expect(domain.getByRole('option')).toHaveText(['Any domain', 'Training photos (45)', 'New-domain photos (18)']);
  await domain.selectOption('target');
  await expect(page.getByTestId('thumb')).toHaveCount(18);
  await expect(page.getByTestId('thumb').first()).toHaveAttribute('title', /^(red|blue|green)-01\d\d\.jpg$/);
});
