// Runs a fine-tuning run's numerical work (fineTune) on a worker thread, so stage 2's training
// steps (about 1–2 s each on wasm) never hold the app's thread; cancelling terminates the thread
// outright, which ends even a step in progress at once.
import { Worker } from 'node:worker_threads';
import type { TrainConfig } from '../../common/training';
import { FineTuneError, type FineTuneErrorCode } from '../ml/finetune/finetune-error';
import type { TopEpochMetrics } from '../ml/finetune/train-top';
import type { HeadConfig } from '../ml/head/head-config';
import type { HeadEpochMetrics } from '../ml/head/train-head';
import { workerEntry } from '../workers/worker-entry';
import type { FineTuneOptions, FineTuneOutcome, FineTunePhoto, FineTuneProgress } from './fine-tuning';
import type { TrainableBackbone } from './trainable-backbone';

/** A photo as the worker reads it: by its file's absolute path. */
export type WorkerPhoto = Omit<FineTunePhoto, 'read'> & { path: string };

export interface StartFineTune {
  backbone: TrainableBackbone;
  photos: WorkerPhoto[];
  classCount: number;
  config: TrainConfig;
  headConfig: HeadConfig;
  cacheDir: string;
  modelKey: string;
}

export type FineTuneWorkerMessage =
  | { type: 'progress'; progress: FineTuneProgress }
  | { type: 'epoch'; stage: 1 | 2; metrics: HeadEpochMetrics | TopEpochMetrics }
  | { type: 'done'; outcome: FineTuneOutcome }
  | { type: 'error'; code: FineTuneErrorCode | null; message: string };

/**
 * fineTune on a worker thread, photos read there from their paths. Rejects with FineTuneError
 * (its code from the worker; CANCELLED when `signal` aborts) or an Error with the worker's message.
 */
export function fineTuneInWorker(
  start: StartFineTune,
  options: Pick<FineTuneOptions, 'signal' | 'onProgress' | 'onEpoch'> = {},
): Promise<FineTuneOutcome> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(cancelled());
  const { file, execArgv } = workerEntry('fine-tune-worker');
  const worker = new Worker(file, { execArgv });
  return new Promise<FineTuneOutcome>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate().then(outcome, outcome);
    };
    const onAbort = () => finish(() => reject(cancelled()));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (message: FineTuneWorkerMessage) => {
      if (message.type === 'progress') options.onProgress?.(message.progress);
      else if (message.type === 'epoch') options.onEpoch?.(message.stage, message.metrics);
      else if (message.type === 'done') finish(() => resolve(message.outcome));
      else
        finish(() =>
          reject(message.code ? new FineTuneError(message.code, message.message) : new Error(message.message)),
        );
    });
    worker.on('error', (err) => finish(() => reject(new Error(`Fine-tuning failed: ${err.message}`))));
    worker.on('exit', (code) =>
      finish(() => reject(new Error(`The fine-tuning thread stopped unexpectedly (exit code ${code}).`))),
    );
    worker.postMessage(start);
  });
}

function cancelled(): FineTuneError {
  return new FineTuneError('CANCELLED', 'Fine-tuning was cancelled.');
}
