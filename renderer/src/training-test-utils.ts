// Set-up for tests of the training screens: a project worth training on, and finished runs.

import type { Id } from '../../common/contract';
import type { TrainConfig } from '../../common/training';
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
