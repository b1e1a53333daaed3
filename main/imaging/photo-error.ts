// Why a photo could not be read or decoded, as a stable code and a sentence a person can act on.

export type PhotoErrorCode =
  | 'EMPTY_FILE'
  | 'NOT_AN_IMAGE'
  | 'UNSUPPORTED_FORMAT'
  | 'CORRUPT_IMAGE'
  | 'TOO_LARGE'
  | 'PERMISSION_DENIED'
  | 'VANISHED'
  | 'READ_FAILED'
  /** A FIFO, device or socket, directly or through links: never opened for reading. */
  | 'NOT_REGULAR_FILE'
  /** A symbolic link that leads back to itself (ELOOP). */
  | 'LINK_LOOP'
  /** A symbolic link whose target does not exist. */
  | 'DANGLING_LINK'
  /** A folder where a photo was expected (e.g. a folder named `x.jpg`). */
  | 'IS_FOLDER'
  /** A regular file larger than MAX_PHOTO_FILE_BYTES. */
  | 'FILE_TOO_BIG'
  /** A HEIC/HEIF photo that the bundled libheif could not decode. */
  | 'HEIC_NEEDS_CONVERTING';

export class PhotoError extends Error {
  constructor(
    readonly code: PhotoErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A Node file-system error (`err.code` such as ENOENT, EACCES, ELOOP) as a PhotoError. */
export function fileSystemError(err: unknown): PhotoError {
  const code = (err as { code?: string }).code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new PhotoError('PERMISSION_DENIED', 'Permission denied: Graft may not read this file.');
  }
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new PhotoError('VANISHED', 'The file disappeared while it was being read.');
  }
  if (code === 'ELOOP') {
    return new PhotoError('LINK_LOOP', 'This symbolic link loops back on itself, so it leads to no file.');
  }
  if (code === 'EISDIR') return new PhotoError('IS_FOLDER', 'This is a folder, not a photo.');
  return new PhotoError('READ_FAILED', `The file could not be read (${code ?? 'unknown error'}).`);
}
