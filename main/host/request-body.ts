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

/**
 * How many bodies of any size are read at once (16 MiB of ordinary calls at most); more wait
 * their turn unread, so a thousand parallel 1 MiB bodies never sit in memory together.
 */
export const MAX_BODIES_AT_ONCE = 16;

/**
 * Longest a body may take to arrive once its reading starts: a 48 MiB upload needs ~1.6 MB/s,
 * far below any local connection, and a trickling client frees its slot (HTTP 408).
 */
export const BODY_TIME_LIMIT_MS = 30_000;

/** The slots bodies are read through: `all` for every body, `large` also for those above MAX_CALL_BODY_BYTES. */
export interface BodySlots {
  all: Slots;
  large: Slots;
}

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

/** The body, refused once past `limit` bytes (TOO_LARGE) or `timeMs` (BODY_TIMEOUT); reading stops at once. */
function readCapped(req: http.IncomingMessage, limit: number, timeMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err: Error | null) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (err) {
        req.pause();
        reject(err);
      } else resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) done(tooLarge(limit));
      else chunks.push(chunk);
    };
    const onEnd = () => done(null);
    const onError = (err: Error) => done(err);
    const timer = setTimeout(
      () =>
        done(
          new GraftError(
            'BODY_TIMEOUT',
            `The request body did not arrive within ${Math.round(timeMs / 1000)} s; send it again.`,
          ),
        ),
      timeMs,
    );
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/**
 * The JSON body of a call, read within `limit` bytes: refused from `Content-Length` before a byte
 * is read where the client declares it, else while streaming (GraftError TOO_LARGE, HTTP 413).
 * Every body is read through `slots.all` and those allowed above MAX_CALL_BODY_BYTES also through
 * `slots.large`, so only a few sit in memory together; each must arrive within `timeMs` of its
 * reading starting (default BODY_TIME_LIMIT_MS; BODY_TIMEOUT, HTTP 408). An empty body is `{}`;
 * unparseable text is BAD_REQUEST.
 */
export async function readJsonBody(
  req: http.IncomingMessage,
  limit: number,
  slots: BodySlots,
  timeMs = BODY_TIME_LIMIT_MS,
): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const read = () => slots.all.run(() => readCapped(req, limit, timeMs));
  const bytes = limit > MAX_CALL_BODY_BYTES ? await slots.large.run(read) : await read();
  const text = bytes.toString('utf8');
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new GraftError('BAD_REQUEST', 'The request body is not valid JSON.');
  }
}
