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
  'DISK_FULL',
  'SCHEMA_TOO_NEW',
  'PICKER_EXPIRED',
  'BACKBONE_FILE_REFUSED',
  'BACKBONE_INPUT_TOO_LARGE',
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

/** Any thrown value as the payload the transports send; unexpected errors say so plainly. */
export function toErrorPayload(err: unknown): ErrorPayload {
  if (err instanceof GraftError) return err.toPayload();
  const nodeCode = (err as { code?: string } | null)?.code;
  if (nodeCode === 'ENOSPC') {
    return { code: 'DISK_FULL', message: 'The disk is full. Free some space and try again.' };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message: `Unexpected error: ${message}` };
}
