import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from './App.svelte';
import { createFakeApi } from './lib/api/fake-api';

describe('App start-up', () => {
  it('reopens the last project in the library', async () => {
    const api = createFakeApi({ projects: [{ name: 'Old' }, { name: 'Recent', photos: 2, opened: true }] });
    render(App, { props: { api } });

    expect((await screen.findByTestId('library-title')).textContent).toBe('Recent');
    await fireEvent.click(screen.getByTestId('nav-projects'));
    expect(await screen.findAllByTestId('project-card')).toHaveLength(2);
  });

  it('shows the projects when none was opened before, with the library out of reach', async () => {
    const api = createFakeApi({ projects: [{ name: 'Never opened' }] });
    render(App, { props: { api } });

    expect(await screen.findAllByTestId('project-card')).toHaveLength(1);
    expect((screen.getByTestId('nav-library') as HTMLButtonElement).disabled).toBe(true);
  });
});

describe('App notices', () => {
  it('shows notices in the page above the view, not floating over its controls', async () => {
    const api = createFakeApi({ projects: [{ name: 'Recent', photos: 2, opened: true }] });
    render(App, { props: { api } });
    await screen.findByTestId('library-title');
    const bar = screen.getByTestId('notices');
    const title = screen.getByTestId('library-title');
    expect(bar.closest('main')).toBe(title.closest('main'));
    expect(bar.compareDocumentPosition(title) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });
});
