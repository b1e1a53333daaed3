import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CALL_NAMES } from '../../common/contract';
import { writeLabelledFolder } from '../../e2e/fixtures/photo-corpus';
import { tempGraftApp } from '../services/test-app';
import { type RunningHost, startHost } from './host-server';

let env: ReturnType<typeof tempGraftApp>;
let host: RunningHost;

beforeEach(async () => {
  env = tempGraftApp();
  const rendererDir = path.join(env.dir, 'renderer');
  fs.mkdirSync(rendererDir);
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Graft</title>');
  fs.writeFileSync(path.join(env.dir, 'secret.txt'), 'outside the renderer');
  host = await startHost({ app: env.app, rendererDir });
});
afterEach(async () => {
  await host.close();
  env.cleanup();
});

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

  it('serves thumbnails by image id and never a path outside the renderer', async () => {
    await writeLabelledFolder(path.join(env.dir, 'photos'), { a: 1 });
    const project = (await call('projects:create', { name: 'P' })).body.value;
    const folder = env.app.folders.add(project.id, path.join(env.dir, 'photos'), true);
    await env.app.importer.start(folder.id).done;
    const [image] = (await call('images:list', { projectId: project.id, filter: { kind: 'all' } })).body.value;
    const thumb = await fetch(`${host.url}media/${image.id}/thumb?t=${host.token}`);
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    expect((await thumb.arrayBuffer()).byteLength).toBeGreaterThan(100);
    const full = await fetch(`${host.url}media/${image.id}/full?t=${host.token}`);
    expect(full.status).toBe(200);
    expect((await fetch(`${host.url}media/999/thumb?t=${host.token}`)).status).toBe(404);

    const escaped = await rawGet('/../secret.txt');
    expect(escaped.body).not.toContain('outside the renderer');
    const encoded = await rawGet('/%2e%2e/secret.txt');
    expect(encoded.body).not.toContain('outside the renderer');
  });

  it('streams contract events over SSE', async () => {
    const controller = new AbortController();
    const res = await fetch(`${host.url}events?t=${host.token}`, { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    await call('projects:create', { name: 'Evented' });
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain('event: projects:changed');
    controller.abort();
  });
});
