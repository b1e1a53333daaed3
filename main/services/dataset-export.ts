// The labelled set as an ImageFolder tree (`split/class/file`) with CSV and JSON manifests, so a
// team can train the same data with torchvision's ImageFolder or Keras'
// image_dataset_from_directory. Photos are hard-linked where the file system allows, else copied.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { Id } from '../../common/contract';
import { GraftError } from '../../common/errors';
import type { DatasetExportEntry, DatasetExportSummary } from '../../common/health';
import { DEFAULT_HEAD_CONFIG } from '../ml/head/head-config';
import type { ServiceContext } from './context';
import { refuseProtectedDestination } from './export-destination';
import { healthPhotos } from './health/health-photos';
import type { ImageService } from './images';
import { requireProject } from './lookups';
import { neutraliseFormula } from './prediction-csv';
import type { SplitService } from './splits';

/** Names Windows refuses as a file or folder whatever the extension. */
const RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/i;
/** Characters no common file system accepts in a name, and control characters. */
const UNSAFE = /[<>:"/\\|?*\p{Cc}]/gu;
/** Longest name written, in UTF-8 bytes, below the 255-byte limit of ext4, APFS and NTFS. */
const MAX_NAME_BYTES = 200;

/**
 * A file or folder name every common file system accepts: NFC, unsafe characters as `_`, no
 * leading dot (hidden) or trailing dot/space (Windows), not a reserved device name, at most
 * MAX_NAME_BYTES bytes (extension kept). Never empty.
 */
export function safeFileName(name: string): string {
  let safe = name
    .normalize('NFC')
    .replace(UNSAFE, '_')
    .replace(/[. ]+$/, '')
    .replace(/^\.+/, '_');
  if (safe === '' || RESERVED.test(safe)) safe = `_${safe}`;
  const ext = path.extname(safe);
  let stem = safe.slice(0, safe.length - ext.length);
  while (Buffer.byteLength(stem + ext) > MAX_NAME_BYTES) stem = stem.slice(0, -1);
  return stem + ext;
}

/** `name` made unique among `taken` (compared case-insensitively, as on macOS and Windows) by `-2`, `-3`… before the extension. */
function uniqueName(name: string, taken: Set<string>): string {
  const ext = path.extname(name);
  const stem = name.slice(0, name.length - ext.length);
  let candidate = name;
  for (let n = 2; taken.has(candidate.toLowerCase()); n++) candidate = `${stem}-${n}${ext}`;
  taken.add(candidate.toLowerCase());
  return candidate;
}

/** Hard link, else (another device, a file system without links, no permission) a copy. */
async function linkOrCopy(source: string, target: string): Promise<'linked' | 'copied'> {
  try {
    await fs.link(source, target);
    return 'linked';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw err;
    await fs.copyFile(source, target, fs.constants.COPYFILE_EXCL);
    return 'copied';
  }
}

const CSV_COLUMNS: (keyof DatasetExportEntry)[] = ['path', 'contentHash', 'label', 'split', 'origin', 'source'];

/**
 * Writes the project's labelled photos as a training run would use them (conflicted and excluded
 * photos left out; photos without a split first get one, seeded, as training gives them) into
 * `location/folderName`: `train|val|test/<class>/<file>`, plus manifest.csv and manifest.json
 * listing path, content hash, label, split, origin and source path. Built under a temporary name
 * and renamed, so a failed export leaves no half tree. A photo that cannot be read is named in
 * `failed`. Throws CONFLICT when the folder exists, EXPORT_DESTINATION_REFUSED when it is, holds or
 * lies inside the data folder or a project's photo folder, BAD_REQUEST when nothing is labelled.
 */
export async function exportDataset(
  ctx: ServiceContext,
  splits: SplitService,
  images: ImageService,
  projectId: Id,
  location: string,
  folderName: string,
): Promise<DatasetExportSummary> {
  const project = requireProject(ctx.db, projectId);
  const target = path.join(location, safeFileName(folderName));
  refuseProtectedDestination(ctx, target);
  if (await fs.stat(target).catch(() => null)) {
    throw new GraftError('CONFLICT', `${target} already exists. Choose another folder name.`);
  }
  splits.assignMissing(projectId, DEFAULT_HEAD_CONFIG.seed);
  // By source path, so the same project exports to the same names every time.
  const photos = healthPhotos(ctx, splits, projectId).sort((a, b) =>
    a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0,
  );
  if (photos.length === 0) throw new GraftError('BAD_REQUEST', 'No labelled photo to export: label some photos first.');

  // A fresh name created here, so the clean-up below removes only what this export wrote.
  const temporary = `${target}.partial-${randomBytes(4).toString('hex')}`;
  await fs.mkdir(temporary);
  const classDirs = new Map<Id, string>();
  const takenDirs = new Set<string>();
  const takenFiles = new Map<string, Set<string>>();
  const entries: DatasetExportEntry[] = [];
  const summary: DatasetExportSummary = { folder: target, photos: 0, hardLinked: 0, copied: 0, failed: [] };
  try {
    for (const p of photos) {
      if (!classDirs.has(p.classId)) classDirs.set(p.classId, uniqueName(safeFileName(p.className), takenDirs));
      const dir = path.posix.join(p.split, classDirs.get(p.classId)!);
      await fs.mkdir(path.join(temporary, dir), { recursive: true });
      if (!takenFiles.has(dir)) takenFiles.set(dir, new Set());
      const file = uniqueName(safeFileName(path.posix.basename(p.relPath)), takenFiles.get(dir)!);
      const relative = path.posix.join(dir, file);
      try {
        const how = await linkOrCopy(images.absolutePath(p.imageId), path.join(temporary, ...relative.split('/')));
        if (how === 'linked') summary.hardLinked++;
        else summary.copied++;
      } catch (err) {
        summary.failed.push({ relPath: p.relPath, reason: (err as Error).message });
        continue;
      }
      entries.push({
        path: relative,
        contentHash: p.contentHash,
        label: p.className,
        split: p.split,
        origin: p.origin,
        source: p.relPath,
      });
    }
    summary.photos = entries.length;
    // Names come from the person's disk and labels: a cell that would start a spreadsheet formula is
    // neutralised as in the predictions CSV; manifest.json keeps the exact values for scripts.
    const rows = entries.map((e) => CSV_COLUMNS.map((c) => neutraliseFormula(e[c])));
    await fs.writeFile(path.join(temporary, 'manifest.csv'), stringify([CSV_COLUMNS, ...rows]));
    // The class folders in code-point order: the class indices torchvision's ImageFolder and Keras assign.
    const classes = [...classDirs.values()].sort();
    const manifest = {
      project: project.name,
      exportedAt: ctx.now(),
      layout: 'split/class/file',
      classes,
      datasetHash: createHash('sha256')
        .update(entries.map((e) => `${e.contentHash}\t${e.label}\t${e.split}`).join('\n'))
        .digest('hex'),
      photos: entries,
    };
    await fs.writeFile(path.join(temporary, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await fs.rename(temporary, target);
  } catch (err) {
    await fs.rm(temporary, { recursive: true, force: true });
    throw err;
  }
  return summary;
}
