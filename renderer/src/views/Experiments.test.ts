import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { Id } from '../../../common/contract';
import { startTestApp } from '../test-utils';
import { petsProject, trainEachTechnique, trainToEnd } from '../training-test-utils';
import Experiments from './Experiments.svelte';

async function openExperiments(seeds: number[], options: { trainingStepMs?: number } = {}) {
  const app = await startTestApp({ projects: [petsProject()], ...options });
  const projectId = app.session.project!.id;
  const runs: Id[] = [];
  for (const seed of seeds) runs.push(await trainToEnd(app.api, projectId, { seed }));
  render(Experiments, { props: { session: app.session }, context: app.context });
  await waitFor(() => expect(screen.queryAllByTestId('experiment-row')).toHaveLength(seeds.length));
  return { ...app, projectId, runs };
}

const row = (id: Id) => screen.getAllByTestId('experiment-row').find((r) => r.dataset.id === String(id))!;

describe('Experiments', () => {
  it('lists the runs, newest first, with status, backbone and accuracy', async () => {
    const { runs } = await openExperiments([1, 2]);
    const rows = screen.getAllByTestId('experiment-row');
    expect(rows.map((r) => r.dataset.id)).toEqual([String(runs[1]), String(runs[0])]);
    expect(within(rows[0]).getByTestId('experiment-name').textContent).toBe('Run 2');
    expect(within(rows[0]).getByTestId('experiment-status').dataset.status).toBe('finished');
    expect(rows[0].textContent).toContain('MobileNetV2 224 (fake)');
    expect(within(rows[0]).getByTestId('experiment-accuracy').textContent).toMatch(/^\d+\.\d%$/);
  });

  it('has a Technique column that says which stage a fine-tuning run kept', async () => {
    const app = await startTestApp({ projects: [petsProject()] });
    const { extraction, stage1, stage2 } = await trainEachTechnique(app.api, app.session.project!.id);
    render(Experiments, { props: { session: app.session }, context: app.context });
    await waitFor(() => expect(screen.queryAllByTestId('experiment-row')).toHaveLength(3));
    expect(screen.getByRole('columnheader', { name: 'Technique' })).toBeTruthy();
    const technique = (id: Id) => within(row(id)).getByTestId('experiment-technique').textContent;
    expect([technique(extraction), technique(stage1), technique(stage2)]).toEqual([
      'Feature extraction',
      'Fine-tuning (stage 1 kept)',
      'Fine-tuning (stage 2 kept)',
    ]);
  });

  it('renames a run inline and keeps a note', async () => {
    const { api, runs } = await openExperiments([1]);
    await fireEvent.click(within(row(runs[0])).getByTestId('experiment-rename'));
    await fireEvent.input(screen.getByTestId('experiment-name-input'), { target: { value: '  Baseline ' } });
    await fireEvent.click(screen.getByTestId('experiment-name-save'));

    await waitFor(() => expect(within(row(runs[0])).getByTestId('experiment-name').textContent).toBe('Baseline'));
    expect(api.argsOf('experiments:rename')).toEqual([{ experimentId: runs[0], name: 'Baseline' }]);

    await fireEvent.click(within(row(runs[0])).getByTestId('experiment-annotate'));
    await fireEvent.input(screen.getByTestId('experiment-note-input'), { target: { value: 'defaults' } });
    await fireEvent.click(screen.getByTestId('experiment-note-save'));
    await waitFor(() => expect(within(row(runs[0])).getByTestId('experiment-note').textContent).toBe('defaults'));
  });

  it('compares two selected runs: settings that differ, results and F1 per class', async () => {
    const { api, runs } = await openExperiments([1, 2]);
    const compare = screen.getByTestId('compare-button') as HTMLButtonElement;
    expect(compare.disabled).toBe(true);

    for (const id of runs) await fireEvent.click(within(row(id)).getByTestId('experiment-select'));
    await fireEvent.click(compare);

    const view = await screen.findByTestId('compare-view');
    expect(api.argsOf('experiments:compare')).toEqual([{ a: runs[0], b: runs[1] }]);
    const config = within(view).getAllByTestId('compare-config-row');
    expect(config.map((r) => r.dataset.key)).toEqual(['seed']);
    expect(config[0].textContent).toMatch(/^Seed\s*1\s*2$/);
    expect(
      within(view)
        .getAllByTestId('compare-metric-row')
        .map((r) => r.dataset.key),
    ).toContain('val accuracy');
    expect(
      within(view)
        .getAllByTestId('compare-class-row')
        .map((r) => r.querySelector('th')?.textContent),
    ).toEqual(['cat', 'dog']);
  });

  it('lists the held-out photos whose prediction changed between the runs', async () => {
    const { api, runs } = await openExperiments([1, 2]);
    const held = await Promise.all(runs.map((experimentId) => api.call('experiments:predictions', { experimentId })));
    const before = new Map(held[0].map((p) => [p.imageId, p.predictedClassId]));
    const changed = held[1].filter((p) => before.has(p.imageId) && before.get(p.imageId) !== p.predictedClassId);
    expect(changed.length).toBeGreaterThan(0);

    for (const id of runs) await fireEvent.click(within(row(id)).getByTestId('experiment-select'));
    await fireEvent.click(screen.getByTestId('compare-button'));
    const view = await screen.findByTestId('compare-view');
    const shown = within(view)
      .getAllByTestId('compare-change')
      .map((r) => Number(r.dataset.imageId));
    expect(shown.sort()).toEqual(changed.map((p) => p.imageId).sort());
  });

  it('marks the better side only for scores, not for a later best epoch or a longer run', async () => {
    const app = await startTestApp({ projects: [petsProject()], trainingStepMs: 5 });
    const projectId = app.session.project!.id;
    const runs = [
      await trainToEnd(app.api, projectId, { seed: 1, maxEpochs: 2 }),
      await trainToEnd(app.api, projectId, { seed: 2, maxEpochs: 8 }),
    ];
    render(Experiments, { props: { session: app.session }, context: app.context });
    await waitFor(() => expect(screen.queryAllByTestId('experiment-row')).toHaveLength(2));
    for (const id of runs) await fireEvent.click(within(row(id)).getByTestId('experiment-select'));
    await fireEvent.click(screen.getByTestId('compare-button'));
    const view = await screen.findByTestId('compare-view');
    const metricRow = (key: string) =>
      within(view)
        .getAllByTestId('compare-metric-row')
        .find((r) => r.dataset.key === key)!;
    const cells = (key: string) => [...metricRow(key).querySelectorAll('td')].map((td) => td.textContent);
    expect(cells('best epoch')[0]).not.toBe(cells('best epoch')[1]);
    expect(metricRow('best epoch').querySelectorAll('td.better')).toHaveLength(0);
    expect(metricRow('duration (s)').querySelectorAll('td.better')).toHaveLength(0);
  });

  it('deletes a run after confirmation', async () => {
    const { api, runs } = await openExperiments([1, 2]);
    await fireEvent.click(within(row(runs[0])).getByTestId('experiment-delete'));
    await fireEvent.click(await screen.findByTestId('confirm-accept'));

    await waitFor(() => expect(screen.getAllByTestId('experiment-row')).toHaveLength(1));
    expect(api.argsOf('experiments:delete')).toEqual([{ experimentId: runs[0] }]);
  });

  it('opens a run in Evaluate', async () => {
    const { session, runs } = await openExperiments([1]);
    await fireEvent.click(within(row(runs[0])).getByTestId('experiment-open'));
    expect(session.view).toBe('evaluate');
    expect(session.experimentId).toBe(runs[0]);
  });

  it('opens a finished run in Export', async () => {
    const { session, runs } = await openExperiments([1, 2]);
    await fireEvent.click(within(row(runs[0])).getByTestId('experiment-export'));
    expect(session.view).toBe('export');
    expect(session.experimentId).toBe(runs[0]);
  });

  it('shows a new run as it trains and its result when it ends', async () => {
    const { api, projectId } = await openExperiments([1], { trainingStepMs: 10 });
    const { experimentId } = await api.call('training:start', { projectId, config: {} });

    await waitFor(() =>
      expect(within(row(experimentId)).getByTestId('experiment-status').dataset.status).toBe('running'),
    );
    expect((within(row(experimentId)).getByTestId('experiment-delete') as HTMLButtonElement).disabled).toBe(true);
    expect((within(row(experimentId)).getByTestId('experiment-export') as HTMLButtonElement).disabled).toBe(true);
    await waitFor(
      () => expect(within(row(experimentId)).getByTestId('experiment-status').dataset.status).toBe('finished'),
      { timeout: 3000 },
    );
  });
});
