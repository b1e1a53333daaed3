// Set-up for tests of the training screens: a project worth training on, and finished runs.

import type { Id } from '../../common/contract';
import type { ExportRecord, TrainConfig } from '../../common/training';
import type { FakeApi, FakeProjectSeed } from './lib/api/fake-api';

/** 20 cats and 20 dogs, all labelled, no split yet: the first run gives them one. */
export function petsProject(overrides: Partial<FakeProjectSeed> = {}): FakeProjectSeed {
  const labels: Record<number, string> = {};
  for (let i = 0; i < 40; i++) labels[i] = i < 20 ? 'cat' : 'dog';
  return { name: 'Pets', classes: ['cat', 'dog'], photos: 40, labels, opened: true, ...overrides };
}

/** Trains through the API and resolves with the run's id once it has ended. */
export async function trainToEnd(api: FakeApi, projectId: Id, config: Partial<TrainConfig> = {}): Promise<Id> {
  const ended = new Promise<Id>((resolve) => {
    const off = api.on('training:finished', (event) => {
      if (event.projectId !== projectId) return;
      off();
      resolve(event.experimentId);
    });
  });
  await api.call('training:start', { projectId, config });
  return ended;
}

/**
 * One finished run of each technique and outcome: feature extraction, and fine-tuning that kept
 * stage 1 and stage 2 (the fake keeps stage 1 for an even seed, stage 2 for an odd one).
 */
export async function trainEachTechnique(api: FakeApi, projectId: Id) {
  const extraction = await trainToEnd(api, projectId, { seed: 1 });
  const stage1 = await trainToEnd(api, projectId, { seed: 2, technique: 'fine-tune' });
  const stage2 = await trainToEnd(api, projectId, { seed: 3, technique: 'fine-tune' });
  return { extraction, stage1, stage2 };
}

/** Exports a run through the API into `folderName` under the fake disk's root; resolves once it has ended. */
export async function exportToEnd(api: FakeApi, experimentId: Id, folderName: string): Promise<ExportRecord> {
  const picked = await api.call('locations:pick', {});
  if (picked.status !== 'browse') throw new Error('The fake picks locations by browsing.');
  const location = await api.call('picker:choose', { pickerId: picked.view.pickerId });
  if (location.status !== 'location') throw new Error('The picker did not give a location.');
  const ended = new Promise<void>((resolve) => {
    const off = api.on('export:finished', () => {
      off();
      resolve();
    });
  });
  const { exportId } = await api.call('exports:start', {
    experimentId,
    format: 'onnx',
    location: location.token,
    folderName,
    rawInput: false,
    overwrite: false,
  });
  await ended;
  const records = await api.call('exports:list', { experimentId });
  return records.find((r) => r.id === exportId)!;
}
