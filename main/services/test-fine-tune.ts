// Test support for the fine-tuning service tests: a colour project with one finished
// fine-tuning run, a second run checked against it, and a run exported (ONNX or TF.js) through the
// export service as the Export view does it.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { Id } from '../../common/contract';
import type { ExportFormat, ExportRecord, TrainConfig } from '../../common/training';
import type { GraftApp } from './graft-app';
import { expectCancelAfterEpoch, tempColourProject } from './test-app';

/** The fine-tuning settings the service tests run on `backboneId`: 2 blocks, 4 stage-2 epochs, seed 5. */
export function fineTuneSettings(backboneId: string): Partial<TrainConfig> {
  return { backboneId, technique: 'fine-tune', seed: 5, unfreezeBlocks: 2, fineTuneEpochs: 4 };
}

/**
 * 24 generated photos of each of three colours, split 50/35/15, and one finished run of `config`;
 * `stages` lists the stage of every epoch the run reported as it went.
 */
export async function fineTunedColourProject(config: Partial<TrainConfig>) {
  const project = await tempColourProject({ red: 24, blue: 24, green: 24 });
  const { app, projectId } = project;
  app.splits.generate(projectId, 1, { train: 0.5, val: 0.35, test: 0.15 });
  const stages: number[] = [];
  const off = app.ctx.events.subscribe((event, payload) => {
    if (event === 'training:epoch') stages.push((payload as { epoch: { stage: number } }).epoch.stage);
  });
  const run = app.training.start(projectId, config);
  await run.done;
  off();
  return { ...project, experimentId: run.experimentId, stages };
}

/** Runs `config` again and expects the epochs and validation metrics of run `first`, from cached activations. */
export async function expectSameRunAgain(app: GraftApp, projectId: Id, first: Id, config: Partial<TrainConfig>) {
  const run = app.training.start(projectId, config);
  await run.done;
  const again = app.experiments.get(run.experimentId);
  const before = app.experiments.get(first);
  expect(again.metrics).toMatchObject({ embeddedImages: 0, cachedImages: before.metrics!.embeddedImages });
  expect(again.epochs).toEqual(before.epochs.map((e, i) => ({ ...e, seconds: again.epochs[i].seconds })));
  expect(again.metrics!.val).toEqual(before.metrics!.val);
}

/** Starts a long run of `config`, cancels it once stage 2 has finished an epoch, and expects it cancelled within 2 s. */
export async function expectCancelInStage2(app: GraftApp, projectId: Id, config: Partial<TrainConfig>) {
  const run = app.training.start(projectId, { ...config, seed: 6, fineTuneEpochs: 1000, batchSize: 2 });
  await expectCancelAfterEpoch(app, run, (epoch) => epoch.stage === 2);
}

/** Exports run `experimentId` as `format` to `<dir>/<folder>/<folder>` and returns the finished record. */
export async function exportRun(
  app: GraftApp,
  experimentId: Id,
  dir: string,
  folder: string,
  format: ExportFormat = 'onnx',
): Promise<ExportRecord> {
  const out = path.join(dir, folder);
  fs.mkdirSync(out, { recursive: true });
  return app.exports.start(experimentId, {
    format,
    location: app.locations.resolve(app.locations.register(out)),
    folderName: folder,
    rawInput: false,
    overwrite: false,
  }).done;
}
