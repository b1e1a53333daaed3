// Messages between trainHeadInWorker and the head-trainer worker thread.
import type { HeadConfig } from './head-config';
import type { HeadDataset } from './head-dataset';
import type { HeadTrainingErrorCode } from './head-errors';
import type { HeadEpochMetrics, TrainHeadResult } from './train-head';

export interface StartHeadTraining {
  type: 'start';
  data: HeadDataset;
  config: Partial<HeadConfig>;
}

export type HeadWorkerMessage =
  | { type: 'epoch'; metrics: HeadEpochMetrics }
  | { type: 'done'; result: TrainHeadResult }
  | { type: 'error'; code: HeadTrainingErrorCode; message: string };

/**
 * Buffers that can move to the other thread instead of being copied: only those a view
 * spans entirely, since transferring detaches every other view of the same buffer.
 */
export function transferableBuffers(views: (ArrayBufferView | undefined)[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const view of views) {
    if (
      view &&
      view.buffer instanceof ArrayBuffer &&
      view.byteOffset === 0 &&
      view.byteLength === view.buffer.byteLength
    ) {
      buffers.add(view.buffer);
    }
  }
  return [...buffers];
}
