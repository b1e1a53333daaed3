import fs from 'node:fs/promises';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/**
 * Reads a file of the built renderer. The URL path is resolved inside `root` and anything
 * escaping it is refused; unknown paths fall back to index.html (the app routes itself).
 */
export async function readStaticFile(root: string, urlPath: string): Promise<{ body: Buffer; type: string } | null> {
  const decoded = decodeURIComponent(urlPath.split('?')[0]);
  const target = path.resolve(root, `.${decoded}`);
  if (target !== root && !target.startsWith(root + path.sep)) return null;
  for (const candidate of [target, path.join(root, 'index.html')]) {
    try {
      const stat = await fs.stat(candidate);
      if (!stat.isFile()) continue;
      return { body: await fs.readFile(candidate), type: TYPES[path.extname(candidate)] ?? 'application/octet-stream' };
    } catch {
      // Try the next candidate.
    }
  }
  return null;
}
