import fs from 'node:fs/promises';
import path from 'node:path';
import { GraftError } from '../../common/errors';

const TYPES = new Map<string, string>([
  ['.html', 'text/html; charset=utf-8'],
  ['.js', 'text/javascript; charset=utf-8'],
  ['.css', 'text/css; charset=utf-8'],
  ['.svg', 'image/svg+xml'],
  ['.png', 'image/png'],
  ['.ico', 'image/x-icon'],
  ['.json', 'application/json'],
  ['.woff2', 'font/woff2'],
  ['.wasm', 'application/wasm'],
]);

/**
 * The Content-Security-Policy of the renderer's pages under either transport: our own origin only,
 * no plugins, no framing, no `<base>` rewriting and no form posting anywhere. `imageSources` are
 * added to img-src (Electron's `graft-media:` scheme).
 */
export function rendererCsp(imageSources: string[] = []): string {
  return [
    "default-src 'self'",
    ['img-src', "'self'", ...imageSources, 'data:', 'blob:'].join(' '),
    "style-src 'self' 'unsafe-inline'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** A URL path with its %-escapes decoded; a malformed escape (`/%`, `/%zz`) is BAD_REQUEST. */
export function decodeUrlPath(urlPath: string): string {
  try {
    return decodeURIComponent(urlPath);
  } catch {
    throw new GraftError('BAD_REQUEST', 'The address has a malformed %-escape.');
  }
}

/**
 * Reads a file of the built renderer. The URL path is resolved inside `root` and anything
 * escaping it is refused; unknown paths fall back to index.html (the app routes itself).
 * Throws BAD_REQUEST for a malformed %-escape.
 */
export async function readStaticFile(root: string, urlPath: string): Promise<{ body: Buffer; type: string } | null> {
  const decoded = decodeUrlPath(urlPath.split('?')[0]);
  const target = path.resolve(root, `.${decoded}`);
  if (target !== root && !target.startsWith(root + path.sep)) return null;
  for (const candidate of [target, path.join(root, 'index.html')]) {
    try {
      const stat = await fs.stat(candidate);
      if (!stat.isFile()) continue;
      return {
        body: await fs.readFile(candidate),
        type: TYPES.get(path.extname(candidate)) ?? 'application/octet-stream',
      };
    } catch {
      // Try the next candidate.
    }
  }
  return null;
}
