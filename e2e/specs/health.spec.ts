// Dataset health over a real host: a photo copied into another class's folder (a label
// conflict) and a re-encoded copy of a training photo in the validation folder (leakage) are
// listed with their photos; moving the copy to train ends the leak, choosing a class ends the
// conflict.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { distinctPhoto, nearCopy, RED, writePhoto, writeTwoClassSplits } from '../fixtures/health-corpus';
import { type HostProcess, startHostProcess } from '../fixtures/host-process';
import { HealthPage } from '../pages/health-page';
import { ProjectsPage } from '../pages/projects-page';

const ROOT = path.resolve(__dirname, '..', '..');

let root: string;
let dataDir: string;
let host: HostProcess | undefined;

/** `graft …` against the spec's data directory; throws on an unexpected exit code. */
function graft(args: string[], okCodes = [0]): void {
  const run = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'graft.cjs'), ...args, '--data-dir', dataDir], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (!okCodes.includes(run.status ?? -1)) throw new Error(`graft ${args[0]} exited ${run.status}: ${run.stderr}`);
}

test.beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'graft-e2e-health-'));
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'graft-e2e-data-'));
  const photos = path.join(root, 'photos');
  await writeTwoClassSplits(photos, { train: 5, val: 2 });
  await writePhoto(photos, 'val/red/holiday-copy.jpg', await nearCopy(await distinctPhoto(1, RED), 'reencode'));
  await writePhoto(photos, 'train/blue/same-as-red.jpg', await distinctPhoto(2, RED));
  graft(['import', '--project', 'Health', photos, '--labels-from-folders']);
  // Fills the hash and embedding caches; exits 1 because it finds the planted errors.
  graft(['health', '--project', 'Health'], [1]);
});

test.afterEach(async () => {
  await host?.stop();
  await fs.rm(root, { recursive: true, force: true });
  await fs.rm(dataDir, { recursive: true, force: true });
});

test('the health view lists a planted conflict and a cross-split near copy, and fixing each removes it', async ({
  page,
}) => {
  host = await startHostProcess(dataDir, root);
  const projects = new ProjectsPage(page);
  const health = new HealthPage(page);
  await projects.goto(host.url);
  await projects.openProject('Health');
  await health.show();

  const leak = health.finding('leakage');
  await expect(leak).toHaveCount(1);
  await expect(leak.getByTestId('health-photo')).toHaveCount(2);
  await expect(leak).toContainText('train/red/red-0.jpg');
  await expect(leak).toContainText('val/red/holiday-copy.jpg');
  const conflict = health.finding('label-conflict');
  await expect(conflict).toHaveCount(1);
  await expect(conflict).toContainText('train/blue/same-as-red.jpg');
  await expect(conflict).toContainText('train/red/red-1.jpg');

  // A finding's photo opens large in the shared viewer; Escape brings the list back.
  await leak.getByTestId('health-photo-open').last().click();
  await expect(page.getByTestId('photo-viewer')).toBeVisible();
  await expect(page.getByTestId('viewer-name')).toHaveText('holiday-copy.jpg');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('photo-viewer')).toHaveCount(0);

  await leak.getByTestId('health-fix-move-split').click();
  await expect(leak).toHaveCount(0);
  // Both copies now train together: a note, no longer leakage.
  await expect(health.finding('near-duplicate')).toHaveCount(1);

  await conflict.getByTestId('health-relabel-class').selectOption({ label: 'red' });
  await conflict.getByTestId('health-fix-relabel').click();
  await expect(conflict).toHaveCount(0);
});
