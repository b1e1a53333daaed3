// Runs a fine-tuning run's numerical work (fineTune) on a worker thread, so stage 2's training
// steps (about 1–2 s each on wasm) never hold the app's thread; cancelling terminates the thread
// outright, which ends even a step in progress at once.
import type { TrainConfig } from '../../common/training';
import { FineTuneError, type FineTuneErrorCode } from '../ml/finetune/finetune-error';
import type { TopEpochMetrics } from '../ml/finetune/train-top';
import type { HeadConfig } from '../ml/head/head-config';
import type { HeadEpochMetrics } from '../ml/head/train-head';
import { runWorker } from '../workers/run-worker';
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
  return runWorker<FineTuneWorkerMessage, FineTuneOutcome>({
    entry: 'fine-tune-worker',
    start,
    signal: options.signal,
    onMessage: (message) => {
      if (message.type === 'progress') options.onProgress?.(message.progress);
      else if (message.type === 'epoch') options.onEpoch?.(message.stage, message.metrics);
      else if (message.type === 'done') return { result: message.outcome };
      else
        return { error: message.code ? new FineTuneError(message.code, message.message) : new Error(message.message) };
      return undefined;
    },
    cancelled,
    failed: (why) => new Error(`Fine-tuning failed: ${why}.`),
  });
}

function cancelled(): FineTuneError {
  return new FineTuneError('CANCELLED', 'Fine-tuning was cancelled.');
}
