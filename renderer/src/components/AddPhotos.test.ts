import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { SourceFolder } from '../../../common/contract';
import { startTestApp } from '../test-utils';
import AddPhotos from './AddPhotos.svelte';

const DISK = {
  name: '/photos',
  children: [
    {
      name: 'pets',
      children: [
        { name: 'cats', photos: 3 },
        { name: 'dogs', photos: 2 },
      ],
    },
    { name: 'holidays', photos: 4 },
    {
      name: 'zoo',
      photos: 1,
      children: [
        {
          name: 'Train',
          children: [
            { name: 'lion', photos: 2 },
            { name: 'cat', photos: 1 },
          ],
        },
        { name: 'val', children: [{ name: 'lion', photos: 1 }] },
      ],
    },
    {
      name: 'nested',
      children: [
        {
          name: 'pets',
          children: [
            { name: 'cats', photos: 2 },
            { name: 'dogs', photos: 1 },
          ],
        },
      ],
    },
  ],
};

async function openPicker(labelsFromSubfolders = false) {
  const app = await startTestApp({ disk: DISK, projects: [{ name: 'Pets', opened: true }] });
  const onchosen = vi.fn();
  render(AddPhotos, { props: { projectId: app.session.project!.id, onchosen }, context: app.context });
  await fireEvent.click(screen.getByTestId('add-photos'));
  if (labelsFromSubfolders) await fireEvent.click(screen.getByTestId('labels-from-subfolders'));
  await fireEvent.click(screen.getByTestId('pick-folder'));
  await screen.findByTestId('folder-picker');
  return { ...app, onchosen };
}

const folderNames = () => screen.getAllByTestId('picker-folder').map((row) => row.dataset.name);

describe('Add photos and the folder picker', () => {
  it('asks for sub-folder labels first, then browses by folder name and chooses', async () => {
    const { api, onchosen } = await openPicker();
    expect(api.argsOf('folders:pick')).toEqual([{ projectId: expect.any(Number), labelsFromSubfolders: false }]);
    expect(folderNames()).toEqual(['pets', 'holidays', 'zoo', 'nested']);
    expect((screen.getByTestId('picker-up') as HTMLButtonElement).disabled).toBe(true);

    await fireEvent.click(screen.getAllByTestId('picker-folder')[0]);
    await waitFor(() => expect(folderNames()).toEqual(['cats', 'dogs']));
    expect(api.argsOf('picker:enter')).toEqual([{ pickerId: expect.any(String), name: 'pets' }]);
    expect(screen.getByTestId('picker-path').textContent).toBe('/photos/pets');

    await fireEvent.click(screen.getByTestId('picker-up'));
    await waitFor(() => expect(folderNames()).toEqual(['pets', 'holidays', 'zoo', 'nested']));
    expect(api.argsOf('picker:up')).toHaveLength(1);

    await fireEvent.click(screen.getAllByTestId('picker-folder')[1]);
    await waitFor(() => expect(screen.getByTestId('picker-path').textContent).toBe('/photos/holidays'));
    await fireEvent.click(screen.getByTestId('picker-choose'));

    await waitFor(() => expect(onchosen).toHaveBeenCalledTimes(1));
    expect(onchosen.mock.calls[0][0]).toMatchObject({ path: '/photos/holidays', labelsFromSubfolders: false });
    expect(api.argsOf('picker:choose')).toHaveLength(1);
    expect(screen.queryByTestId('folder-picker')).toBeNull();
  });

  it('cancels the picker on the server too', async () => {
    const { api, onchosen } = await openPicker();
    await fireEvent.click(screen.getByTestId('picker-cancel'));
    await waitFor(() => expect(screen.queryByTestId('folder-picker')).toBeNull());
    expect(api.argsOf('picker:cancel')).toHaveLength(1);
    expect(onchosen).not.toHaveBeenCalled();
  });

  it('with folder labels, previews the classes, split folders and unclassed photos before importing', async () => {
    const { api, onchosen } = await openPicker(true);
    await fireEvent.click(screen.getAllByTestId('picker-folder').find((f) => f.dataset.name === 'zoo')!);
    await waitFor(() => expect(screen.getByTestId('picker-path').textContent).toBe('/photos/zoo'));
    await fireEvent.click(screen.getByTestId('picker-choose'));

    const preview = await screen.findByTestId('import-preview');
    const classes = within(preview).getAllByTestId('preview-class');
    expect(classes.map((c) => [c.dataset.name, within(c).getByTestId('preview-class-count').textContent])).toEqual([
      ['cat', '1'],
      ['lion', '3'],
    ]);
    expect(within(preview).getByTestId('preview-splits').textContent).toMatch(
      /Train.*training \(3\).*val.*validation \(1\)/s,
    );
    const unlabelled = within(preview).getByTestId('preview-unlabelled').textContent ?? '';
    expect(within(preview).getByTestId('preview-note').textContent).toMatch(/sit directly in the chosen folder/);
    // The count of photos without a class is said once, with the reason.
    expect(preview.textContent?.match(/got no class|without a class folder/g)).toHaveLength(1);
    expect(unlabelled).toMatch(/^\s*1 photo got no class:.*For example “/s);
    // Nothing is added or imported while the person looks.
    expect(api.argsOf('folders:add')).toEqual([]);
    expect(onchosen).not.toHaveBeenCalled();

    await fireEvent.click(within(preview).getByTestId('preview-import'));
    await waitFor(() => expect(onchosen).toHaveBeenCalledTimes(1));
    expect(api.argsOf('folders:add')).toEqual([
      { projectId: expect.any(Number), location: expect.any(String), labelsFromSubfolders: true, classLevel: 1 },
    ]);
    expect(onchosen.mock.calls[0][0]).toMatchObject({ path: '/photos/zoo', labelsFromSubfolders: true });
    expect(screen.queryByTestId('import-preview')).toBeNull();
  });

  it('offers the deeper level where the classes are and imports with it', async () => {
    const { api, onchosen } = await openPicker(true);
    await fireEvent.click(screen.getAllByTestId('picker-folder').find((f) => f.dataset.name === 'nested')!);
    await waitFor(() => expect(screen.getByTestId('picker-path').textContent).toBe('/photos/nested'));
    await fireEvent.click(screen.getByTestId('picker-choose'));
    const names = () => screen.getAllByTestId('preview-class').map((c) => c.dataset.name);
    await waitFor(() => expect(names()).toEqual(['pets']));

    await fireEvent.click(screen.getByTestId('preview-suggest'));
    await waitFor(() => expect(names()).toEqual(['cats', 'dogs']));
    expect((screen.getByTestId('preview-level') as HTMLSelectElement).value).toBe('2');
    await fireEvent.click(screen.getByTestId('preview-import'));
    await waitFor(() => expect(onchosen).toHaveBeenCalledTimes(1));
    expect(api.argsOf('folders:add')[0]).toMatchObject({ classLevel: 2 });
  });

  it('cancelling the preview adds nothing', async () => {
    const { api, onchosen } = await openPicker(true);
    await fireEvent.click(screen.getByTestId('picker-choose'));
    await fireEvent.click(await screen.findByTestId('preview-cancel'));
    await waitFor(() => expect(screen.queryByTestId('import-preview')).toBeNull());
    expect(api.argsOf('folders:add')).toEqual([]);
    expect(onchosen).not.toHaveBeenCalled();
  });
});

describe('Add photos as new-domain photos', () => {
  it('marks the chosen folder as new-domain photos before handing it on', async () => {
    const app = await startTestApp({ disk: DISK, projects: [{ name: 'Pets', opened: true }] });
    const order: string[] = [];
    const onchosen = vi.fn((_folder: SourceFolder) => {
      order.push('chosen');
    });
    const call = app.api.call.bind(app.api);
    app.api.call = ((name, args) => {
      if (name === 'domains:setFolder') order.push('marked');
      return call(name, args);
    }) as typeof app.api.call;
    render(AddPhotos, { props: { projectId: app.session.project!.id, onchosen }, context: app.context });
    await fireEvent.click(screen.getByTestId('add-photos'));
    expect(screen.getByTestId('add-photos-dialog').textContent).toMatch(
      /These are new-domain photos \(unlabelled, for adapting a model\)/,
    );
    await fireEvent.click(screen.getByTestId('as-new-domain'));
    await fireEvent.click(screen.getByTestId('pick-folder'));
    await screen.findByTestId('folder-picker');
    await fireEvent.click(screen.getAllByTestId('picker-folder')[1]);
    await waitFor(() => expect(screen.getByTestId('picker-path').textContent).toBe('/photos/holidays'));
    await fireEvent.click(screen.getByTestId('picker-choose'));

    await waitFor(() => expect(onchosen).toHaveBeenCalledTimes(1));
    const [folder] = onchosen.mock.calls[0];
    expect(app.api.argsOf('domains:setFolder')).toEqual([{ folderId: folder.id, domain: 'target' }]);
    expect(order).toEqual(['marked', 'chosen']);
  });

  it('leaves the folder as training photos when not asked', async () => {
    const { api, onchosen } = await openPicker();
    await fireEvent.click(screen.getAllByTestId('picker-folder')[1]);
    await waitFor(() => expect(screen.getByTestId('picker-path').textContent).toBe('/photos/holidays'));
    await fireEvent.click(screen.getByTestId('picker-choose'));
    await waitFor(() => expect(onchosen).toHaveBeenCalledTimes(1));
    expect(api.argsOf('domains:setFolder')).toEqual([]);
  });
});
