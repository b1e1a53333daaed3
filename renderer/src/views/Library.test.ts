import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { FakeApiOptions } from '../lib/api/fake-api';
import { startTestApp } from '../test-utils';
import Library from './Library.svelte';

const thumbs = () => screen.getAllByTestId('thumb');
const thumb = (index: number) => thumbs()[index];
const classRow = (name: string) => screen.getAllByTestId('class-row').find((row) => row.textContent?.includes(name))!;

async function openLibrary(options: FakeApiOptions) {
  const app = await startTestApp(options);
  render(Library, { props: { session: app.session }, context: app.context });
  await waitFor(() => expect(screen.getAllByTestId('class-row').length).toBeGreaterThan(0));
  await waitFor(() => expect(thumbs().length).toBeGreaterThan(0));
  const classes = await app.api.call('classes:list', { projectId: app.session.project!.id });
  const classId = (name: string) => String(classes.find((c) => c.name === name)!.id);
  return { ...app, classId };
}

const PETS: FakeApiOptions = { projects: [{ name: 'Pets', classes: ['cat', 'dog'], photos: 6, opened: true }] };

describe('Library labelling', () => {
  it('labels the current photo with a number key, moves to the next unlabelled one, and Z undoes', async () => {
    const { api, classId } = await openLibrary({
      projects: [{ name: 'Pets', classes: ['cat', 'dog'], photos: 6, labels: { 1: 'dog' }, opened: true }],
    });
    expect(thumb(0).dataset.current).toBe('true');

    await fireEvent.keyDown(window, { key: '1' });

    await waitFor(() => expect(thumb(0).dataset.classId).toBe(classId('cat')));
    // Photo 2 is already a dog, so the next unlabelled photo is the third.
    expect(thumb(2).dataset.current).toBe('true');
    expect(api.argsOf('labels:assign')).toEqual([
      { projectId: expect.any(Number), imageIds: [Number(thumb(0).dataset.id)], classId: Number(classId('cat')) },
    ]);
    expect(screen.getByTestId('preview-name').textContent).toBe('photo-0003.jpg');
    await waitFor(() => expect(within(classRow('cat')).getByTestId('class-count').textContent).toBe('1'));

    await fireEvent.keyDown(window, { key: 'z' });

    await waitFor(() => expect(thumb(0).dataset.classId).toBe(''));
    expect(api.argsOf('labels:undo')).toHaveLength(1);
    await waitFor(() => expect(within(classRow('cat')).getByTestId('class-count').textContent).toBe('0'));

    await fireEvent.keyDown(window, { key: 'Z', shiftKey: true });
    await waitFor(() => expect(thumb(0).dataset.classId).toBe(classId('cat')));
    expect(api.argsOf('labels:redo')).toHaveLength(1);
  });

  it('moves with the arrow keys and removes a label with 0', async () => {
    const { api } = await openLibrary({
      projects: [{ name: 'Pets', classes: ['cat'], photos: 3, labels: { 1: 'cat' }, opened: true }],
    });
    await fireEvent.keyDown(window, { key: 'ArrowRight' });
    expect(thumb(1).dataset.current).toBe('true');

    await fireEvent.keyDown(window, { key: '0' });

    await waitFor(() => expect(thumb(1).dataset.classId).toBe(''));
    expect(api.argsOf('labels:assign').at(-1)?.classId).toBeNull();
    await fireEvent.keyDown(window, { key: 'ArrowLeft' });
    expect(thumb(0).dataset.current).toBe('true');
  });

  it('ignores library keys typed into a text field', async () => {
    const { api } = await openLibrary(PETS);
    const input = screen.getByTestId('new-class-name');
    input.focus();
    await fireEvent.keyDown(input, { key: '1' });
    await fireEvent.keyDown(input, { key: 'z' });
    expect(api.argsOf('labels:assign')).toHaveLength(0);
    expect(api.argsOf('labels:undo')).toHaveLength(0);
  });

  it('selects a range with shift-click and labels it all with a class button', async () => {
    const { api, classId } = await openLibrary(PETS);
    await fireEvent.click(thumb(1));
    await fireEvent.click(thumb(4), { shiftKey: true });

    const selected = thumbs().filter((t) => t.getAttribute('aria-pressed') === 'true');
    expect(selected.map((t) => t.dataset.id)).toEqual([1, 2, 3, 4].map((i) => thumb(i).dataset.id));
    expect(screen.getByTestId('selected-count').textContent).toBe('4 selected');

    await fireEvent.click(within(classRow('dog')).getByTestId('class-assign'));

    await waitFor(() =>
      expect(thumbs().map((t) => t.dataset.classId)).toEqual(['', ...Array(4).fill(classId('dog')), '']),
    );
    expect(api.argsOf('labels:assign').at(-1)?.imageIds).toHaveLength(4);
    await waitFor(() => expect(within(classRow('dog')).getByTestId('class-count').textContent).toBe('4'));
  });

  it('ctrl-click toggles single photos and Select all takes the whole filter', async () => {
    await openLibrary(PETS);
    await fireEvent.click(thumb(0));
    await fireEvent.click(thumb(2), { ctrlKey: true });
    await fireEvent.click(thumb(0), { ctrlKey: true });
    expect(
      thumbs()
        .filter((t) => t.getAttribute('aria-pressed') === 'true')
        .map((t) => t.dataset.id),
    ).toEqual([thumb(2).dataset.id]);

    await fireEvent.click(screen.getByTestId('select-all'));
    expect(screen.getByTestId('selected-count').textContent).toBe('6 selected');
  });

  it('filters to unlabelled photos and shows the problems with their reasons', async () => {
    await openLibrary({
      projects: [
        {
          name: 'Pets',
          classes: ['cat'],
          photos: 3,
          labels: { 0: 'cat' },
          opened: true,
          problems: [
            {
              relPath: 'old/broken.jpg',
              status: 'unreadable',
              errorCode: 'IMAGE_UNREADABLE',
              error: 'Not a JPEG file',
            },
            { relPath: 'gone.png', status: 'missing', errorCode: null, error: null },
          ],
        },
      ],
    });
    const rows = await screen.findAllByTestId('problem-row');
    expect(rows.map((r) => r.textContent)).toEqual([
      expect.stringMatching(/old\/broken\.jpg.*unreadable.*Not a JPEG file/),
      expect.stringMatching(/gone\.png.*missing.*no longer where it was imported from/),
    ]);

    await fireEvent.click(screen.getByTestId('filter-unlabelled'));
    await waitFor(() => expect(thumbs()).toHaveLength(2));

    await fireEvent.click(screen.getByTestId('filter-problems'));
    await waitFor(() =>
      expect(screen.getAllByTestId('thumb-badge').map((b) => b.textContent)).toEqual(['unreadable', 'missing']),
    );
  });

  it('adds a class from the panel and gives it the next number key', async () => {
    const { api } = await openLibrary(PETS);
    await fireEvent.input(screen.getByTestId('new-class-name'), { target: { value: 'bird' } });
    await fireEvent.click(screen.getByTestId('add-class'));

    await waitFor(() => expect(within(classRow('bird')).getByTestId('class-shortcut').textContent).toBe('3'));
    await fireEvent.keyDown(window, { key: '3' });
    const bird = (await api.call('classes:list', { projectId: 1 })).find((c) => c.name === 'bird');
    await waitFor(() => expect(thumb(0).dataset.classId).toBe(String(bird?.id)));
  });

  it('imports a chosen folder: progress, then the summary, the new photos and classes from sub-folders', async () => {
    const { api } = await openLibrary({
      ...PETS,
      disk: {
        name: '/photos',
        children: [
          {
            name: 'zoo',
            children: [
              { name: 'lion', photos: 2 },
              { name: 'cat', photos: 1, unreadable: ['x.gif'] },
            ],
          },
        ],
      },
    });
    await fireEvent.click(screen.getByTestId('add-photos'));
    await fireEvent.click(screen.getByTestId('labels-from-subfolders'));
    await fireEvent.click(screen.getByTestId('pick-folder'));
    await fireEvent.click(await screen.findByText('zoo', { exact: false }));
    await waitFor(() => expect(screen.getByTestId('picker-path').textContent).toBe('/photos/zoo'));
    await fireEvent.click(screen.getByTestId('picker-choose'));

    await screen.findByTestId('import-progress');
    const summary = await screen.findByTestId('import-summary');
    expect(within(summary).getByTestId('import-added').textContent).toBe('3 photos added');
    expect(within(summary).getByTestId('import-unreadable').textContent).toBe('1 unreadable');
    expect(api.argsOf('import:start')).toHaveLength(1);
    await waitFor(() => expect(thumbs()).toHaveLength(9));
    await waitFor(() => expect(within(classRow('lion')).getByTestId('class-count').textContent).toBe('2'));
    expect(screen.getAllByTestId('folder-row')).toHaveLength(2);
  });
});

describe('Library splits', () => {
  it('moves the selected photos to a split and generates a seeded split', async () => {
    const { api } = await openLibrary({
      projects: [
        { name: 'Pets', classes: ['cat'], photos: 4, labels: { 0: 'cat', 1: 'cat', 2: 'cat', 3: 'cat' }, opened: true },
      ],
    });
    await fireEvent.click(thumb(0));
    await fireEvent.click(thumb(1), { ctrlKey: true });
    await fireEvent.click(screen.getByTestId('split-set-val'));

    expect(api.argsOf('splits:set')).toEqual([
      { projectId: expect.any(Number), imageIds: [thumb(0), thumb(1)].map((t) => Number(t.dataset.id)), split: 'val' },
    ]);
    await fireEvent.change(screen.getByTestId('filter-split'), { target: { value: 'val' } });
    await waitFor(() => expect(thumbs()).toHaveLength(2));

    await fireEvent.input(screen.getByTestId('split-seed'), { target: { value: '7' } });
    await fireEvent.input(screen.getByTestId('split-train'), { target: { value: '50' } });
    expect((screen.getByTestId('split-generate') as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.input(screen.getByTestId('split-val'), { target: { value: '35' } });
    await fireEvent.click(screen.getByTestId('split-generate'));

    await waitFor(() => expect(api.argsOf('splits:generate')).toHaveLength(1));
    const [{ seed, ratios }] = api.argsOf('splits:generate');
    expect(seed).toBe(7);
    expect(ratios.train + ratios.val + ratios.test).toBeCloseTo(1);
    await waitFor(() => expect(screen.getByTestId('split-row').textContent).toMatch(/cat\s*2\s*1\s*1/));
  });
});
