import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Envelope, GraftError, toErrorPayload } from '../../common/errors';
import { HOST_API_PREFIX, HOST_EVENTS_PATH, TOKEN_HEADER, TOKEN_QUERY } from '../../common/transport';
import type { GraftApp } from '../services/graft-app';
import { createHandlers, dispatch } from '../services/handlers';
import { httpStatusFor } from './http-status';
import { readStaticFile } from './static-files';

// Dropped photos travel as base64 in predict:photos calls; the renderer sends at most ~8 MB a call.
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const HEARTBEAT_MS = 15_000;
const CSP =
  "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'";

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

function sameToken(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
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

function sendEnvelope(res: http.ServerResponse, status: number, envelope: Envelope<unknown>) {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(envelope));
}

function sendError(res: http.ServerResponse, err: unknown) {
  const error = toErrorPayload(err);
  sendEnvelope(res, httpStatusFor(error.code), { ok: false, error });
}

async function readJsonBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new GraftError('BAD_REQUEST', 'The request body is too large.');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new GraftError('BAD_REQUEST', 'The request body is not valid JSON.');
  }
}

/**
 * The headless host: the same contract as the Electron adapter, over HTTP on 127.0.0.1.
 * Every API, event and media request must carry the per-run token; the static renderer
 * files are public (the token travels in the URL fragment, which browsers never send).
 */
export async function startHost(options: HostOptions): Promise<RunningHost> {
  const { app } = options;
  const token = options.token ?? randomBytes(24).toString('base64url');
  const handlers = createHandlers(app, { transport: 'host' });
  const rendererDir = await fs.realpath(options.rendererDir).catch(() => options.rendererDir);
  const streams = new Set<http.ServerResponse>();
  let port = 0;

  const unsubscribe = app.ctx.events.subscribe((event, payload) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const res of streams) res.write(frame);
  });
  const heartbeat = setInterval(() => {
    for (const res of streams) res.write(': keep-alive\n\n');
  }, HEARTBEAT_MS);

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const host = req.headers.host ?? '';
      if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
        send(res, 421, 'text/plain', 'Graft answers only on 127.0.0.1.');
        return;
      }
      const isApi = url.pathname.startsWith(HOST_API_PREFIX);
      const isEvents = url.pathname === HOST_EVENTS_PATH;
      const media = /^\/media\/(\d+)\/(thumb|full)$/.exec(url.pathname);
      if (isApi || isEvents || media) {
        const given = (req.headers[TOKEN_HEADER] as string | undefined) ?? url.searchParams.get(TOKEN_QUERY);
        if (!sameToken(given, token)) {
          sendEnvelope(res, 401, {
            ok: false,
            error: { code: 'UNAUTHORISED', message: 'Missing or wrong Graft token.' },
          });
          return;
        }
      }
      if (isApi) {
        if (req.method !== 'POST') {
          sendEnvelope(res, 405, { ok: false, error: { code: 'BAD_REQUEST', message: 'Calls are POST requests.' } });
          return;
        }
        const name = decodeURIComponent(url.pathname.slice(HOST_API_PREFIX.length));
        const value = await dispatch(handlers, name, await readJsonBody(req));
        sendEnvelope(res, 200, { ok: true, value: value ?? null });
      } else if (isEvents) {
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-store',
          connection: 'keep-alive',
          'x-content-type-options': 'nosniff',
        });
        res.write(': connected\n\n');
        streams.add(res);
        req.on('close', () => streams.delete(res));
      } else if (media) {
        const imageId = Number(media[1]);
        if (media[2] === 'thumb') {
          const body = await fs.readFile(await app.images.thumbnail(imageId)).catch((err: unknown) => {
            if (err instanceof GraftError) throw err;
            throw new GraftError('IMAGE_UNREADABLE', 'The thumbnail is missing; scan the folder again to rebuild it.');
          });
          send(res, 200, 'image/jpeg', body, { 'cache-control': 'private, max-age=86400' });
        } else {
          const preview = await app.images.preview(imageId);
          send(res, 200, preview.contentType, preview.body);
        }
      } else if (req.method === 'GET' || req.method === 'HEAD') {
        const file = await readStaticFile(rendererDir, url.pathname);
        if (!file) {
          send(res, 404, 'text/plain', 'The renderer is not built. Run `npm run build`.');
          return;
        }
        send(res, 200, file.type, file.body, { 'content-security-policy': CSP });
      } else {
        send(res, 405, 'text/plain', 'Method not allowed');
      }
    } catch (err) {
      if (!res.headersSent) sendError(res, err);
      else res.end();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    token,
    close: async () => {
      clearInterval(heartbeat);
      unsubscribe();
      for (const res of streams) res.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
