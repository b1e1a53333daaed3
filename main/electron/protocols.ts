import fs from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { net, protocol } from 'electron';
import { toErrorPayload } from '../../common/errors';
import { MEDIA_SCHEME } from '../../common/transport';
import { readStaticFile, rendererCsp } from '../host/static-files';
import type { GraftApp } from '../services/graft-app';
import { APP_SCHEME } from './window-options';

const CSP = rendererCsp([`${MEDIA_SCHEME}:`]);

/** Must run before app 'ready'. */
export function registerSchemes(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
    { scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** graft-app:// serves the built renderer; graft-media://image/<id>/<thumb|full> serves photos by id only. */
export function handleProtocols(app: GraftApp, rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = await readStaticFile(rendererDir, new URL(request.url).pathname).catch(() => 'malformed' as const);
    if (file === 'malformed') return new Response('Malformed address', { status: 400 });
    if (!file) return new Response('Not found', { status: 404 });
    return new Response(new Uint8Array(file.body), {
      headers: { 'content-type': file.type, 'content-security-policy': CSP },
    });
  });
  protocol.handle(MEDIA_SCHEME, async (request) => {
    const url = new URL(request.url);
    const match = /^\/(\d+)\/(thumb|full)$/.exec(url.pathname);
    if (url.host !== 'image' || !match) return new Response('Not found', { status: 404 });
    try {
      const imageId = Number(match[1]);
      if (match[2] === 'thumb') {
        const thumb = await app.images.thumbnail(imageId);
        await fs.access(thumb);
        return net.fetch(pathToFileURL(thumb).toString());
      }
      const preview = await app.images.preview(imageId);
      return new Response(new Uint8Array(preview.body), { headers: { 'content-type': preview.contentType } });
    } catch (err) {
      return new Response(toErrorPayload(err).message, { status: 404 });
    }
  });
}
