// Runs trainHead on a worker thread so the calling thread never blocks; cancelling
// terminates the thread outright.
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../../workers/worker-entry';
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
  if (signal?.aborted) return Promise.reject(cancelled());
  const { file, execArgv } = workerEntry('head-trainer-worker');
  const worker = new Worker(file, { execArgv });
  return new Promise<TrainHeadResult>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      // Settles once the thread has really stopped, so a cancelled run no longer holds a core.
      void worker.terminate().then(outcome, outcome);
    };
    const onAbort = () => finish(() => reject(cancelled()));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (message: HeadWorkerMessage) => {
      if (message.type === 'epoch') onEpoch?.(message.metrics);
      else if (message.type === 'done') finish(() => resolve(message.result));
      else finish(() => reject(new HeadTrainingError(message.code, message.message)));
    });
    worker.on('error', (err) =>
      finish(() => reject(new HeadTrainingError('TRAINING_FAILED', `Training failed: ${err.message}`))),
    );
    worker.on('exit', (code) =>
      finish(() =>
        reject(
          new HeadTrainingError('TRAINING_FAILED', `The training thread stopped unexpectedly (exit code ${code}).`),
        ),
      ),
    );
    const start: StartHeadTraining = { type: 'start', data, config };
    worker.postMessage(start, transferableBuffers([data.train.x, data.val.x, data.val.xFlip]));
  });
}

function cancelled(): HeadTrainingError {
  return new HeadTrainingError('CANCELLED', 'Training was cancelled.');
}
