import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ImageRow } from '../../../common/contract';
import { createFakeApi } from '../lib/api/fake-api';
import { appContextMap } from '../lib/context';
import { Notices } from '../lib/state/notices.svelte';
import { sizeGridViewport } from '../test-utils';
import ThumbnailGrid from './ThumbnailGrid.svelte';

const ROWS: ImageRow[] = Array.from({ length: 20_000 }, (_, i) => ({
  id: i + 1,
  name: `photo-${i + 1}.jpg`,
  status: i === 2 ? 'unreadable' : 'ok',
  classId: i % 3 === 0 ? 7 : null,
  split: null,
  newDomain: false,
}));

const CLASSES = new Map([
  [7, { id: 7, projectId: 1, name: 'cat', colour: '#f0e442', shortcut: null, order: 0, count: 1 }],
]);

function renderGrid(onpick = vi.fn()) {
  render(ThumbnailGrid, {
    props: { rows: ROWS, classes: CLASSES, selected: new Set([2]), currentIndex: 0, onpick },
    context: appContextMap({ api: createFakeApi(), notices: new Notices() }),
  });
  return onpick;
}

describe('ThumbnailGrid', () => {
  beforeEach(sizeGridViewport);
  afterEach(() => vi.restoreAllMocks());

  it('renders only a window of cells for 20,000 photos', () => {
    renderGrid();
    const cells = screen.getAllByTestId('thumb');
    expect(cells.length).toBeGreaterThan(50);
    expect(cells.length).toBeLessThan(300);
    expect(cells[0].dataset.id).toBe('1');
    const canvas = screen.getByTestId('thumbnail-grid').firstElementChild as HTMLElement;
    expect(Number.parseInt(canvas.style.height, 10)).toBeGreaterThan(200_000);
  });

  it('names the class on a labelled tile, shows the selection, lazy thumbnails by id and a badge for unreadable photos', () => {
    renderGrid();
    const [first, second, third] = screen.getAllByTestId('thumb');
    expect(first.dataset.classId).toBe('7');
    const tag = within(first).getByTestId('thumb-class');
    expect(tag.textContent).toBe('cat');
    expect(tag.style.background).toBe('rgb(240, 228, 66)');
    expect(tag.style.color).toBe('rgb(0, 0, 0)');
    expect(within(second).queryByTestId('thumb-class')).toBeNull();
    expect(second.getAttribute('aria-pressed')).toBe('true');
    const img = first.querySelector('img');
    expect(img?.getAttribute('src')).toBe('fake-media://1/thumb');
    expect(third.querySelector('img')).toBeNull();
    expect(third.textContent).toContain('unreadable');
  });

  it('moves the window when scrolled, still rendering only a few hundred cells', async () => {
    renderGrid();
    const viewport = screen.getByTestId('thumbnail-grid');
    viewport.scrollTop = 132 * 1000;
    await fireEvent.scroll(viewport);

    const ids = screen.getAllByTestId('thumb').map((t) => Number(t.dataset.id));
    expect(ids.length).toBeLessThan(300);
    expect(ids).toContain(1000 * 9 + 1);
    expect(ids).not.toContain(1);
  });

  it('loads a few thumbnails at a time and drops the requests of rows scrolled out of view', async () => {
    renderGrid();
    const loading = () => [...document.querySelectorAll('img[src]')] as HTMLImageElement[];
    expect(loading().length).toBeLessThanOrEqual(6);
    const viewport = screen.getByTestId('thumbnail-grid');
    // A fast scroll far down: the tiles passed over ask and leave before any of them loads.
    for (let row = 50; row <= 1000; row += 50) {
      viewport.scrollTop = 132 * row;
      await fireEvent.scroll(viewport);
    }
    const shown = new Set(screen.getAllByTestId('thumb').map((t) => t.dataset.id));
    const ids = loading().map((img) => img.closest<HTMLElement>('[data-testid="thumb"]')?.dataset.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.length).toBeLessThanOrEqual(6);
    for (const id of ids) expect(shown.has(id)).toBe(true);
    // As they load, the next ones in view follow.
    for (const img of loading()) img.dispatchEvent(new Event('load'));
    expect(loading().length).toBeGreaterThan(6);
  });

  it('reports clicks with their modifiers', async () => {
    const onpick = renderGrid();
    await fireEvent.click(screen.getAllByTestId('thumb')[4], { shiftKey: true });
    expect(onpick).toHaveBeenCalledWith(5, { toggle: false, range: true });
  });
});
