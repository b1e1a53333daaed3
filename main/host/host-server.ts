import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CALL_NAMES } from '../../common/contract';
import { type Envelope, type ErrorPayload, GraftError, toErrorPayload } from '../../common/errors';
import { HOST_API_PREFIX, HOST_EVENTS_PATH, TOKEN_HEADER } from '../../common/transport';
import type { GraftApp } from '../services/graft-app';
import { createHandlers, dispatch } from '../services/handlers';
import { httpStatusFor } from './http-status';
import { MediaCookie } from './media-cookie';
import {
  type BodySlots,
  bodyLimitFor,
  MAX_BODIES_AT_ONCE,
  MAX_LARGE_BODIES_AT_ONCE,
  readJsonBody,
  Slots,
} from './request-body';
import { refusal } from './request-guard';
import { decodeUrlPath, readStaticFile, rendererCsp } from './static-files';

const HEARTBEAT_MS = 15_000;
/** How long close() lets requests in flight finish before it cuts every connection. */
export const CLOSE_GRACE_MS = 2_000;
const CSP = rendererCsp();

export interface HostOptions {
  app: GraftApp;
  rendererDir: string;
  port?: number;
  token?: string;
}

export interface RunningHost {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

function sameToken(given: string | string[] | undefined, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function send(
  res: http.ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  extra: http.OutgoingHttpHeaders = {},
) {
  res.writeHead(status, {
    'content-type': type,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    ...extra,
  });
  res.end(body);
}

function sendEnvelope(
  res: http.ServerResponse,
  status: number,
  envelope: Envelope<unknown>,
  extra: http.OutgoingHttpHeaders = {},
) {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(envelope), extra);
}

function sendFailure(res: http.ServerResponse, status: number, error: ErrorPayload) {
  sendEnvelope(res, status, { ok: false, error });
}

type Route =
  | { kind: 'api'; name: string }
  | { kind: 'events' }
  | { kind: 'media'; imageId: number; size: 'thumb' | 'full' }
  | { kind: 'page'; pathname: string };

function route(rawUrl: string | undefined): Route {
  const pathname = new URL(rawUrl ?? '/', 'http://127.0.0.1').pathname;
  if (pathname.startsWith(HOST_API_PREFIX)) {
    return { kind: 'api', name: decodeUrlPath(pathname.slice(HOST_API_PREFIX.length)) };
  }
  if (pathname === HOST_EVENTS_PATH) return { kind: 'events' };
  const media = /^\/media\/(\d{1,15})\/(thumb|full)$/.exec(pathname);
  if (media) return { kind: 'media', imageId: Number(media[1]), size: media[2] as 'thumb' | 'full' };
  return { kind: 'page', pathname };
}

/**
 * The headless host: the same contract as the Electron adapter, over HTTP on 127.0.0.1.
 * Calls and the event stream need the per-run token in the `x-graft-token` header (never in the
 * URL); media need the cookie an authenticated call sets (see MediaCookie); cross-site requests
 * are refused (see request-guard). The built renderer's files are public: the token reaches the
 * page in the URL fragment, which browsers never send.
 */
export async function startHost(options: HostOptions): Promise<RunningHost> {
  const { app } = options;
  const token = options.token ?? randomBytes(24).toString('base64url');
  const handlers = createHandlers(app, { transport: 'host' });
  const rendererDir = await fs.realpath(options.rendererDir).catch(() => options.rendererDir);
  const streams = new Set<http.ServerResponse>();
  const bodies: BodySlots = { all: new Slots(MAX_BODIES_AT_ONCE), large: new Slots(MAX_LARGE_BODIES_AT_ONCE) };
  let port = 0;
  let mediaCookie: MediaCookie;

  const unsubscribe = app.ctx.events.subscribe((event, payload) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const res of streams) res.write(frame);
  });
  const heartbeat = setInterval(() => {
    for (const res of streams) res.write(': keep-alive\n\n');
  }, HEARTBEAT_MS);

  async function serveCall(req: http.IncomingMessage, res: http.ServerResponse, name: string) {
    if (req.method !== 'POST') {
      sendFailure(res, 405, { code: 'BAD_REQUEST', message: 'Calls are POST requests.' });
      return;
    }
    if (!(CALL_NAMES as readonly string[]).includes(name)) {
      sendFailure(res, 404, { code: 'UNKNOWN_CALL', message: `There is no call named “${name}”.` });
      return;
    }
    const args = await readJsonBody(req, bodyLimitFor(name), bodies);
    const value = await dispatch(handlers, name, args);
    sendEnvelope(res, 200, { ok: true, value: value ?? null }, { 'set-cookie': mediaCookie.header() });
  }

  function serveEvents(req: http.IncomingMessage, res: http.ServerResponse) {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    res.write(': connected\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
  }

  async function serveMedia(res: http.ServerResponse, imageId: number, size: 'thumb' | 'full') {
    if (size === 'thumb') {
      const body = await fs.readFile(await app.images.thumbnail(imageId)).catch((err: unknown) => {
        if (err instanceof GraftError) throw err;
        throw new GraftError('IMAGE_UNREADABLE', 'The thumbnail is missing; scan the folder again to rebuild it.');
      });
      send(res, 200, 'image/jpeg', body, { 'cache-control': 'private, max-age=86400' });
    } else {
      const preview = await app.images.preview(imageId);
      send(res, 200, preview.contentType, preview.body);
    }
  }

  const server = http.createServer(async (req, res) => {
    try {
      const target = route(req.url);
      const refused = refusal(req, port, target.kind === 'page');
      if (refused) {
        sendFailure(res, refused.status, refused.error);
        return;
      }
      const authorised =
        target.kind === 'page' ||
        (target.kind === 'media' ? mediaCookie.grants(req) : sameToken(req.headers[TOKEN_HEADER], token));
      if (!authorised) {
        sendFailure(res, 401, { code: 'UNAUTHORISED', message: 'Missing or wrong Graft token.' });
        return;
      }
      if (target.kind === 'api') await serveCall(req, res, target.name);
      else if (target.kind === 'events') serveEvents(req, res);
      else if (target.kind === 'media') await serveMedia(res, target.imageId, target.size);
      else if (req.method === 'GET' || req.method === 'HEAD') {
        const file = await readStaticFile(rendererDir, target.pathname);
        if (!file) {
          send(res, 404, 'text/plain', 'The renderer is not built. Run `npm run build`.');
          return;
        }
        send(res, 200, file.type, file.body, { 'content-security-policy': CSP });
      } else {
        send(res, 405, 'text/plain', 'Method not allowed');
      }
    } catch (err) {
      if (res.headersSent) {
        res.end();
        return;
      }
      const error = toErrorPayload(err);
      if (error.code === 'TOO_LARGE' || error.code === 'BODY_TIMEOUT') {
        // Stop reading the rest of an over-large or too slow body: answer, then drop the connection.
        res.on('finish', () => req.destroy());
        sendEnvelope(res, httpStatusFor(error.code), { ok: false, error }, { connection: 'close' });
        return;
      }
      sendFailure(res, httpStatusFor(error.code), error);
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  mediaCookie = new MediaCookie(token, port);

  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    token,
    close: async () => {
      clearInterval(heartbeat);
      unsubscribe();
      for (const res of streams) res.end();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // A connection without a whole request (a browser's preconnected socket, a stalled upload)
      // would hold close() open until the server's header or request timeout (minutes).
      const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      await closed;
      clearTimeout(cut);
    },
  };
}
