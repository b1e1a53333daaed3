// Adding a folder whose sub-folders name the classes, laid out as real data sets are (split
// folders above or below the classes, year folders inside them, a copy of one photo in two
// class folders): the preview shows the classes before anything is imported, the import labels
// by the first level, and the summary names the conflict so the person can resolve it.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { type HostProcess, startHostProcess } from '../fixtures/host-process';
import { writeClassPhoto } from '../fixtures/photo-corpus';
import { LibraryPage } from '../pages/library-page';
import { ProjectsPage } from '../pages/projects-page';

const LAYOUT: [string, number][] = [
  ['train/lion/a.jpg', 0],
  ['train/lion/b.jpg', 0],
  ['train/lion/c.jpg', 0],
  ['train/cat/d.jpg', 1],
  ['train/cat/e.jpg', 1],
  ['VAL/lion/f.jpg', 0],
  ['cat/val/g.jpg', 1],
  ['cat/2023/h.jpg', 1],
  ['loose.jpg', 2],
];

let root: string;
let dataDir: string;
let host: HostProcess | undefined;

test.beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'graft-e2e-preview-'));
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'graft-e2e-data-'));
  for (const [index, [rel, classIndex]] of LAYOUT.entries()) {
    await writeClassPhoto(path.join(root, 'zoo', rel), classIndex, index);
  }
  // The same photo as a cat and as a lion: a label conflict, not a silently dropped label.
  await fs.copyFile(path.join(root, 'zoo', 'train', 'cat', 'd.jpg'), path.join(root, 'zoo', 'VAL', 'lion', 'copy.jpg'));
});

test.afterEach(async () => {
  await host?.stop();
  await fs.rm(root, { recursive: true, force: true });
  await fs.rm(dataDir, { recursive: true, force: true });
});

test('preview a nested layout, import it by its first folder level and resolve a label conflict', async ({ page }) => {
  host = await startHostProcess(dataDir, root);
  const projects = new ProjectsPage(page);
  const library = new LibraryPage(page);
  await projects.goto(host.url);
  await projects.createProject('Zoo');
  await library.openAddPhotos({ labelsFromSubfolders: true });
  await library.continueToFolderChoice();
  await library.picker.enter('zoo');
  await library.picker.choose();

  const preview = page.getByTestId('import-preview');
  await expect(preview.getByTestId('preview-summary')).toContainText('10 photos; 2 classes found, 9 photos labelled');
  await expect(preview.getByTestId('preview-thumb').first()).toBeVisible();
  await expect(preview.getByTestId('preview-splits')).toContainText('train → training (5)');
  await expect(preview.getByTestId('preview-unlabelled')).toContainText('“loose.jpg”');
  await library.confirmImportPreview({ cat: 4, lion: 5 });

  await expect(library.importSummary).toContainText('Import finished');
  await expect(library.importSummary.getByTestId('import-conflicts')).toContainText(
    '1 photo appears in more than one class folder',
  );
  await expect(library.importSummary.getByTestId('import-label-note')).toContainText(
    'sit directly in the chosen folder',
  );
  await library.expectClassCounts({ cat: 4, lion: 4 });

  await library.importSummary.getByTestId('import-name-copies').click();
  const conflict = page.getByTestId('conflict');
  await expect(conflict).toHaveCount(1);
  await expect(conflict).toContainText('train/cat/d.jpg → cat');
  await expect(conflict).toContainText('VAL/lion/copy.jpg → lion');
  await conflict.getByTestId('conflict-keep').filter({ hasText: 'It is cat' }).click();
  await expect(conflict).toHaveCount(0);
});
