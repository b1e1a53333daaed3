import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LabelConflict } from '../../../common/contract';
import type { FakeApiOptions } from '../lib/api/fake-api';
import { sizeGridViewport, startTestApp } from '../test-utils';
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
    // With labels from sub-folders, the classes found are shown before anything is imported.
    await fireEvent.click(await screen.findByTestId('preview-import'));

    await screen.findByTestId('import-progress');
    const summary = await screen.findByTestId('import-summary');
    expect(within(summary).getByTestId('import-added').textContent).toBe('3 photos added');
    expect(within(summary).getByTestId('import-unreadable').textContent).toBe('1 unreadable');
    // The time belongs to the title, not left alone at the end of the banner.
    expect(within(summary).getByTestId('import-title').textContent).toMatch(/^Import finished in \d+ s$/);
    expect(summary.textContent?.trim()).not.toMatch(/ in \d+ s\s*✕?$/);
    expect(api.argsOf('import:start')).toHaveLength(1);
    await waitFor(() => expect(thumbs()).toHaveLength(9));
    await waitFor(() => expect(within(classRow('lion')).getByTestId('class-count').textContent).toBe('2'));
    expect(screen.getAllByTestId('folder-row')).toHaveLength(2);
  });
});

describe('Library label conflicts', () => {
  it('shows a photo’s label conflict in its detail and resolves it there', async () => {
    const app = await startTestApp(PETS);
    const projectId = app.session.project!.id;
    const [cat, dog] = await app.api.call('classes:list', { projectId });
    const [first] = await app.api.call('images:list', { projectId, filter: { kind: 'all' } });
    // The fake's photos have no content to compare, so the conflict the service would find is given here.
    let open = true;
    const conflict: LabelConflict = {
      id: 9,
      status: 'open',
      imageId: first.id,
      copies: [
        { imageId: first.id, relPath: 'cat/a.jpg', classId: cat.id, className: 'cat' },
        { imageId: first.id + 1000, relPath: 'dog/a.jpg', classId: dog.id, className: 'dog' },
      ],
    };
    const resolved: unknown[] = [];
    const call = app.api.call.bind(app.api);
    app.api.call = (async (name: string, args: never) => {
      if (name === 'labels:conflicts') return open ? [conflict] : [];
      if (name === 'labels:resolveConflict') {
        resolved.push(args);
        open = false;
        return [];
      }
      return call(name as never, args);
    }) as typeof app.api.call;
    render(Library, { props: { session: app.session }, context: app.context });
    await waitFor(() => expect(thumbs().length).toBeGreaterThan(0));

    await fireEvent.click(thumb(0));
    const shown = await screen.findByTestId('preview-conflict');
    expect(shown.textContent).toMatch(/in the folders of cat and dog/);
    const keepDog = screen.getAllByTestId('conflict-keep').find((b) => b.dataset.classId === String(dog.id))!;
    await fireEvent.click(keepDog);
    await waitFor(() => expect(resolved).toEqual([{ conflictId: 9, classId: dog.id }]));
    await waitFor(() => expect(screen.queryByTestId('preview-conflict')).toBeNull());
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
    // Two photos were moved by hand: Generate asks before replacing them.
    expect(screen.getByTestId('split-replace-message').textContent).toMatch(/2 photos were moved by hand/);
    expect(api.argsOf('splits:generate')).toHaveLength(0);
    await fireEvent.click(screen.getByTestId('split-replace-others'));

    await waitFor(() => expect(api.argsOf('splits:generate')).toHaveLength(1));
    const [{ seed, ratios }] = api.argsOf('splits:generate');
    expect(seed).toBe(7);
    expect(ratios.train + ratios.val + ratios.test).toBeCloseTo(1);
    // The two photos moved by hand keep their split; the other two are split 50/35/15.
    await waitFor(() => expect(screen.getByTestId('split-row').textContent).toMatch(/cat\s*1\s*3\s*0/));
  });
});

describe('Library split sources', () => {
  const FOLDER_SPLITS: FakeApiOptions = {
    projects: [
      {
        name: 'Bees',
        classes: ['ants', 'bees'],
        photos: 12,
        labels: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [i, i < 6 ? 'ants' : 'bees'])),
        splits: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [i, i % 6 < 4 ? 'train' : 'val'])),
        opened: true,
      },
    ],
  };

  it('says the split came from folder names and asks before Generate replaces it', async () => {
    const { api, notices } = await openLibrary(FOLDER_SPLITS);
    await waitFor(() =>
      expect(screen.getByTestId('split-source-folders').textContent).toBe(
        'From folder names: 8 train · 4 val · 0 test',
      ),
    );

    await fireEvent.click(screen.getByTestId('split-generate'));
    expect(screen.getByTestId('split-replace-message').textContent).toMatch(
      /12 photos took their split from folder names \(8 train · 4 val · 0 test\)/,
    );
    // Nothing else to split: the "only the others" choice would do nothing, so it cannot be chosen.
    expect((screen.getByTestId('split-replace-others') as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(screen.getByTestId('split-replace-all'));

    await waitFor(() => expect(api.argsOf('splits:generate').at(-1)?.replaceAll).toBe(true));
    await waitFor(() => expect(screen.queryByTestId('split-source-folders')).toBeNull());
    expect(screen.getByTestId('split-source-generated').textContent).toMatch(
      /Generated \(seed 42\): 8 train · 2 val · 2 test/,
    );
    expect(notices.items.map((n) => [n.level, n.message])).toEqual([
      ['info', 'Split generated: 8 train · 2 val · 2 test.'],
    ]);
  });

  it('carves a test split out of train and val after confirming', async () => {
    const { api } = await openLibrary(FOLDER_SPLITS);
    await fireEvent.click(await screen.findByTestId('split-carve'));
    expect(screen.getByTestId('split-carve-message').textContent).toMatch(/Move 2 photos — 15% of each class/);
    await fireEvent.click(screen.getByTestId('split-carve-accept'));

    await waitFor(() =>
      expect(api.argsOf('splits:carveTest')).toEqual([{ projectId: expect.any(Number), seed: 42, fraction: 0.15 }]),
    );
    const testColumn = () => screen.getAllByTestId('split-row').map((r) => r.querySelectorAll('td')[2].textContent);
    await waitFor(() => expect(testColumn()).toEqual(['1', '1']));
    expect(screen.queryByTestId('split-carve')).toBeNull();
  });
});

describe('Library filters', () => {
  const SPLIT_PETS: FakeApiOptions = {
    projects: [
      {
        name: 'Pets',
        classes: ['cat', 'dog'],
        photos: 8,
        labels: { 0: 'cat', 1: 'cat', 2: 'cat', 3: 'dog', 4: 'dog', 5: 'dog' },
        splits: { 0: 'train', 1: 'val', 2: 'val', 3: 'train', 4: 'val', 5: 'train' },
        opened: true,
        problems: [{ relPath: 'broken.jpg', status: 'unreadable', errorCode: 'IMAGE_UNREADABLE', error: 'Not a JPEG' }],
      },
    ],
  };
  const shownNames = () => thumbs().map((t) => t.title);

  it('combines a class with a split (cats in val) and keeps each half when the other changes', async () => {
    const { api, classId } = await openLibrary(SPLIT_PETS);
    await fireEvent.change(screen.getByTestId('filter-class'), { target: { value: classId('cat') } });
    await waitFor(() => expect(shownNames()).toEqual(['photo-0001.jpg', 'photo-0002.jpg', 'photo-0003.jpg']));

    await fireEvent.change(screen.getByTestId('filter-split'), { target: { value: 'val' } });
    await waitFor(() => expect(shownNames()).toEqual(['photo-0002.jpg', 'photo-0003.jpg']));
    expect(api.argsOf('images:list').at(-1)?.filter).toEqual({
      kind: 'class',
      classId: Number(classId('cat')),
      split: 'val',
    });
    expect((screen.getByTestId('filter-class') as HTMLSelectElement).value).toBe(classId('cat'));

    await fireEvent.change(screen.getByTestId('filter-class'), { target: { value: classId('dog') } });
    await waitFor(() => expect(shownNames()).toEqual(['photo-0005.jpg']));
    expect((screen.getByTestId('filter-split') as HTMLSelectElement).value).toBe('val');

    // "Any class" clears the class and keeps the split; All is not lit while a split narrows the photos.
    await fireEvent.change(screen.getByTestId('filter-class'), { target: { value: '' } });
    await waitFor(() => expect(shownNames()).toEqual(['photo-0002.jpg', 'photo-0003.jpg', 'photo-0005.jpg']));
    expect((screen.getByTestId('filter-split') as HTMLSelectElement).value).toBe('val');
    expect(screen.getByTestId('filter-all').getAttribute('aria-pressed')).toBe('false');
    // All shows every photo, as its count says.
    await fireEvent.click(screen.getByTestId('filter-all'));
    await waitFor(() => expect(thumbs()).toHaveLength(8));
    expect((screen.getByTestId('filter-split') as HTMLSelectElement).value).toBe('');
    expect(screen.getByTestId('filter-all').getAttribute('aria-pressed')).toBe('true');
  });

  it('filters by domain once a folder holds new-domain photos, with each domain’s count', async () => {
    const app = await startTestApp(PETS);
    const projectId = app.session.project!.id;
    render(Library, { props: { session: app.session }, context: app.context });
    await waitFor(() => expect(thumbs()).toHaveLength(6));
    expect(screen.queryByTestId('filter-domain')).toBeNull();
    cleanup();

    const [folder] = await app.api.call('folders:list', { projectId });
    await app.api.call('domains:setFolder', { folderId: folder.id, domain: 'target' });
    render(Library, { props: { session: app.session }, context: app.context });
    const choice = (await screen.findByTestId('filter-domain')) as HTMLSelectElement;
    expect([...choice.options].map((o) => o.textContent)).toEqual([
      'Any domain',
      'Training photos (0)',
      'New-domain photos (6)',
    ]);
    await fireEvent.change(choice, { target: { value: 'source' } });
    await screen.findByTestId('grid-empty');
    expect(app.api.argsOf('images:list').at(-1)?.filter).toEqual({ kind: 'all', domain: 'source' });
    await fireEvent.change(screen.getByTestId('filter-domain'), { target: { value: 'target' } });
    await waitFor(() => expect(thumbs()).toHaveLength(6));
    expect(screen.getByTestId('filter-all').getAttribute('aria-pressed')).toBe('false');
    await fireEvent.click(screen.getByTestId('filter-unlabelled'));
    await waitFor(() =>
      expect(app.api.argsOf('images:list').at(-1)?.filter).toEqual({ kind: 'unlabelled', domain: 'target' }),
    );
  });

  it('moves the focus with the current photo, so only one tile looks chosen after arrow keys', async () => {
    await openLibrary(PETS);
    thumb(0).focus();
    await fireEvent.click(thumb(0));
    await fireEvent.keyDown(window, { key: 'ArrowRight' });
    await fireEvent.keyDown(window, { key: 'ArrowRight' });
    expect(thumb(2).dataset.current).toBe('true');
    await waitFor(() => expect(document.activeElement).toBe(thumb(2)));
    expect(thumbs().filter((t) => t.getAttribute('aria-pressed') === 'true')).toHaveLength(0);
  });

  it('names the photo the split buttons move the way the status bar counts the selection', async () => {
    await openLibrary(SPLIT_PETS);
    // A photo in focus with nothing selected (as after carving a test split, or with the arrow keys).
    await fireEvent.click(thumb(0));
    await fireEvent.keyDown(window, { key: 'Escape' });
    await fireEvent.keyDown(window, { key: 'ArrowRight' });
    const selected = screen.getByTestId('selected-count').textContent;
    const label = screen.getByTestId('split-move-label').textContent?.trim();
    expect(selected).toBe('0 selected');
    expect(label).toBe('Move this photo to');
  });

  it('puts a class’s new-domain count on a line of its own, clear of the class name', async () => {
    const app = await startTestApp({
      projects: [{ name: 'Pets', classes: ['cat', 'dog'], photos: 4, labels: { 0: 'cat', 1: 'dog' }, opened: true }],
    });
    const [folder] = await app.api.call('folders:list', { projectId: app.session.project!.id });
    await app.api.call('domains:setFolder', { folderId: folder.id, domain: 'target' });
    render(Library, { props: { session: app.session }, context: app.context });
    const counts = await screen.findAllByTestId('class-new-domain-count');
    expect(counts.map((e) => e.textContent?.trim())).toEqual(['1 new-domain', '1 new-domain']);
    // Beside the name (one flex line) it squeezed the name to nothing (user trial 2, shots 12–13).
    for (const count of counts) {
      const line = within(count.closest('[data-testid="class-row"]') as HTMLElement).getByTestId('class-assign')
        .parentElement!;
      expect(line.contains(count)).toBe(false);
    }
  });

  it('never offers a split move for new-domain photos, and says why', async () => {
    const app = await startTestApp(PETS);
    const projectId = app.session.project!.id;
    const [folder] = await app.api.call('folders:list', { projectId });
    await app.api.call('domains:setFolder', { folderId: folder.id, domain: 'target' });
    render(Library, { props: { session: app.session }, context: app.context });
    await waitFor(() => expect(thumbs()).toHaveLength(6));
    await fireEvent.click(thumb(0));
    await fireEvent.click(thumb(1), { ctrlKey: true });
    expect((screen.getByTestId('split-set-train') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('split-new-domain').textContent).toMatch(/2 new-domain photos never go in a split/);
    await fireEvent.click(screen.getByTestId('split-set-train'));
    expect(app.api.argsOf('splits:set')).toHaveLength(0);
    // The server refuses them too, with a reason code.
    const moved = await app.api.call('splits:set', {
      projectId,
      imageIds: [Number(thumb(0).dataset.id)],
      split: 'train',
    });
    expect(moved.skipped.map((s) => [s.code, s.count])).toEqual([['NEW_DOMAIN', 1]]);
    expect(moved.perClass.every((c) => c.train === 0)).toBe(true);
  });

  it('says that All leaves the unreadable files out, and never puts them in a split', async () => {
    const { api } = await openLibrary(SPLIT_PETS);
    expect(screen.getByTestId('problems-left-out').textContent).toMatch(/1 unreadable or missing file not shown/);

    await fireEvent.click(screen.getByTestId('filter-problems'));
    await waitFor(() => expect(screen.getAllByTestId('thumb-badge')).toHaveLength(1));
    expect(screen.queryByTestId('problems-left-out')).toBeNull();
    await fireEvent.click(thumb(0));
    expect((screen.getByTestId('split-set-test') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('split-unusable').textContent).toMatch(/1 unreadable or missing photo cannot go/);
    await fireEvent.keyDown(window, { key: '1' });
    expect(api.argsOf('splits:set')).toHaveLength(0);
    expect(api.argsOf('labels:assign')).toHaveLength(0);
  });

  it('keeps the filter counts and the grid up with an import while it runs', async () => {
    const { session } = await openLibrary({
      projects: [{ name: 'Zoo', classes: ['lion'], photos: 1, opened: true }],
      disk: { name: '/photos', children: [{ name: 'safari', photos: 40 }] },
      jobStepMs: 25,
    });
    const disconnect = session.connect();
    await fireEvent.click(screen.getByTestId('add-photos'));
    await fireEvent.click(screen.getByTestId('pick-folder'));
    await fireEvent.click(await screen.findByText('safari', { exact: false }));
    await waitFor(() => expect(screen.getByTestId('picker-path').textContent).toBe('/photos/safari'));
    await fireEvent.click(screen.getByTestId('picker-choose'));

    // Well before the 40th photo: the counts and the grid already show what came in.
    await waitFor(() => expect(screen.queryAllByTestId('thumb').length).toBeGreaterThan(6), { timeout: 3000 });
    expect(screen.getByTestId('import-progress')).toBeTruthy();
    const allCount = () => Number(screen.getByTestId('filter-all').textContent?.replace(/\D/g, ''));
    await waitFor(() => expect(allCount()).toBeGreaterThan(6));
    expect(screen.queryByTestId('import-summary')).toBeNull();
    disconnect();
  });
});

describe('Library scroll position per filter', () => {
  beforeEach(sizeGridViewport);
  afterEach(() => vi.restoreAllMocks());

  it('opens a class filter at the top and returns to where the person was under All', async () => {
    const labels = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [500 + i, 'cat']));
    const { classId } = await openLibrary({
      projects: [{ name: 'Many', classes: ['cat'], photos: 1000, labels, opened: true }],
    });
    const grid = screen.getByTestId('thumbnail-grid');
    grid.scrollTop = 132 * 100;
    await fireEvent.scroll(grid);
    const far = thumbs().find((t) => t.title === 'photo-0905.jpg')!;
    await fireEvent.click(far);

    await fireEvent.change(screen.getByTestId('filter-class'), { target: { value: classId('cat') } });
    await waitFor(() => expect(thumbs()[0].title).toBe('photo-0501.jpg'));
    expect(grid.scrollTop).toBe(0);
    expect(screen.getByTestId('preview-name').textContent).toBe('photo-0501.jpg');

    await fireEvent.click(screen.getByTestId('filter-all'));
    await waitFor(() => expect(screen.getByTestId('shown-count').textContent).toBe('1,000 shown'));
    expect(grid.scrollTop).toBe(132 * 100);
    expect(screen.getByTestId('preview-name').textContent).toBe('photo-0905.jpg');
  });
});

describe('Library label traffic', () => {
  it('updates the changed photo and the counts from the event instead of reloading every row', async () => {
    const { api, session } = await openLibrary({
      projects: [{ name: 'Many', classes: ['cat', 'dog'], photos: 2000, opened: true }],
    });
    const disconnect = session.connect();
    // Count what crosses the boundary from now on: the calls and the bytes of their answers.
    const traffic: { name: string; bytes: number }[] = [];
    const call = api.call.bind(api);
    api.call = async (name, args) => {
      const result = await call(name, args);
      traffic.push({ name, bytes: JSON.stringify(result).length });
      return result;
    };
    await new Promise((resolve) => setTimeout(resolve, 200));
    traffic.length = 0;

    await fireEvent.keyDown(window, { key: '1' });
    await waitFor(() => expect(within(classRow('cat')).getByTestId('class-count').textContent).toBe('1'));
    await waitFor(() => expect(screen.getByTestId('filter-unlabelled').textContent).toMatch(/1,999/));
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(thumb(0).dataset.classId).not.toBe('');
    const names = traffic.map((t) => t.name).sort();
    // The preview asks for the next photo's details and whether it is in a label conflict; nothing
    // reloads the 2,000 rows or the counts.
    expect(names).toEqual(['images:get', 'labels:assign', 'labels:conflicts', 'labels:history', 'splits:summary']);
    expect(traffic.reduce((n, t) => n + t.bytes, 0)).toBeLessThan(1000);
    disconnect();
  });
});
