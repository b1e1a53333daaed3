import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { FakeApiOptions } from '../lib/api/fake-api';
import { startTestApp } from '../test-utils';
import Library from './Library.svelte';

const thumbs = () => screen.getAllByTestId('thumb');
const names = () => thumbs().map((t) => t.title);

const PETS: FakeApiOptions = {
  projects: [{ name: 'Pets', classes: ['cat', 'dog'], photos: 5, opened: true }],
  suggestions: {
    Pets: [
      { image: 'photo-0001.jpg', className: 'dog', confidence: 0.95 },
      { image: 'photo-0002.jpg', className: 'cat', confidence: 0.6 },
      { image: 'photo-0003.jpg', className: 'dog', confidence: 0.8 },
    ],
  },
};

async function openLibrary() {
  const app = await startTestApp(PETS);
  render(Library, { props: { session: app.session }, context: app.context });
  await waitFor(() => expect(thumbs().length).toBe(5));
  await waitFor(() => expect(screen.getByTestId('suggestions-count').textContent).toContain('3 unlabelled photos'));
  const classes = await app.api.call('classes:list', { projectId: app.session.project!.id });
  const classId = (name: string) => String(classes.find((c) => c.name === name)!.id);
  return { ...app, classId };
}

describe('Library suggestions', () => {
  it("shows the current photo's suggestion; Enter accepts it, a number key labels otherwise", async () => {
    const { api, classId } = await openLibrary();
    expect(thumbs()[0].dataset.current).toBe('true');
    expect(screen.getByTestId('current-suggestion').textContent).toMatch(/dog, 95(\.0)?% sure/);

    await fireEvent.keyDown(window, { key: 'Enter' });

    await waitFor(() => expect(thumbs()[0].dataset.classId).toBe(classId('dog')));
    expect(api.argsOf('suggestions:accept')).toEqual([
      { projectId: expect.any(Number), imageIds: [Number(thumbs()[0].dataset.id)] },
    ]);
    // On to photo 2, whose suggestion is cat: the dog key overrides it.
    await waitFor(() => expect(screen.getByTestId('current-suggestion').textContent).toContain('cat'));
    await fireEvent.keyDown(window, { key: '2' });
    await waitFor(() => expect(thumbs()[1].dataset.classId).toBe(classId('dog')));
    expect(api.argsOf('suggestions:accept')).toHaveLength(1);
    await waitFor(() => expect(screen.getByTestId('suggestions-count').textContent).toContain('1 unlabelled photo'));
  });

  it('offers Suggest again as a bordered button, not as plain text', async () => {
    await openLibrary();
    const compute = screen.getByTestId('suggestions-compute');
    expect(compute.tagName).toBe('BUTTON');
    expect(compute.classList.contains('quiet')).toBe(false);
  });

  it('accepts all suggestions above a confidence only after showing how many', async () => {
    const { api, classId } = await openLibrary();
    await fireEvent.input(screen.getByTestId('accept-above-percent'), { target: { value: '75' } });
    await fireEvent.click(screen.getByTestId('accept-above'));

    const dialog = await screen.findByTestId('accept-above-dialog');
    expect(dialog.textContent).toContain('Label 2 photos');
    expect(api.argsOf('suggestions:accept')).toHaveLength(0);
    await fireEvent.click(screen.getByTestId('confirm-accept'));

    await waitFor(() => expect(thumbs()[2].dataset.classId).toBe(classId('dog')));
    expect(thumbs()[0].dataset.classId).toBe(classId('dog'));
    expect(thumbs()[1].dataset.classId).toBe('');
    expect(api.argsOf('suggestions:accept')[0].imageIds).toHaveLength(2);
  });

  it('orders the photos most uncertain first', async () => {
    await openLibrary();
    expect(names()).toEqual(['photo-0001.jpg', 'photo-0002.jpg', 'photo-0003.jpg', 'photo-0004.jpg', 'photo-0005.jpg']);
    await fireEvent.click(screen.getByTestId('order-uncertain'));
    await waitFor(() =>
      expect(names()).toEqual([
        'photo-0002.jpg',
        'photo-0003.jpg',
        'photo-0001.jpg',
        'photo-0004.jpg',
        'photo-0005.jpg',
      ]),
    );
  });

  it('Space opens the large viewer: arrows move, a number key relabels, Esc closes', async () => {
    const { classId } = await openLibrary();
    await fireEvent.keyDown(window, { key: ' ' });
    const viewer = await screen.findByTestId('photo-viewer');
    await waitFor(() => expect(screen.getByTestId('viewer-name').textContent).toBe('photo-0001.jpg'));
    expect(screen.getByTestId('viewer-suggestion').textContent).toContain('dog');

    await fireEvent.keyDown(viewer, { key: 'ArrowRight' });
    await waitFor(() => expect(screen.getByTestId('viewer-name').textContent).toBe('photo-0002.jpg'));
    await fireEvent.keyDown(viewer, { key: '1' });
    await waitFor(() => expect(screen.getByTestId('viewer-class').textContent).toContain('cat'));
    await waitFor(() => expect(thumbs()[1].dataset.classId).toBe(classId('cat')));

    await fireEvent.keyDown(viewer, { key: '+' });
    expect(screen.getByTestId('viewer-zoom').textContent).toBe('150%');
    await fireEvent.keyDown(viewer, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('photo-viewer')).toBeNull());
    expect(thumbs()[1].dataset.current).toBe('true');
  });
});
