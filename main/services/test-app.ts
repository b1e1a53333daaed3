import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { Id } from '../../common/contract';
import type { EpochMetrics } from '../../common/training';
import { writeLabelledFolder } from '../../e2e/fixtures/photo-corpus';
import { GraftApp } from './graft-app';

/** A GraftApp over a fresh data directory in the system temp folder, for tests. */
export function tempGraftApp(): { app: GraftApp; dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-test-'));
  const app = new GraftApp({ dataDir: path.join(dir, 'data'), pickerStartDir: dir });
  return {
    app,
    dir,
    cleanup: () => {
      app.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * tempGraftApp with a project 'Colours' already imported from generated photos in
 * `photos/<class>/` (labels from folder names), `perClass` photos of each class.
 */
export async function tempColourProject(
  perClass: Record<string, number>,
): Promise<ReturnType<typeof tempGraftApp> & { projectId: number }> {
  const env = tempGraftApp();
  await writeLabelledFolder(path.join(env.dir, 'photos'), perClass);
  const projectId = env.app.projects.create('Colours').id;
  const folder = env.app.folders.add(projectId, path.join(env.dir, 'photos'), true);
  await env.app.importer.start(folder.id).done;
  return { ...env, projectId };
}

/**
 * Waits for the first epoch of run `run` that `when` accepts, cancels the run and expects it
 * cancelled within 2 s (the cancel bound).
 */
export async function expectCancelAfterEpoch(
  app: GraftApp,
  run: { experimentId: Id; done: Promise<unknown> },
  when: (epoch: EpochMetrics) => boolean = () => true,
): Promise<void> {
  await new Promise<void>((resolve) => {
    const off = app.ctx.events.subscribe((event, payload) => {
      if (event === 'training:epoch' && when((payload as { epoch: EpochMetrics }).epoch)) {
        off();
        resolve();
      }
    });
  });
  const asked = Date.now();
  expect(app.training.cancel(run.experimentId)).toBe(true);
  await run.done;
  expect(Date.now() - asked).toBeLessThan(2000);
  expect(app.experiments.get(run.experimentId).status).toBe('cancelled');
}
