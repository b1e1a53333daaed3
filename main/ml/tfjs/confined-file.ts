// Reading a file that a model folder names (model.json, its weight shards) without trusting the
// folder: the name may hide a symbolic link to a system file, a linked sub-folder, a device or
// a FIFO. Each read resolves every link first, refuses anything whose real path leaves the
// folder's real path, opens without following a final link and without blocking, and checks
// with fstat on the open descriptor that it is a regular file before reading a byte.
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * The largest single model file read: 2 GiB. The biggest image backbones people convert to
 * TF.js (EfficientNet-B7, ViT-L) ship a few hundred MB of shards; 2 GiB is also near the
 * largest Buffer Node allocates in one piece on every platform it supports.
 */
export const MAX_MODEL_FILE_BYTES = 2 ** 31 - 1;

export type ModelFileRefusal = 'OUTSIDE_FOLDER' | 'NOT_A_REGULAR_FILE' | 'LINK_LOOP' | 'MISSING' | 'TOO_LARGE';

/** A model file Graft will not read; `file` is the name as the folder gave it. */
export class ModelFileRefused extends Error {
  constructor(
    readonly reason: ModelFileRefusal,
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'ModelFileRefused';
  }
}

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * The bytes of `relPath` inside `folder`.
 * @param folder the folder the person chose (links in its own path are fine: it is resolved first)
 * @param relPath the name the model gives, relative to `folder`
 * @throws ModelFileRefused when the real path leaves the folder, is not a regular file (device,
 *   FIFO, socket, folder), is a link loop, is missing or is larger than `maxBytes`
 *   (default MAX_MODEL_FILE_BYTES; a caller reading several files passes what is left of its budget)
 */
export async function readFileInside(
  folder: string,
  relPath: string,
  maxBytes = MAX_MODEL_FILE_BYTES,
): Promise<Uint8Array> {
  const root = await fs.realpath(folder).catch(() => {
    throw new ModelFileRefused('MISSING', relPath, `The model folder ${folder} does not exist.`);
  });
  const named = path.resolve(root, relPath);
  if (!isInside(root, named)) {
    throw new ModelFileRefused('OUTSIDE_FOLDER', relPath, `${relPath} points outside the model folder ${root}.`);
  }
  let real: string;
  try {
    real = await fs.realpath(named);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP')
      throw new ModelFileRefused('LINK_LOOP', relPath, `${relPath} in ${root} is a loop of symbolic links.`);
    throw new ModelFileRefused('MISSING', relPath, `${relPath} is missing from ${root}.`);
  }
  if (!isInside(root, real)) {
    throw new ModelFileRefused(
      'OUTSIDE_FOLDER',
      relPath,
      `${relPath} is a link to ${real}, outside the model folder ${root}; copy the file into the folder instead.`,
    );
  }
  // O_NOFOLLOW: the resolved name cannot be swapped for a link between realpath and open.
  // O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer.
  const handle = await fs
    .open(real, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0))
    .catch((err: NodeJS.ErrnoException) => {
      throw new ModelFileRefused('MISSING', relPath, `${relPath} in ${root} cannot be opened (${err.code}).`);
    });
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      throw new ModelFileRefused(
        'NOT_A_REGULAR_FILE',
        relPath,
        `${relPath} in ${root} is not a regular file (a folder, device, FIFO or socket).`,
      );
    }
    if (stat.size > maxBytes) {
      throw new ModelFileRefused(
        'TOO_LARGE',
        relPath,
        `${relPath} in ${root} would take the model past ${(maxBytes / 2 ** 20).toFixed(0)} MiB; a model may hold at most 2 GiB.`,
      );
    }
    const bytes = new Uint8Array(stat.size);
    let at = 0;
    while (at < bytes.length) {
      const { bytesRead } = await handle.read(bytes, at, bytes.length - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return at === bytes.length ? bytes : bytes.subarray(0, at);
  } finally {
    await handle.close();
  }
}
