import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { PickerView } from '../../../common/contract';
import type { FakeFolder } from '../lib/api/fake-api';
import { startTestApp } from '../test-utils';
import FolderPicker from './FolderPicker.svelte';
import LocationPicker from './LocationPicker.svelte';

const DISK: FakeFolder = {
  name: '/home/user/Pictures',
  children: [
    { name: 'holiday', photos: 3, children: [{ name: 'beach', photos: 2 }] },
    { name: 'pets', photos: 1 },
  ],
};

/** A location picker (where Graft writes when `allowNewFolder`) over DISK, opened. */
async function openLocationPicker(allowNewFolder = true) {
  const app = await startTestApp({ disk: DISK });
  render(LocationPicker, {
    props: {
      location: null,
      label: 'Choose…',
      chooseLabel: 'Export here',
      testid: 'pick',
      pathTestid: 'picked',
      allowNewFolder,
    },
    context: app.context,
  });
  await fireEvent.click(screen.getByTestId('pick'));
  await screen.findByTestId('folder-picker');
  return app;
}

const shownPath = () => screen.getByTestId('picker-path').textContent;

async function typePath(text: string) {
  await fireEvent.input(screen.getByTestId('picker-path-input'), { target: { value: text } });
  await fireEvent.click(screen.getByTestId('picker-go'));
}

const VIEW: PickerView = {
  pickerId: 'picker-1',
  path: '/photos',
  canGoUp: true,
  folders: [
    { name: 'archive', imageCount: 10_000, imageCountComplete: false },
    { name: 'pets', imageCount: 5, imageCountComplete: true },
    { name: 'locked', imageCount: null, imageCountComplete: false },
  ],
  imagesHere: 10_005,
  imagesHereComplete: false,
  recent: [],
};

async function show(view: PickerView) {
  const app = await startTestApp();
  render(FolderPicker, { props: { view, onresult: () => {} }, context: app.context });
}

describe('FolderPicker', () => {
  it('shows counts that include sub-folders, and counts cut short as “N+”', async () => {
    await show(VIEW);
    expect(screen.getAllByTestId('picker-folder-count').map((c) => c.textContent?.trim())).toEqual(['10,000+', '5']);
    expect(screen.getByTestId('picker-images-here').textContent).toBe(
      '10,005+ photos in this folder and its sub-folders.',
    );
  });

  it('draws folders with a shipped icon, not an emoji that needs an emoji font', async () => {
    await show({ ...VIEW, imagesHere: 1, imagesHereComplete: true });
    for (const row of screen.getAllByTestId('picker-folder')) {
      expect(row.querySelector('svg.glyph path')).not.toBeNull();
      expect(row.textContent).not.toMatch(/\p{Extended_Pictographic}/u);
    }
    expect(screen.getByTestId('picker-images-here').textContent).toBe('1 photo in this folder and its sub-folders.');
  });

  it('opens a typed path, sending main only the typed text, and says why one is refused', async () => {
    const app = await openLocationPicker();
    await typePath('/home/user/Pictures/holiday');
    await waitFor(() => expect(shownPath()).toBe('/home/user/Pictures/holiday'));
    expect(screen.getByTestId('picker-path-input')).toHaveProperty('value', '');
    await typePath('beach');
    await waitFor(() => expect(shownPath()).toBe('/home/user/Pictures/holiday/beach'));

    await typePath('/nowhere');
    expect((await screen.findByTestId('picker-refusal')).textContent).toBe(
      'There is no folder /nowhere that the picker can open.',
    );
    expect(shownPath()).toBe('/home/user/Pictures/holiday/beach');
    expect(screen.getByTestId('picker-path-input')).toHaveProperty('value', '/nowhere');
    expect(app.api.argsOf('picker:go').map((a) => a.path)).toEqual([
      '/home/user/Pictures/holiday',
      'beach',
      '/nowhere',
    ]);
    expect(app.notices.items).toHaveLength(0);
  });

  it('goes Home from anywhere', async () => {
    await openLocationPicker();
    await typePath('holiday/beach');
    await waitFor(() => expect(shownPath()).toBe('/home/user/Pictures/holiday/beach'));
    await fireEvent.click(screen.getByTestId('picker-home'));
    await waitFor(() => expect(shownPath()).toBe('/home/user/Pictures'));
  });

  it('lists the folders chosen before and opens one with a click', async () => {
    await openLocationPicker();
    await typePath('pets');
    await waitFor(() => expect(shownPath()).toBe('/home/user/Pictures/pets'));
    await fireEvent.click(screen.getByTestId('picker-choose'));
    await waitFor(() => expect(screen.getByTestId('picked').textContent).toBe('/home/user/Pictures/pets'));

    await fireEvent.click(screen.getByTestId('pick'));
    await screen.findByTestId('folder-picker');
    const recent = screen.getAllByTestId('picker-recent');
    expect(recent.map((r) => r.textContent?.trim())).toEqual(['/home/user/Pictures/pets']);
    await fireEvent.click(recent[0]);
    await waitFor(() => expect(shownPath()).toBe('/home/user/Pictures/pets'));
  });

  it('makes a new folder where it will save and opens it; a taken name is refused beside the field', async () => {
    await openLocationPicker();
    await fireEvent.click(screen.getByTestId('picker-new-folder'));
    await fireEvent.input(screen.getByTestId('picker-new-folder-name'), { target: { value: 'Exports' } });
    await fireEvent.click(screen.getByTestId('picker-new-folder-create'));
    await waitFor(() => expect(shownPath()).toBe('/home/user/Pictures/Exports'));
    expect(screen.queryByTestId('picker-new-folder-name')).toBeNull();

    await fireEvent.click(screen.getByTestId('picker-up'));
    await waitFor(() => expect(shownPath()).toBe('/home/user/Pictures'));
    expect(screen.getAllByTestId('picker-folder').map((f) => f.dataset.name)).toContain('Exports');
    await fireEvent.click(screen.getByTestId('picker-new-folder'));
    await fireEvent.input(screen.getByTestId('picker-new-folder-name'), { target: { value: 'pets' } });
    await fireEvent.click(screen.getByTestId('picker-new-folder-create'));
    expect((await screen.findByTestId('picker-refusal')).textContent).toBe(
      'There is already something named “pets” here.',
    );
    expect(shownPath()).toBe('/home/user/Pictures');
  });

  it('offers no new folder when choosing a folder to read from', async () => {
    await openLocationPicker(false);
    expect(screen.queryByTestId('picker-new-folder')).toBeNull();
    expect(screen.getByTestId('picker-home')).toBeTruthy();
  });
});
