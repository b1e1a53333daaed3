import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
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
  ],
};

async function openPicker() {
  const app = await startTestApp({ disk: DISK, projects: [{ name: 'Pets', opened: true }] });
  const onchosen = vi.fn();
  render(AddPhotos, { props: { projectId: app.session.project!.id, onchosen }, context: app.context });
  await fireEvent.click(screen.getByTestId('add-photos'));
  await fireEvent.click(screen.getByTestId('labels-from-subfolders'));
  await fireEvent.click(screen.getByTestId('pick-folder'));
  await screen.findByTestId('folder-picker');
  return { ...app, onchosen };
}

const folderNames = () => screen.getAllByTestId('picker-folder').map((row) => row.dataset.name);

describe('Add photos and the folder picker', () => {
  it('asks for sub-folder labels first, then browses by folder name and chooses', async () => {
    const { api, onchosen } = await openPicker();
    expect(api.argsOf('folders:pick')).toEqual([{ projectId: expect.any(Number), labelsFromSubfolders: true }]);
    expect(folderNames()).toEqual(['pets', 'holidays']);
    expect((screen.getByTestId('picker-up') as HTMLButtonElement).disabled).toBe(true);

    await fireEvent.click(screen.getAllByTestId('picker-folder')[0]);
    await waitFor(() => expect(folderNames()).toEqual(['cats', 'dogs']));
    expect(api.argsOf('picker:enter')).toEqual([{ pickerId: expect.any(String), name: 'pets' }]);
    expect(screen.getByTestId('picker-path').textContent).toBe('/photos/pets');

    await fireEvent.click(screen.getByTestId('picker-up'));
    await waitFor(() => expect(folderNames()).toEqual(['pets', 'holidays']));
    expect(api.argsOf('picker:up')).toHaveLength(1);

    await fireEvent.click(screen.getAllByTestId('picker-folder')[1]);
    await waitFor(() => expect(screen.getByTestId('picker-path').textContent).toBe('/photos/holidays'));
    await fireEvent.click(screen.getByTestId('picker-choose'));

    await waitFor(() => expect(onchosen).toHaveBeenCalledTimes(1));
    expect(onchosen.mock.calls[0][0]).toMatchObject({ path: '/photos/holidays', labelsFromSubfolders: true });
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
});
