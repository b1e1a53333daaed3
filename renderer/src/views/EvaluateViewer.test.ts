import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { startTestApp } from '../test-utils';
import { petsProject, trainToEnd } from '../training-test-utils';
import Evaluate from './Evaluate.svelte';

describe('Evaluate photos open in the large viewer', () => {
  it('a mistake’s caption opens the viewer too, at that photo', async () => {
    const app = await startTestApp({ projects: [petsProject()] });
    await trainToEnd(app.api, app.session.project!.id, { seed: 1 });
    render(Evaluate, { props: { session: app.session }, context: app.context });
    const captions = await screen.findAllByTestId('mistake-caption');
    expect(captions.length).toBeGreaterThan(1);

    await fireEvent.click(captions[1]);

    const viewer = await screen.findByTestId('photo-viewer');
    expect(viewer.dataset.imageId).toBe(captions[1].closest('li')!.dataset.imageId);
  });

  it('a confident mistake opens with what the run made of it, relabels with a key and shows in the Library', async () => {
    const app = await startTestApp({ projects: [petsProject()] });
    const projectId = app.session.project!.id;
    const run = await trainToEnd(app.api, projectId, { seed: 1 });
    render(Evaluate, { props: { session: app.session }, context: app.context });
    const mistakes = await app.api.call('experiments:mistakes', { experimentId: run });
    const [first] = await screen.findAllByTestId('mistake-open');
    const classes = await app.api.call('classes:list', { projectId });
    const name = (id: number) => classes.find((c) => c.id === id)!.name;

    await fireEvent.click(first);

    const viewer = await screen.findByTestId('photo-viewer');
    expect(viewer.dataset.imageId).toBe(String(mistakes[0].imageId));
    expect(screen.getByTestId('viewer-caption').textContent).toContain(
      `${name(mistakes[0].trueClassId)} predicted as ${name(mistakes[0].predictedClassId)}`,
    );
    await waitFor(() =>
      expect(screen.getByTestId('viewer-class').textContent).toContain(name(mistakes[0].trueClassId)),
    );
    const other = classes.find((c) => c.id === mistakes[0].predictedClassId)!;
    await fireEvent.keyDown(viewer, { key: other.shortcut! });
    await waitFor(() => expect(screen.getByTestId('viewer-class').textContent).toContain(other.name));
    const detail = await app.api.call('images:get', { imageId: mistakes[0].imageId as number });
    expect(detail.classId).toBe(other.id);

    await fireEvent.click(screen.getByTestId('viewer-show-in-library'));
    expect(app.session.view).toBe('library');
    expect(app.session.libraryFocus).toEqual({
      imageId: mistakes[0].imageId,
      filter: { kind: 'class', classId: other.id },
    });
    await waitFor(() => expect(screen.queryByTestId('photo-viewer')).toBeNull());
  });
});
