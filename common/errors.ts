// Errors that cross the contract carry a stable code and a message a person can act on.

export const ERROR_CODES = [
  'BAD_REQUEST',
  'NOT_FOUND',
  'UNKNOWN_CALL',
  'UNAUTHORISED',
  'FORBIDDEN',
  'TOO_LARGE',
  'CONFLICT',
  'NAME_TAKEN',
  'PROJECT_NOT_FOUND',
  'FOLDER_NOT_FOUND',
  'FOLDER_MISSING',
  'FOLDER_UNREADABLE',
  'IMAGE_NOT_FOUND',
  'IMAGE_UNREADABLE',
  'CLASS_NOT_FOUND',
  'JOB_RUNNING',
  'TOO_FEW_PHOTOS',
  'DISK_FULL',
  'SCHEMA_TOO_NEW',
  'PICKER_EXPIRED',
  'MODEL_FILE_REFUSED',
  'MODEL_INPUT_TOO_LARGE',
  'EXPORT_DESTINATION_REFUSED',
  'BODY_TIMEOUT',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorPayload {
  code: ErrorCode;
  message: string;
}

export class GraftError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'GraftError';
    this.code = code;
  }

  toPayload(): ErrorPayload {
    return { code: this.code, message: this.message };
  }
}

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ErrorPayload };

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Rebuilds a GraftError from a transport envelope's error part. */
export function errorFromPayload(payload: unknown): GraftError {
  const p = payload as Partial<ErrorPayload> | null;
  const code = isErrorCode(p?.code) ? p.code : 'INTERNAL';
  return new GraftError(code, typeof p?.message === 'string' ? p.message : 'Unknown error');
}

/** What every disk-full failure says, whichever layer met it. */
export const DISK_FULL_MESSAGE = 'The disk is full: nothing was changed. Free some space and try again.';

/**
 * Whether a failure means the disk (or the user's quota) has no room: Node's ENOSPC and EDQUOT,
 * better-sqlite3's SQLITE_FULL, and the GraftError code DISK_FULL. Such a failure is never the
 * fault of the photo or model being processed.
 */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL' || code === 'DISK_FULL';
}

/** Any thrown value as the payload the transports send; unexpected errors say so plainly. */
export function toErrorPayload(err: unknown): ErrorPayload {
  if (err instanceof GraftError) return err.toPayload();
  if (isDiskFull(err)) return { code: 'DISK_FULL', message: DISK_FULL_MESSAGE };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message: `Unexpected error: ${message}` };
}
