import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { expect, it } from 'vitest';
import type { AdaptationProgress } from '../../../common/adaptation';
import { startTestApp } from '../test-utils';
import { petsProject, trainToEnd } from '../training-test-utils';
import Adapt from './Adapt.svelte';

it('Adapt shows the running adaptation’s phase, photo counts and time left from its progress events', async () => {
  const app = await startTestApp({ projects: [petsProject()], jobStepMs: 20 });
  const projectId = app.session.project!.id;
  const source = await trainToEnd(app.api, projectId);
  // The fake adapts nothing: the run stands in for one that keeps running while events arrive.
  const adaptation = 4242;
  const listeners: ((p: AdaptationProgress) => void)[] = [];
  const call = app.api.call.bind(app.api);
  const on = app.api.on.bind(app.api);
  app.api.on = ((event, listener) => {
    if (event === 'adaptation:progress') listeners.push(listener as (p: AdaptationProgress) => void);
    return on(event, listener);
  }) as typeof app.api.on;
  app.api.call = ((name, args) => {
    if (name === 'adaptation:start') return Promise.resolve({ experimentId: adaptation });
    if (name === 'experiments:get' && (args as { experimentId: number }).experimentId === adaptation) {
      return call('experiments:get', { experimentId: source }).then((r) => ({ ...r, status: 'running' }));
    }
    return call(name, args);
  }) as typeof app.api.call;
  render(Adapt, { props: { session: app.session }, context: app.context });
  await waitFor(() => expect(screen.getByTestId('source-run')).toBeTruthy());
  await fireEvent.click(await screen.findByTestId('adapt-button'));
  const status = await screen.findByTestId('adapt-progress');
  expect(status.textContent).toBe('Adapting…');
  const emit = (p: Partial<AdaptationProgress>) => {
    for (const listener of listeners) {
      listener({
        experimentId: adaptation,
        projectId,
        phase: 'embedding',
        done: 0,
        total: 1,
        imagesPerSecond: null,
        etaSeconds: null,
        ...p,
      });
    }
  };
  emit({ phase: 'embedding', done: 30, total: 84, imagesPerSecond: 6, etaSeconds: 9 });
  await waitFor(() => expect(status.textContent).toBe('Reading the photos: 30 of 84 photos, about 9 s left'));
  emit({ phase: 'adabn', done: 0, total: 1 });
  await waitFor(() => expect(status.textContent).toBe('Re-tuning the image model to the new photos…'));
  // Another run's events are not this one's.
  emit({ experimentId: adaptation + 1, phase: 'measuring' });
  await new Promise((r) => setTimeout(r, 50));
  expect(status.textContent).toBe('Re-tuning the image model to the new photos…');
});
