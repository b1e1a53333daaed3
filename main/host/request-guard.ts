import type http from 'node:http';
import type { ErrorPayload } from '../../common/errors';

export interface Refusal {
  /** 421: addressed to another host name; 403: sent by another site. */
  status: 421 | 403;
  error: ErrorPayload;
}

const CROSS_SITE: Refusal = {
  status: 403,
  error: { code: 'FORBIDDEN', message: 'Graft answers only its own page, not other sites.' },
};

/**
 * Why a request to the host is refused before anything else is looked at, or null.
 *
 * - `Host` must be the loopback address with our port; a DNS-rebound name is not us (421).
 * - Cross-site requests are refused (403): `Origin`, when sent, must be the host's own origin, and
 *   `Sec-Fetch-Site`, when sent, must be `same-origin` or `none` (the person opened the link).
 *   Browsers send them on fetches, EventSource and subresource loads; curl sends neither and is
 *   judged by the token alone. Only a top-level navigation to a page (`Sec-Fetch-Mode: navigate`)
 *   may come from anywhere: the built renderer is public and holds nothing until given the token.
 */
export function refusal(req: http.IncomingMessage, port: number, isPage: boolean): Refusal | null {
  const host = req.headers.host ?? '';
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
    return { status: 421, error: { code: 'FORBIDDEN', message: 'Graft answers only on 127.0.0.1.' } };
  }
  if (isPage && req.headers['sec-fetch-mode'] === 'navigate') return null;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) return CROSS_SITE;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return CROSS_SITE;
  return null;
}
