import type { ErrorCode } from '../../common/errors';

const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  UNAUTHORISED: 401,
  FORBIDDEN: 403,
  TOO_LARGE: 413,
  BODY_TIMEOUT: 408,
  UNKNOWN_CALL: 404,
  NOT_FOUND: 404,
  PROJECT_NOT_FOUND: 404,
  FOLDER_NOT_FOUND: 404,
  IMAGE_NOT_FOUND: 404,
  CLASS_NOT_FOUND: 404,
  CONFLICT: 409,
  NAME_TAKEN: 409,
  JOB_RUNNING: 409,
  PICKER_EXPIRED: 410,
  DISK_FULL: 507,
  INTERNAL: 500,
};

export function httpStatusFor(code: ErrorCode): number {
  return STATUS[code] ?? 422;
}
