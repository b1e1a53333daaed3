import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { PickerView } from '../../../common/contract';
import { startTestApp } from '../test-utils';
import FolderPicker from './FolderPicker.svelte';

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
});
