import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeLabelledFolder } from '../../e2e/fixtures/photo-corpus';
import type { GraftApp } from './graft-app';
import { tempGraftApp } from './test-app';

let env: ReturnType<typeof tempGraftApp>;
let app: GraftApp;
let projectId: number;
let root: string;
beforeEach(async () => {
  env = tempGraftApp();
  app = env.app;
  root = path.join(env.dir, 'photos');
  await writeLabelledFolder(root, { red: 8, blue: 8 });
  projectId = app.projects.create('Vanish').id;
  await app.importer.start(app.folders.add(projectId, root, true).id).done;
  // Photos that go or break after the import, before training.
  fs.rmSync(path.join(root, 'red', 'red-0003.jpg'));
  fs.writeFileSync(path.join(root, 'blue', 'blue-0005.jpg'), 'no longer a photo');
});
afterEach(() => env.cleanup());

describe('photos that vanish or break between import and training', () => {
  it('are named with their reason in the preflight', async () => {
    const warning = (await app.training.preflight(projectId)).warnings.find((w) => w.code === 'PHOTOS_UNAVAILABLE');
    expect(warning?.message).toMatch(/^2 photos changed or went away since they were imported/);
    expect(warning?.photos).toEqual([
      {
        imageId: expect.any(Number),
        relPath: 'blue/blue-0005.jpg',
        reason: 'It changed since it was imported (size or date); scan its folder again.',
      },
      {
        imageId: expect.any(Number),
        relPath: 'red/red-0003.jpg',
        reason: 'It is no longer in its folder (moved, renamed or deleted).',
      },
    ]);
  });

  it('are named with their reason in the finished run, not only counted', { timeout: 180_000 }, async () => {
    const run = app.training.start(projectId, { seed: 3, maxEpochs: 3 });
    await run.done;
    const detail = app.experiments.get(run.experimentId);
    expect(detail.error).toBeNull();
    expect(detail.metrics?.skippedImages).toBe(2);
    expect(detail.metrics?.skipped?.map((s) => [s.relPath, s.reason])).toEqual([
      [
        'blue/blue-0005.jpg',
        expect.stringMatching(/^The photo could not be (read|decoded)|not an image|damaged|unsupported/i),
      ],
      ['red/red-0003.jpg', 'The photo file is missing.'],
    ]);
  });
});
