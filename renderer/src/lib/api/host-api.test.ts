import { describe, expect, it, vi } from 'vitest';
import { GraftError } from '../../../../common/errors';
import { createHostApi } from './host-api';
import { takeHostToken } from './host-token';

function answer(status: number, body: unknown): Response {
  return { status, json: async () => body } as Response;
}

/** A streamed SSE answer whose frames are pushed by the test; `end()` drops the connection. */
function eventStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start: (c) => {
      controller = c;
    },
  });
  return {
    response: new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    push: (event: string, payload: unknown) =>
      controller.enqueue(new TextEncoder().encode(`event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`)),
    end: () => controller.close(),
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

function hostApi(fetch: typeof globalThis.fetch, token: string | null = 'tok-123') {
  return createHostApi({ token, fetch, eventRetryMs: 5 });
}

describe('host transport', () => {
  it('posts the call with its token and returns the envelope value', async () => {
    const fetch = vi.fn(async () => answer(200, { ok: true, value: { id: 7, name: 'Birds' } }));
    const api = hostApi(fetch);

    const created = await api.call('projects:create', { name: 'Birds' });

    expect(created).toEqual({ id: 7, name: 'Birds' });
    expect(fetch).toHaveBeenCalledTimes(1);
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/projects:create');
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>)['x-graft-token']).toBe('tok-123');
    expect(JSON.parse(init.body as string)).toEqual({ name: 'Birds' });
  });

  it('throws an error envelope as a GraftError with its code', async () => {
    const fetch = vi.fn(async () =>
      answer(409, { ok: false, error: { code: 'NAME_TAKEN', message: 'A project named “Birds” already exists.' } }),
    );
    const api = hostApi(fetch);

    const failure = await api.call('projects:create', { name: 'Birds' }).catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(GraftError);
    expect((failure as GraftError).code).toBe('NAME_TAKEN');
    expect((failure as GraftError).message).toContain('already exists');
  });

  it('turns an unreadable answer into an INTERNAL error', async () => {
    const api = hostApi(async () => ({ status: 502, json: () => Promise.reject(new SyntaxError('bad')) }) as Response);
    await expect(api.call('projects:list', {})).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('refuses to call without a token and says how to get one', async () => {
    const fetch = vi.fn();
    const api = hostApi(fetch, null);
    await expect(api.call('projects:list', {})).rejects.toMatchObject({ code: 'UNAUTHORISED' });
    expect(fetch).not.toHaveBeenCalled();
  });

  it('multiplexes every listener over one event stream that carries the token in a header, never the URL', async () => {
    const stream = eventStream();
    const fetch = vi.fn(async () => stream.response);
    const api = hostApi(fetch);
    const labels: unknown[] = [];
    const more: unknown[] = [];
    const progress: unknown[] = [];
    const offLabels = api.on('labels:changed', (p) => labels.push(p));
    api.on('labels:changed', (p) => more.push(p));
    api.on('import:progress', (p) => progress.push(p.done));
    await settle();

    expect(fetch).toHaveBeenCalledTimes(1);
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/events');
    expect((init.headers as Record<string, string>)['x-graft-token']).toBe('tok-123');

    stream.push('labels:changed', { projectId: 3 });
    stream.push('import:progress', { done: 5 });
    await settle();
    offLabels();
    stream.push('labels:changed', { projectId: 4 });
    await settle();

    expect(labels).toEqual([{ projectId: 3 }]);
    expect(more).toEqual([{ projectId: 3 }, { projectId: 4 }]);
    expect(progress).toEqual([5]);
  });

  it('reconnects when the stream drops, and stops when the host refuses it', async () => {
    const first = eventStream();
    const second = eventStream();
    const answers = [first.response, second.response, new Response('{}', { status: 401 })];
    const fetch = vi.fn(async () => answers.shift() as Response);
    const api = hostApi(fetch);
    const seen: unknown[] = [];
    api.on('projects:changed', (p) => seen.push(p));
    await settle();
    first.end();
    await settle();
    second.push('projects:changed', { n: 2 });
    await settle();
    expect(seen).toEqual([{ n: 2 }]);
    second.end();
    await settle();
    await settle();
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it('addresses media by id alone: no token in any URL', () => {
    const api = hostApi(vi.fn(), 'a b');
    expect(api.mediaUrl(42, 'thumb')).toBe('/media/42/thumb');
    expect(api.mediaUrl(42, 'full')).toBe('/media/42/full');
  });
});

describe('host token', () => {
  function memoryStorage() {
    const items = new Map<string, string>();
    return { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) };
  }

  it('takes the token from the hash, keeps it for reloads and hides it from the address bar', () => {
    const storage = memoryStorage();
    const history = { state: null, replaceState: vi.fn() };

    const token = takeHostToken({ hash: '#token=s3cret', pathname: '/', search: '' }, storage, history);
    expect(token).toBe('s3cret');
    expect(history.replaceState).toHaveBeenCalledWith(null, '', '/');

    const afterReload = takeHostToken({ hash: '', pathname: '/', search: '' }, storage, history);
    expect(afterReload).toBe('s3cret');
    expect(history.replaceState).toHaveBeenCalledTimes(1);
  });

  it('is null when the page was opened without one', () => {
    const history = { state: null, replaceState: vi.fn() };
    expect(takeHostToken({ hash: '', pathname: '/', search: '' }, memoryStorage(), history)).toBeNull();
  });
});
