import type http from 'node:http';
import type { CallName } from '../../common/contract';
import { GraftError } from '../../common/errors';

/** Largest JSON body of an ordinary call: ids, names and settings fit many times over. */
export const MAX_CALL_BODY_BYTES = 1024 * 1024;

/**
 * Calls that carry uploads get a larger, explicit cap. predict:photos sends dropped photos as
 * base64: the renderer batches ~8 MiB of text a call, and one photo of up to the schema's
 * MAX_PHOTO_BASE64_CHARS (40 Mi characters) travels alone; 48 MiB covers it with the JSON around it.
 */
export const UPLOAD_BODY_BYTES: Partial<Record<CallName, number>> = {
  'predict:photos': 48 * 1024 * 1024,
};

/** How many bodies above MAX_CALL_BODY_BYTES are read at once; more wait their turn unread. */
export const MAX_LARGE_BODIES_AT_ONCE = 2;

/** The body cap of call `name` in bytes. */
export function bodyLimitFor(name: string): number {
  return Object.hasOwn(UPLOAD_BODY_BYTES, name) ? (UPLOAD_BODY_BYTES[name as CallName] as number) : MAX_CALL_BODY_BYTES;
}

function tooLarge(limit: number): GraftError {
  return new GraftError(
    'TOO_LARGE',
    `The request is larger than the ${Math.round(limit / 1024 / 1024)} MiB this call accepts.`,
  );
}

/** A counting semaphore: `run` waits for one of `slots` before calling `task`. */
export class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(slots: number) {
    this.free = slots;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

async function readCapped(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * The JSON body of a call, read within `limit` bytes: refused from `Content-Length` before a byte
 * is read where the client declares it, else while streaming (GraftError TOO_LARGE, HTTP 413).
 * Bodies allowed above MAX_CALL_BODY_BYTES are read through `largeSlots`, so at most a few of them
 * sit in memory together. An empty body is `{}`; unparseable text is BAD_REQUEST.
 */
export async function readJsonBody(req: http.IncomingMessage, limit: number, largeSlots: Slots): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const bytes =
    limit > MAX_CALL_BODY_BYTES ? await largeSlots.run(() => readCapped(req, limit)) : await readCapped(req, limit);
  const text = bytes.toString('utf8');
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new GraftError('BAD_REQUEST', 'The request body is not valid JSON.');
  }
}
