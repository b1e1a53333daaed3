// Finds files inside installed npm packages at run time. Some packages restrict their
// subpaths through "exports" (nsfwjs) and some have no entry point at all (human-models),
// so the package root is located from whichever of the two resolves.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const requireHere = createRequire(__filename);

export class PackageFileError extends Error {}

export function packageRoot(pkg: string): string {
  try {
    return path.dirname(requireHere.resolve(`${pkg}/package.json`));
  } catch {
    // "exports" hides package.json: start from the entry point and walk up.
  }
  let entry: string;
  try {
    entry = requireHere.resolve(pkg);
  } catch {
    throw new PackageFileError(`The package ${pkg} is not installed; reinstall Graft.`);
  }
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      const parsed = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string };
      if (parsed.name === pkg) return dir;
    }
  }
  throw new PackageFileError(`The root of package ${pkg} was not found above ${entry}.`);
}

/** Absolute path of `file` inside `pkg`, which must exist and stay inside the package. */
export function packageFile(pkg: string, file: string): string {
  const root = packageRoot(pkg);
  const full = path.resolve(root, file);
  if (path.relative(root, full).startsWith('..')) throw new PackageFileError(`${file} is outside package ${pkg}`);
  if (!fs.existsSync(full)) throw new PackageFileError(`${pkg} does not contain ${file}; reinstall Graft.`);
  return full;
}
