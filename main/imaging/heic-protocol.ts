// Messages between the import/ML threads and the HEIC decoding thread (workers/heic-worker.ts).

/** `size`: the primary picture's width and height only; `decode`: its RGBA pixels too. */
export interface HeicRequest {
  id: number;
  op: 'size' | 'decode';
  buffer: Uint8Array;
}

export type HeicReply =
  | { id: number; ok: true; width: number; height: number; data?: Uint8ClampedArray }
  | { id: number; ok: false; message: string };
