// Shared set-up for component tests: a fake Graft and the context the App would provide.

import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { expect, vi } from 'vitest';
import { createFakeApi, type FakeApi, type FakeApiOptions } from './lib/api/fake-api';
import { type AppContext, appContextMap } from './lib/context';
import { Notices } from './lib/state/notices.svelte';
import { Session } from './lib/state/session.svelte';

export interface TestApp {
  api: FakeApi;
  notices: Notices;
  session: Session;
  context: Map<symbol, AppContext>;
}

/** A fake Graft seeded with `options`, with its session started (the last opened project is open). */
export async function startTestApp(options: FakeApiOptions = {}): Promise<TestApp> {
  const api = createFakeApi(options);
  const notices = new Notices();
  const session = new Session(api, notices);
  await session.start();
  return { api, notices, session, context: appContextMap({ api, notices }) };
}

/** Opens a location picker with its button, walks down `trail` by folder names and chooses there. */
export async function pickLocation(buttonTestid: string, trail: string[]): Promise<void> {
  await fireEvent.click(screen.getByTestId(buttonTestid));
  await screen.findByTestId('folder-picker');
  for (const name of trail) {
    const start = screen.getByTestId('picker-path').textContent;
    const folder = screen.getAllByTestId('picker-folder').find((f) => f.dataset.name === name);
    if (!folder) throw new Error(`The picker shows no folder “${name}”.`);
    await fireEvent.click(folder);
    await waitFor(() => expect(screen.getByTestId('picker-path').textContent).not.toBe(start));
  }
  await fireEvent.click(screen.getByTestId('picker-choose'));
  await waitFor(() => expect(screen.queryByTestId('folder-picker')).toBeNull());
}

/**
 * jsdom has no layout: gives the photo grid's viewport a window's size (1200×800 px: 9 columns
 * of 132 px cells). Undo with `vi.restoreAllMocks()`.
 */
export function sizeGridViewport(): void {
  const size = (px: number) =>
    function (this: HTMLElement) {
      return this.dataset.testid === 'thumbnail-grid' ? px : 0;
    };
  vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockImplementation(size(1200));
  vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockImplementation(size(800));
}
