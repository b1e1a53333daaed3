import fs from 'node:fs';
import path from 'node:path';

/** The folder holding Graft's package.json, found from this file whether built or run from source. */
export function appRoot(start: string = __dirname): string {
  let dir = start;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).name === 'graft') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Graft's package.json was not found above ${start}`);
    dir = parent;
  }
}

export function rendererDir(): string {
  return path.join(appRoot(), 'dist', 'renderer');
}
