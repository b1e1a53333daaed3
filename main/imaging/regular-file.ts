// The one way Graft opens a photo: regular files only, never blocking, never unbounded.
// A photo-named link to /dev/zero would otherwise be read until memory runs out, and one to a
// FIFO would park a libuv pool thread for ever (four such reads stop all file I/O in the process).
import type { Stats } from 'node:fs';
import fs from 'node:fs';
import { fileSystemError, PhotoError } from './photo-error';

/**
 * Largest file read as a photo: 1 GiB. The largest photo accepted is MAX_PIXELS (200 MP); even
 * stored uncompressed as 8-bit RGBA TIFF that is 800 MB, and any compressed photo of that size
 * is far smaller, so only absurd files are refused. A read never allocates more than this.
 */
export const MAX_PHOTO_FILE_BYTES = 1024 ** 3;

/** Bytes per read call: a huge photo shares libuv's pool with other file I/O between chunks. */
const READ_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * Read-only and non-blocking where the platform has O_NONBLOCK (POSIX): opening a FIFO then
 * returns at once instead of waiting for a writer. Windows has no FIFOs in folders and no flag.
 */
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

/** What a non-regular, non-folder entry is, in words: "a named pipe (FIFO)", "a device", "a socket". */
function describeSpecialFile(stats: Pick<Stats, 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice'>) {
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** The refusal for something that is not a regular file; `viaLink` when a symbolic link led there. */
export function notRegularFileError(stats: Stats, viaLink: boolean): PhotoError {
  if (stats.isDirectory()) return new PhotoError('IS_FOLDER', 'This is a folder, not a photo.');
  const what = describeSpecialFile(stats);
  return new PhotoError(
    'NOT_REGULAR_FILE',
    `${viaLink ? 'This link leads to' : 'This is'} ${what}, not a regular file: Graft reads only regular files.`,
  );
}

/**
 * A failed stat/open of `absPath` as a PhotoError. ENOENT on a path that is itself a symbolic
 * link means the link is dangling, not that the file disappeared.
 */
async function openError(err: unknown, absPath: string): Promise<PhotoError> {
  const code = (err as { code?: string }).code;
  if (code === 'ENOENT') {
    const self = await fs.promises.lstat(absPath).catch(() => null);
    if (self?.isSymbolicLink()) {
      return new PhotoError('DANGLING_LINK', 'This symbolic link points to something that does not exist.');
    }
  }
  return fileSystemError(err);
}

function checkRegular(stats: Stats, viaLink: boolean, maxBytes: number): void {
  if (!stats.isFile()) throw notRegularFileError(stats, viaLink);
  if (stats.size > maxBytes) {
    throw new PhotoError(
      'FILE_TOO_BIG',
      `The file is ${(stats.size / 1024 ** 2).toFixed(0)} MB, more than the ${maxBytes / 1024 ** 2} MB Graft reads as one photo.`,
    );
  }
}

/**
 * Reads a whole regular file. Refuses, with a PhotoError and before reading a byte, anything
 * that is not a regular file directly or through links (FIFO, device, socket, folder), link
 * loops, dangling links and files above `maxBytes`.
 *
 * The target is stat-ed before opening (opening some devices has effects of its own), opened
 * read-only and non-blocking, then fstat-ed through the handle so a swap between the two checks
 * is caught too. Reads at most the size fstat reported.
 *
 * @returns the bytes and the modification time in ms since the epoch (fractional, as fs gives it).
 */
export async function readRegularFile(
  absPath: string,
  maxBytes: number = MAX_PHOTO_FILE_BYTES,
): Promise<{ buffer: Buffer; mtimeMs: number }> {
  let viaLink = false;
  try {
    const before = await fs.promises.stat(absPath);
    viaLink = (await fs.promises.lstat(absPath)).isSymbolicLink();
    checkRegular(before, viaLink, maxBytes);
  } catch (err) {
    throw err instanceof PhotoError ? err : await openError(err, absPath);
  }
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(absPath, OPEN_FLAGS);
  } catch (err) {
    throw await openError(err, absPath);
  }
  try {
    const stats = await handle.stat();
    checkRegular(stats, viaLink, maxBytes);
    const buffer = Buffer.allocUnsafe(stats.size);
    let filled = 0;
    while (filled < stats.size) {
      const { bytesRead } = await handle.read(buffer, filled, Math.min(READ_CHUNK_BYTES, stats.size - filled), filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { buffer: buffer.subarray(0, filled), mtimeMs: stats.mtimeMs };
  } catch (err) {
    throw err instanceof PhotoError ? err : fileSystemError(err);
  } finally {
    await handle.close();
  }
}
