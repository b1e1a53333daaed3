import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentDetail, TrainConfig } from '../../common/training';
import type { GraftApp } from './graft-app';
import { tempColourProject } from './test-app';

// Fine-tuning's stage 1 is feature extraction: on the same photos, split and seed, with the real
// bundled default backbone (no stand-in), its epochs are a feature-extraction run's epochs.
let dir: string;
let app: GraftApp;
let projectId: number;

beforeAll(async () => {
  ({ dir, app, projectId } = await tempColourProject({ red: 10, blue: 10, green: 10 }));
  app.splits.generate(projectId, 1, { train: 0.5, val: 0.35, test: 0.15 });
}, 300_000);
afterAll(() => {
  app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function finished(config: Partial<TrainConfig>): Promise<ExperimentDetail> {
  const run = app.training.start(projectId, { seed: 3, ...config });
  await run.done;
  const detail = app.experiments.get(run.experimentId);
  expect(detail.error).toBeNull();
  return detail;
}

describe('fine-tuning stage 1', () => {
  it('trains the head a feature-extraction run trains: same epochs, same validation losses', async () => {
    const extraction = await finished({});
    const fineTuned = await finished({ technique: 'fine-tune', unfreezeBlocks: 1, fineTuneEpochs: 1 });
    const stage1 = fineTuned.epochs.filter((e) => e.stage === 1);
    expect(stage1.map((e) => e.epoch)).toEqual(extraction.epochs.map((e) => e.epoch));
    // The features come from the trunk + top in tfjs rather than the whole graph in onnxruntime:
    // equal to float rounding, so the losses agree far below any difference the person could see.
    stage1.forEach((e, i) => {
      expect(e.valLoss).toBeCloseTo(extraction.epochs[i].valLoss, 4);
      expect(e.trainLoss).toBeCloseTo(extraction.epochs[i].trainLoss, 4);
    });
    expect(fineTuned.metrics!.fineTune!.stage1BestEpoch).toBe(extraction.metrics!.bestEpoch);
  }, 600_000);
});
