import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { GraftApi } from '../../common/contract';
import App from './App.svelte';
import { createFakeApi } from './lib/api/fake-api';
import { createHostApi } from './lib/api/host-api';

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

describe('App on a full disk', () => {
  it('says up front that the data is read-only, and why', async () => {
    const fake = createFakeApi({ projects: [{ name: 'Recent', photos: 2, opened: true }] });
    const readOnly = { code: 'DISK_FULL' as const, message: 'The disk is full.' };
    const api: GraftApi = {
      ...fake,
      call: (async (name: string, args: unknown) => {
        const value = await (fake.call as (n: string, a: unknown) => Promise<unknown>)(name, args);
        return name === 'app:info' ? { ...(value as object), readOnly } : value;
      }) as GraftApi['call'],
    };
    render(App, { props: { api } });

    const banner = await screen.findByTestId('read-only-banner');
    expect(banner.textContent).toContain('The disk is full');
    expect(banner.textContent).toContain('Free some space, then restart Graft');
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

describe('App without the host’s token', () => {
  it('shows a locked screen that says to open the link Graft printed when it started, with no app to click', async () => {
    render(App, { props: { api: createHostApi({ token: null, fetch: vi.fn() }) } });

    const locked = await screen.findByTestId('locked-screen');
    expect(locked.textContent?.replace(/\s+/g, ' ')).toContain(
      'Open the link Graft printed in its terminal when it started',
    );
    expect(locked.textContent).toContain('graft serve');
    expect(locked.textContent).toContain('#token=');
    expect(screen.queryByTestId('nav-projects')).toBeNull();
    expect(screen.queryAllByRole('button')).toEqual([]);
  });

  it('locks too when the host refuses the token (an earlier run’s), without asking for events', async () => {
    const refused = { ok: false, error: { code: 'UNAUTHORISED', message: 'Missing or wrong Graft token.' } };
    const fetch = vi.fn(async (_url: RequestInfo | URL) => new Response(JSON.stringify(refused), { status: 401 }));
    render(App, { props: { api: createHostApi({ token: 'stale', fetch }) } });

    await screen.findByTestId('locked-screen');
    expect(screen.queryByTestId('nav-projects')).toBeNull();
    expect(fetch.mock.calls.map(([url]) => url)).toEqual(['/api/app:info']);
  });
});
