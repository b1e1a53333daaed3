// Which folders an export may write into or replace. An export writes only into a folder that is
// new, empty, or an earlier Graft export; it never writes into (or around) Graft's data directory
// or a project's photo folder, and replacing removes only the files an earlier export wrote.
import fs from 'node:fs';
import path from 'node:path';
import { GraftError } from '../../common/errors';
import type { ServiceContext } from './context';

/** Written into every model export: JSON `{ graft: version, files: string[] }`, the files that export wrote. */
export const EXPORT_MARKER = '.graft-export';

/** Files of a model export written before the marker existed (ONNX or TF.js LayersModel). */
const LEGACY_EXPORT_FILE = /^(model\.onnx|model\.json|group\d+-shard\d+of\d+\.bin|labels\.json|MODEL_CARD\.md)$/;

/** `p` with symbolic links resolved as far as it exists, the rest appended (a target not yet created). */
function resolvedPath(p: string): string {
  const absolute = path.resolve(p);
  try {
    return fs.realpathSync(absolute);
  } catch {
    const parent = path.dirname(absolute);
    return parent === absolute ? absolute : path.join(resolvedPath(parent), path.basename(absolute));
  }
}

function isSameOrInside(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Throws EXPORT_DESTINATION_REFUSED when `target` is, contains or lies inside Graft's data
 * directory or any project's photo folder: an export there would delete or re-import what Graft keeps.
 */
export function refuseProtectedDestination(ctx: ServiceContext, target: string): void {
  const dest = resolvedPath(target);
  const folders = ctx.db.prepare('SELECT path FROM source_folders').all() as { path: string }[];
  const protectedDirs: [string, string][] = [
    [ctx.paths.root, 'Graft’s data folder'],
    ...folders.map((f): [string, string] => [f.path, 'a project’s photo folder']),
  ];
  for (const [dir, what] of protectedDirs) {
    const kept = resolvedPath(dir);
    if (isSameOrInside(dest, kept) || isSameOrInside(kept, dest)) {
      throw new GraftError(
        'EXPORT_DESTINATION_REFUSED',
        `Graft does not export into ${target}: it is, holds or lies inside ${what} (${dir}). Choose a folder outside it.`,
      );
    }
  }
}

/**
 * What an existing folder `target` holds, for replacing: `[]` when empty, else the files an earlier
 * Graft export wrote there (its marker's list plus the marker; for an export made before the marker,
 * the export's file names when the exports table has a row for `recordedAs`, by default `target`;
 * a folder set aside while being replaced is recorded under the name it had). Throws
 * EXPORT_DESTINATION_REFUSED, naming up to three, when the folder holds anything else.
 */
export function replaceableFiles(ctx: ServiceContext, target: string, recordedAs: string = target): string[] {
  const entries = fs.readdirSync(target);
  if (entries.length === 0) return [];
  let written: string[] | null = null;
  try {
    const marker = JSON.parse(fs.readFileSync(path.join(target, EXPORT_MARKER), 'utf8')) as { files?: unknown };
    if (Array.isArray(marker.files) && marker.files.every((f) => typeof f === 'string' && path.basename(f) === f)) {
      written = [...(marker.files as string[]), EXPORT_MARKER];
    }
  } catch {
    const known = ctx.db.prepare('SELECT 1 FROM exports WHERE path = ?').get(recordedAs) !== undefined;
    if (known) written = entries.filter((e) => LEGACY_EXPORT_FILE.test(e));
  }
  const foreign = entries.filter((e) => !written?.includes(e));
  if (written === null || foreign.length > 0) {
    const named = (written === null ? entries : foreign).slice(0, 3).join(', ');
    throw new GraftError(
      'EXPORT_DESTINATION_REFUSED',
      written === null
        ? `${target} is not empty and is not an earlier Graft export (it holds ${named}); Graft replaces only its own exports. Choose another folder name.`
        : `${target} holds files Graft did not write (${named}); Graft replaces only its own export. Move them out or choose another folder name.`,
    );
  }
  return entries;
}

/** Writes the marker listing `files` (names in `dir`) so a later export can recognise and replace them. */
export function writeExportMarker(dir: string, files: string[], graftVersion: string): void {
  fs.writeFileSync(path.join(dir, EXPORT_MARKER), `${JSON.stringify({ graft: graftVersion, files }, null, 2)}\n`);
}

/**
 * Removes `files` from `dir`, then `dir` itself only if that left it empty: never recursive, so a
 * file that appeared meanwhile stays where it is (with the folder).
 */
export function removeExportFiles(dir: string, files: string[]): void {
  for (const name of files) fs.rmSync(path.join(dir, name), { force: true });
  try {
    fs.rmdirSync(dir);
  } catch {
    // Something Graft did not write is in it: kept.
  }
}
