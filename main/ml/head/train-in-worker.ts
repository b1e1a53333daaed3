// Runs trainHead on a worker thread so the calling thread never blocks; cancelling
// terminates the thread outright.
import { runWorker } from '../../workers/run-worker';
import type { HeadConfig } from './head-config';
import type { HeadDataset } from './head-dataset';
import { HeadTrainingError } from './head-errors';
import { type HeadWorkerMessage, type StartHeadTraining, transferableBuffers } from './head-worker-protocol';
import type { TrainHeadOptions, TrainHeadResult } from './train-head';

/**
 * trainHead in a worker thread. The embedding matrices' buffers are transferred, not copied:
 * afterwards the caller's `x` arrays are empty (labels are copied and stay usable).
 */
export function trainHeadInWorker(
  data: HeadDataset,
  config: Partial<HeadConfig> = {},
  { onEpoch, signal }: TrainHeadOptions = {},
): Promise<TrainHeadResult> {
  const start: StartHeadTraining = { type: 'start', data, config };
  return runWorker<HeadWorkerMessage, TrainHeadResult>({
    entry: 'head-trainer-worker',
    start,
    transfer: transferableBuffers([data.train.x, data.val.x, data.val.xFlip]),
    signal,
    onMessage: (message) => {
      if (message.type === 'epoch') onEpoch?.(message.metrics);
      else if (message.type === 'done') return { result: message.result };
      else return { error: new HeadTrainingError(message.code, message.message) };
      return undefined;
    },
    cancelled,
    failed: (why) => new HeadTrainingError('TRAINING_FAILED', `Training failed: ${why}.`),
  });
}

function cancelled(): HeadTrainingError {
  return new HeadTrainingError('CANCELLED', 'Training was cancelled.');
}
