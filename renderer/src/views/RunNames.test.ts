// Run names are unique within a project: Experiments refuses renaming a run to another run's name.
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { startTestApp } from '../test-utils';
import { petsProject, trainToEnd } from '../training-test-utils';
import Experiments from './Experiments.svelte';

describe('run names', () => {
  it('refuses renaming a run to the name of another run, saying why, and keeps its name', async () => {
    const app = await startTestApp({ projects: [petsProject()] });
    const projectId = app.session.project!.id;
    await trainToEnd(app.api, projectId, { seed: 1 });
    const second = await trainToEnd(app.api, projectId, { seed: 2 });
    render(Experiments, { props: { session: app.session }, context: app.context });
    await waitFor(() => expect(screen.queryAllByTestId('experiment-row')).toHaveLength(2));
    const row = () => screen.getAllByTestId('experiment-row').find((r) => r.dataset.id === String(second))!;

    await fireEvent.click(within(row()).getByTestId('experiment-rename'));
    await fireEvent.input(screen.getByTestId('experiment-name-input'), { target: { value: 'Run 1' } });
    await fireEvent.click(screen.getByTestId('experiment-name-save'));

    await waitFor(() =>
      expect(app.notices.items.map((n) => n.message)).toContain('Another run is already called “Run 1”.'),
    );
    expect((await app.api.call('experiments:get', { experimentId: second })).name).toBe('Run 2');
  });
});
