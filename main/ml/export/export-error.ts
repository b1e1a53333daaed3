// Why an export could not be written. Codes are stable so the app can show its own text.

export type ExportErrorCode =
  /** The backbone or head cannot be expressed in the requested format. */
  | 'EXPORT_UNSUPPORTED'
  /** The pieces do not fit together (feature sizes, class names, a damaged backbone file). */
  | 'EXPORT_INVALID'
  /** The target folder already holds something; Graft never overwrites a user's files. */
  | 'EXPORT_TARGET_EXISTS';

export class ExportError extends Error {
  constructor(
    readonly code: ExportErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ExportError';
  }
}
