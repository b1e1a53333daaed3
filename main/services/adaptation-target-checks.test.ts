import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adaptCommand } from '../cli/adapt-command';
import type { CliIo } from '../cli/terminal-text';
import type { GraftApp } from './graft-app';
import { trainedColourRun } from './test-adaptation';

// Adapting never treats photos a run learnt from as the new domain, and checks the run before it
// changes any folder. A source run on generated colour photos; a separate folder of new photos.
let dir: string;
let app: GraftApp;
let projectId: number;
let trainingFolderId: number;
let sourceRunId: number;
const io: CliIo = { out: () => {}, err: () => {} };

const folderState = () =>
  app.folders.list(projectId).map((f) => ({
    path: f.path,
    domain: app.domains.counts(projectId).find((c) => c.folderIds.includes(f.id))?.domain,
  }));

let env: Awaited<ReturnType<typeof trainedColourRun>>;

beforeAll(async () => {
  env = await trainedColourRun(2);
  ({ dir, app, projectId, trainingFolderId, sourceRunId } = env);
}, 240_000);
afterAll(() => env.cleanup());

describe('adapting checks the run and the target folder first', () => {
  it('graft adapt with a run that cannot be adapted changes no folder', async () => {
    const before = folderState();
    const options = { target: path.join(dir, 'new'), labelsFromFolders: true };
    await expect(adaptCommand(app, io, { ...options, experimentId: 999 })).rejects.toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
    const cancelled = app.training.start(projectId, { seed: 2, maxEpochs: 10 });
    app.training.cancel(cancelled.experimentId);
    await cancelled.done;
    expect(app.experiments.get(cancelled.experimentId).status).toBe('cancelled');
    await expect(adaptCommand(app, io, { ...options, experimentId: cancelled.experimentId })).rejects.toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringMatching(/has not finished/) }),
    );
    expect(folderState()).toEqual(before);
    app.experiments.delete(cancelled.experimentId);
  });

  it('graft adapt refuses the folder the run trained on, which stays a training folder', async () => {
    await expect(
      adaptCommand(app, io, { experimentId: sourceRunId, target: path.join(dir, 'photos'), labelsFromFolders: true }),
    ).rejects.toThrow(
      expect.objectContaining({ code: 'CONFLICT', message: expect.stringMatching(/holds 1\d photos .* learnt from/) }),
    );
    expect(app.domains.counts(projectId)[0].folderIds).toEqual([trainingFolderId]);
    expect(app.domains.counts(projectId)[1].photos).toBe(0);
  });

  it('photos the run learnt from never count as new-domain photos, and training says why it cannot start', async () => {
    const learnt = app.ctx.db
      .prepare(`SELECT COUNT(*) AS n FROM experiment_items WHERE experiment_id = ? AND split IN ('train', 'val')`)
      .get(sourceRunId) as { n: number };
    expect(learnt.n).toBeGreaterThan(10);
    // The host marks folders by themselves: here the training folder and a folder of new photos.
    app.domains.setFolderDomain(trainingFolderId, 'target');
    await expect(() => app.training.start(projectId)).toThrow(/20 labelled photos in folders marked as the new domain/);
    const fresh = app.folders.add(projectId, path.join(dir, 'new'), true);
    await app.importer.start(fresh.id).done;
    app.domains.setFolderDomain(fresh.id, 'target');

    const run = app.adaptation.start(sourceRunId, { method: 'standardise' });
    await run.done;
    const report = await app.adaptation.report(run.experimentId);
    const unseen = 32 - learnt.n;
    expect(report.targetSnapshot).toMatchObject({ count: unseen, labelled: unseen, excluded: learnt.n });
    expect(report.before.targetTest?.count).toBe(unseen);
    expect(report.after.targetTest?.count).toBe(unseen);

    // Without the new folder, too few photos are left, and the refusal says where the others went.
    app.domains.setFolderDomain(fresh.id, 'source');
    expect(() => app.adaptation.start(sourceRunId)).toThrow(
      expect.objectContaining({
        code: 'TOO_FEW_PHOTOS',
        message: expect.stringContaining(`(${learnt.n} more are photos`),
      }),
    );
  }, 120_000);
});
