import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CALL_NAMES } from '../../common/contract';
import { writeLabelledFolder } from '../../e2e/fixtures/photo-corpus';
import type { tempGraftApp } from '../services/test-app';
import { CLOSE_GRACE_MS, type RunningHost } from './host-server';
import { httpStatusFor } from './http-status';
import {
  bodyLimitFor,
  MAX_BODIES_AT_ONCE,
  MAX_CALL_BODY_BYTES,
  MAX_LARGE_BODIES_AT_ONCE,
  readJsonBody,
  Slots,
} from './request-body';
import { startTestHost } from './test-host';

let env: ReturnType<typeof tempGraftApp>;
let host: RunningHost;
let close: () => Promise<void>;

beforeEach(async () => {
  ({ env, host, close } = await startTestHost());
  fs.writeFileSync(path.join(env.dir, 'secret.txt'), 'outside the renderer');
});
afterEach(() => close());

async function call(name: string, body: unknown, token: string | null = host.token) {
  const res = await fetch(`${host.url}api/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { 'x-graft-token': token } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: replies are checked field by field with expect().
  return { status: res.status, body: (await res.json()) as any };
}

function rawGet(pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: host.port, path: pathname, headers }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

describe('headless host', () => {
  it('binds to 127.0.0.1 only', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('refuses calls, events and media without the right token', async () => {
    expect((await call('projects:list', {}, null)).status).toBe(401);
    expect((await call('projects:list', {}, 'wrong')).body.error.code).toBe('UNAUTHORISED');
    expect((await rawGet('/events')).status).toBe(401);
    expect((await rawGet('/media/1/thumb')).status).toBe(401);
    expect((await call('projects:list', {})).status).toBe(200);
  });

  it('takes the token from its header only, never from the URL', async () => {
    const inQuery = await fetch(`${host.url}api/projects:list?t=${host.token}`, { method: 'POST', body: '{}' });
    expect(inQuery.status).toBe(401);
    expect((await rawGet(`/events?t=${host.token}`)).status).toBe(401);
    expect((await rawGet(`/events?token=${host.token}`)).status).toBe(401);
  });

  it('refuses cross-site requests even with the token, and serves its own page to any navigation', async () => {
    const own = `http://127.0.0.1:${host.port}`;
    const asSite = (headers: Record<string, string>) =>
      fetch(`${host.url}api/projects:list`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-graft-token': host.token, ...headers },
        body: '{}',
      });
    const crossSite: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: `http://127.0.0.1:${host.port + 1}` },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: own, 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of crossSite) {
      const res = await asSite(headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    }
    expect((await asSite({ origin: own, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect((await rawGet('/events', { 'sec-fetch-site': 'cross-site', 'x-graft-token': host.token })).status).toBe(403);
    expect((await rawGet('/media/1/thumb', { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(
      (await rawGet('/assets/app.js', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' })).status,
    ).toBe(403);
    const navigation = await rawGet('/', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' });
    expect(navigation.status).toBe(200);
    expect((await rawGet('/', { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate' })).status).toBe(200);
  });

  it('answers a malformed %-escape with 400, not 500', async () => {
    expect((await rawGet('/%')).status).toBe(400);
    expect((await rawGet('/%zz/index.html')).status).toBe(400);
    const res = await fetch(`${host.url}api/%`, {
      method: 'POST',
      headers: { 'x-graft-token': host.token },
      body: '{}',
    });
    expect(res.status).toBe(400);
  });

  it('serves pages with a CSP that forbids <base> and form posts', async () => {
    const page = await fetch(host.url);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("base-uri 'none'");
    expect(csp).toContain("form-action 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
  });

  it('caps bodies at 1 MiB, and uploads at their own larger cap, with 413', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(MAX_CALL_BODY_BYTES) });
    const refused = await call('projects:create', big);
    expect(refused).toMatchObject({ status: 413, body: { ok: false, error: { code: 'TOO_LARGE' } } });
    const photos = [{ name: 'a.jpg', dataBase64: 'A'.repeat(2 * MAX_CALL_BODY_BYTES) }];
    const upload = await call('predict:photos', { model: { kind: 'experiment', experimentId: 1 }, photos });
    expect(upload.status).toBe(404);
    const tooBig = 'A'.repeat(bodyLimitFor('predict:photos') + 8);
    const overCap = await call('predict:photos', {
      model: { kind: 'experiment', experimentId: 1 },
      photos: [{ name: 'a.jpg', dataBase64: tooBig }],
    });
    expect(overCap.status).toBe(413);
    expect((await call('projects:list', {})).status).toBe(200);
  });

  it('refuses an over-large chunked body while reading it, without buffering the rest', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: host.port,
          method: 'POST',
          path: '/api/projects:create',
          headers: { 'x-graft-token': host.token, 'transfer-encoding': 'chunked' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', () => {});
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 64 && req.write(chunk)) sent++;
        if (sent < 64) req.once('drain', pump);
        else req.end();
      };
      pump();
      setTimeout(() => reject(new Error('no answer')), 10_000);
    });
    expect(status).toBe(413);
  });

  it('reads at most a few large bodies at once; the others wait their turn', async () => {
    const slots = new Slots(MAX_LARGE_BODIES_AT_ONCE);
    let running = 0;
    let most = 0;
    const task = async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 10));
      running--;
    };
    await Promise.all(Array.from({ length: 10 }, () => slots.run(task)));
    expect(most).toBe(MAX_LARGE_BODIES_AT_ONCE);

    const model = { kind: 'experiment', experimentId: 1 };
    const photos = [{ name: 'a.jpg', dataBase64: 'A'.repeat(3 * MAX_CALL_BODY_BYTES) }];
    const replies = await Promise.all(Array.from({ length: 8 }, () => call('predict:photos', { model, photos })));
    expect(replies.map((r) => r.status)).toEqual(Array(8).fill(404));
  });

  it('reads at most MAX_BODIES_AT_ONCE bodies of any size together, and gives up on a body that trickles (408)', async () => {
    const slots = { all: new Slots(MAX_BODIES_AT_ONCE), large: new Slots(MAX_LARGE_BODIES_AT_ONCE) };
    // Requests whose bodies never end: only those being read have a listener for their data.
    const requests = Array.from({ length: 40 }, () =>
      Object.assign(new PassThrough(), { headers: {} }),
    ) as unknown as http.IncomingMessage[];
    const reads = requests.map((r) => readJsonBody(r, MAX_CALL_BODY_BYTES, slots, 200).catch((e: unknown) => e));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(requests.filter((r) => r.listenerCount('data') > 0)).toHaveLength(MAX_BODIES_AT_ONCE);
    const outcomes = await Promise.all(reads);
    expect(outcomes.every((e) => (e as { code?: string }).code === 'BODY_TIMEOUT')).toBe(true);
    expect(httpStatusFor('BODY_TIMEOUT')).toBe(408);
    // A body that does arrive in time is read as before.
    const quick = Object.assign(new PassThrough(), { headers: {} }) as unknown as PassThrough & http.IncomingMessage;
    const read = readJsonBody(quick, MAX_CALL_BODY_BYTES, slots, 200);
    quick.end('{"a":1}');
    expect(await read).toEqual({ a: 1 });
  });

  it('checks the backbone in preflight as start does', async () => {
    const project = (await call('projects:create', { name: 'Backbones' })).body.value;
    const config = { backboneId: 'no-such-backbone' };
    const preflight = await call('training:preflight', { projectId: project.id, config });
    const start = await call('training:start', { projectId: project.id, config });
    expect(preflight).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(start).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
  });

  it('refuses requests whose Host header is not loopback (DNS rebinding)', async () => {
    const res = await rawGet('/', { host: 'evil.example:80' });
    expect(res.status).toBe(421);
  });

  it('answers unknown calls with 404 and malformed bodies with 400 and a code', async () => {
    expect(await call('nope:nothing', {})).toMatchObject({
      status: 404,
      body: { ok: false, error: { code: 'UNKNOWN_CALL' } },
    });
    expect(await call('projects:create', '{not json')).toMatchObject({
      status: 400,
      body: { error: { code: 'BAD_REQUEST' } },
    });
    expect(await call('projects:rename', { projectId: 'x', name: 'y' })).toMatchObject({ status: 400 });
    expect(await call('projects:open', { projectId: 12345 })).toMatchObject({
      status: 404,
      body: { error: { code: 'PROJECT_NOT_FOUND' } },
    });
  });

  it('exposes every contract call (none answers UNKNOWN_CALL)', async () => {
    for (const name of CALL_NAMES) {
      const { body } = await call(name, {});
      expect(['UNKNOWN_CALL', 'UNAUTHORISED'], name).not.toContain(body.error?.code);
    }
  });

  it('serves thumbnails by image id behind the media cookie an authenticated call sets, and never a path outside the renderer', async () => {
    await writeLabelledFolder(path.join(env.dir, 'photos'), { a: 1 });
    const created = await fetch(`${host.url}api/projects:create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-graft-token': host.token },
      body: JSON.stringify({ name: 'P' }),
    });
    const cookie = created.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/media/);
    expect(cookie).not.toContain(host.token);
    const project = ((await created.json()) as { value: { id: number } }).value;
    const folder = env.app.folders.add(project.id, path.join(env.dir, 'photos'), true);
    await env.app.importer.start(folder.id).done;
    const [image] = (await call('images:list', { projectId: project.id, filter: { kind: 'all' } })).body.value;
    const withCookie = { headers: { cookie: cookie.split(';')[0] } };
    const thumb = await fetch(`${host.url}media/${image.id}/thumb`, withCookie);
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    expect((await thumb.arrayBuffer()).byteLength).toBeGreaterThan(100);
    const full = await fetch(`${host.url}media/${image.id}/full`, withCookie);
    expect(full.status).toBe(200);
    expect((await fetch(`${host.url}media/999/thumb`, withCookie)).status).toBe(404);
    expect((await fetch(`${host.url}media/999/full`, withCookie)).status).toBe(404);
    expect((await fetch(`${host.url}media/999999999999999/full`, withCookie)).status).toBe(404);
    // A known photo whose file is gone is not found either, not “unreadable” (422).
    fs.rmSync(env.app.images.absolutePath(image.id));
    const gone = await fetch(`${host.url}media/${image.id}/full`, withCookie);
    expect(gone.status).toBe(404);
    expect(await gone.text()).toContain('IMAGE_NOT_FOUND');
    expect((await fetch(`${host.url}media/${image.id}/thumb`)).status).toBe(401);
    expect((await fetch(`${host.url}media/${image.id}/thumb?t=${host.token}`)).status).toBe(401);
    const otherRun = { headers: { cookie: `${cookie.split('=')[0]}=forged` } };
    expect((await fetch(`${host.url}media/${image.id}/thumb`, otherRun)).status).toBe(401);

    const escaped = await rawGet('/../secret.txt');
    expect(escaped.body).not.toContain('outside the renderer');
    const encoded = await rawGet('/%2e%2e/secret.txt');
    expect(encoded.body).not.toContain('outside the renderer');
  });

  it('streams contract events over SSE', async () => {
    const controller = new AbortController();
    const res = await fetch(`${host.url}events`, {
      signal: controller.signal,
      headers: { 'x-graft-token': host.token },
    });
    const reader = res.body!.getReader();
    await reader.read();
    await call('projects:create', { name: 'Evented' });
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain('event: projects:changed');
    controller.abort();
  });

  it('closes promptly with a preconnected socket and a half-sent request open', async () => {
    const idle = net.connect(host.port, '127.0.0.1');
    const halfSent = net.connect(host.port, '127.0.0.1');
    for (const socket of [idle, halfSent]) {
      socket.on('error', () => {});
      await new Promise((resolve) => socket.once('connect', resolve));
    }
    halfSent.write('POST /api/call/projects:list HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const started = Date.now();
    await host.close();
    expect(Date.now() - started).toBeLessThan(CLOSE_GRACE_MS + 3_000);
  });
});
