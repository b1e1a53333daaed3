import { createHmac, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';

/**
 * Media (`<img src="/media/<id>/thumb">`) cannot send a header, and a token in the URL leaks into
 * history, logs and copied links. So the host answers each authenticated API call with a cookie
 * that unlocks `/media` only: HMAC-SHA256 of a fixed label keyed with the run's token (so it is new
 * every run and is not the API token), `HttpOnly` (no script reads it), `SameSite=Strict` (no other
 * site's page sends it), `Path=/media`, no expiry (gone when the browser session ends). The cookie
 * name carries the port, so two hosts on one machine keep theirs apart.
 */
export class MediaCookie {
  readonly name: string;
  private readonly value: string;

  constructor(token: string, port: number) {
    this.name = `graft_media_${port}`;
    this.value = createHmac('sha256', token).update('graft-media-cookie').digest('base64url');
  }

  /** The `Set-Cookie` header value that grants media access. */
  header(): string {
    return `${this.name}=${this.value}; Path=/media; HttpOnly; SameSite=Strict`;
  }

  /** Whether the request carries this run's media cookie. */
  grants(req: http.IncomingMessage): boolean {
    const given = cookieValue(req.headers.cookie ?? '', this.name);
    if (given === null) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(this.value);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

/** The value of cookie `name` in a `Cookie` header (`a=1; b=2`), or null. */
function cookieValue(header: string, name: string): string | null {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
