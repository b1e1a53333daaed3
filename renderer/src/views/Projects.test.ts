import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { startTestApp } from '../test-utils';
import Projects from './Projects.svelte';

const cardNames = () => screen.queryAllByTestId('project-name').map((el) => el.textContent?.trim());

describe('Projects view', () => {
  it('creates a project, lists it and opens it in the Library', async () => {
    const { api, session, context } = await startTestApp({ projects: [{ name: 'Ants', photos: 2 }] });
    render(Projects, { props: { session }, context });
    await waitFor(() => expect(cardNames()).toEqual(['Ants']));

    await fireEvent.input(screen.getByTestId('new-project-name'), { target: { value: '  Birds ' } });
    await fireEvent.click(screen.getByTestId('create-project'));

    await waitFor(() => expect(session.view).toBe('library'));
    expect(session.project?.name).toBe('Birds');
    expect(api.argsOf('projects:open')).toEqual([{ projectId: session.project?.id }]);
    await waitFor(() => expect(cardNames()).toEqual(['Birds', 'Ants']));
  });

  it('shows a refused name as a notice and keeps what was typed', async () => {
    const { session, context, notices } = await startTestApp({ projects: [{ name: 'Ants' }] });
    render(Projects, { props: { session }, context });
    await fireEvent.input(screen.getByTestId('new-project-name'), { target: { value: 'ants' } });
    await fireEvent.click(screen.getByTestId('create-project'));

    await waitFor(() => expect(notices.items.map((n) => n.code)).toEqual(['NAME_TAKEN']));
    expect((screen.getByTestId('new-project-name') as HTMLInputElement).value).toBe('ants');
  });

  it('deletes only after a confirmation that says the photos stay', async () => {
    const { api, session, context } = await startTestApp({ projects: [{ name: 'Ants', photos: 3 }] });
    render(Projects, { props: { session }, context });
    await fireEvent.click(await screen.findByTestId('delete-project'));

    expect(screen.getByTestId('confirm-message').textContent).toMatch(/photos are never touched/);
    expect(api.argsOf('projects:delete')).toHaveLength(0);
    await fireEvent.click(screen.getByTestId('confirm-accept'));

    await waitFor(() => expect(cardNames()).toEqual([]));
    expect(api.argsOf('projects:delete')).toHaveLength(1);
  });

  it('shows counts and opens a project into the library', async () => {
    const { session, context } = await startTestApp({
      projects: [
        {
          name: 'Ants',
          classes: ['ant'],
          photos: 3,
          labels: { 0: 'ant' },
          problems: [{ relPath: 'x.jpg', status: 'missing', errorCode: 'FOLDER_MISSING', error: null }],
        },
      ],
    });
    render(Projects, { props: { session }, context });

    expect((await screen.findByTestId('project-images')).textContent).toBe('3');
    expect(screen.getByTestId('project-labelled').textContent).toBe('1');
    expect(screen.getByTestId('project-problems').textContent).toBe('1');
    await fireEvent.click(screen.getByTestId('open-project'));
    await waitFor(() => expect(session.view).toBe('library'));
    expect(session.project?.name).toBe('Ants');
  });
});
