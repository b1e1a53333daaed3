// HEIC/HEIF photos with HEVC pictures (the iPhone default). sharp's prebuilt libvips reads HEIF
// only with AV1 pictures (AVIF), so HEVC ones are decoded by heic-decode: libheif with libde265
// compiled to WebAssembly (libheif-js, LGPL-3.0, loaded unmodified from node_modules), on a
// worker thread (workers/heic-worker.ts) because the decode holds its JavaScript thread.
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../workers/worker-entry';
import type { HeicReply, HeicRequest } from './heic-protocol';
import { PhotoError } from './photo-error';

/** ISOBMFF brands that announce HEVC-coded pictures (ISO/IEC 23008-12 annex B). */
const HEVC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs']);

/**
 * Whether the bytes are a HEIF file holding HEVC pictures: an `ftyp` box first whose major or
 * compatible brands include an HEVC brand. AVIF (brands avif/avis) is not, and goes to sharp.
 */
export function isHevcHeif(buffer: Buffer): boolean {
  if (buffer.length < 16 || buffer.toString('latin1', 4, 8) !== 'ftyp') return false;
  const boxEnd = Math.min(buffer.readUInt32BE(0), buffer.length);
  if (HEVC_BRANDS.has(buffer.toString('latin1', 8, 12))) return true;
  for (let at = 16; at + 4 <= boxEnd; at += 4) {
    if (HEVC_BRANDS.has(buffer.toString('latin1', at, at + 4))) return true;
  }
  return false;
}

function needsConverting(err: unknown): PhotoError {
  const detail = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  return new PhotoError(
    'HEIC_NEEDS_CONVERTING',
    `Graft could not decode this HEIC photo (libheif: ${detail}). Convert it to JPEG or PNG — for example with Photos › Export, Preview › Export or heif-convert — and add the converted file.`,
  );
}

/** One decoding thread for the process, started on first use; it does not keep the process alive. */
class HeicThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(reply: HeicReply): void; reject(err: Error): void }>();

  run(op: HeicRequest['op'], buffer: Buffer): Promise<HeicReply> {
    const worker = this.started();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, op, buffer } satisfies HeicRequest);
    });
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const { file, execArgv } = workerEntry('heic-worker');
    const worker = new Worker(file, { execArgv });
    worker.unref();
    worker.on('message', (reply: HeicReply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      waiting?.resolve(reply);
    });
    const fail = (err: Error) => {
      this.worker = null;
      for (const waiting of this.pending.values()) waiting.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', () => fail(new Error('the HEIC decoding thread stopped')));
    this.worker = worker;
    return worker;
  }
}

const thread = new HeicThread();

async function ask(op: HeicRequest['op'], buffer: Buffer) {
  let reply: HeicReply;
  try {
    reply = await thread.run(op, buffer);
  } catch (err) {
    throw needsConverting(err);
  }
  if (!reply.ok) throw needsConverting(new Error(reply.message));
  return reply;
}

/**
 * The primary picture's size, from the container without decoding pixels (libheif reports it
 * with the file's rotation and mirroring applied). Throws PhotoError HEIC_NEEDS_CONVERTING.
 */
export async function heicSize(buffer: Buffer): Promise<{ width: number; height: number }> {
  const { width, height } = await ask('size', buffer);
  return { width, height };
}

/**
 * The primary picture as RGBA bytes (width * height * 4, row-major), already rotated and
 * mirrored as the file says (HEIF's irot/imir; its EXIF orientation must not be applied again).
 * Decoded on a worker thread. Throws PhotoError HEIC_NEEDS_CONVERTING.
 */
export async function decodeHeic(buffer: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, width, height } = await ask('decode', buffer);
  if (!data || data.length !== width * height * 4) {
    throw needsConverting(new Error(`decoding gave ${data?.length ?? 0} bytes for ${width}×${height}`));
  }
  return { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), width, height };
}
