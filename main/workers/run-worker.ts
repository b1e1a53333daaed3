// One job on its own worker thread: started with one message, answered with progress messages
// and one final message; an aborted signal terminates the thread outright.
import { Worker } from 'node:worker_threads';
import { workerEntry } from './worker-entry';

export interface WorkerJob<Message, Result> {
  /** The worker's entry name under main/workers/ (workerEntry). */
  entry: string;
  start: unknown;
  transfer?: ArrayBuffer[];
  signal?: AbortSignal;
  /** A message from the worker: the job's result, an error to reject with, or undefined for progress. */
  onMessage: (message: Message) => { result: Result } | { error: Error } | undefined;
  cancelled: () => Error;
  /** What to reject with when the thread fails or exits without answering. */
  failed: (message: string) => Error;
}

/** Runs the job; settles only once the thread has stopped, so a cancelled job no longer holds a core. */
export function runWorker<Message, Result>(job: WorkerJob<Message, Result>): Promise<Result> {
  const { signal } = job;
  if (signal?.aborted) return Promise.reject(job.cancelled());
  const { file, execArgv } = workerEntry(job.entry);
  const worker = new Worker(file, { execArgv });
  return new Promise<Result>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate().then(outcome, outcome);
    };
    const onAbort = () => finish(() => reject(job.cancelled()));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (message: Message) => {
      const answer = job.onMessage(message);
      if (answer && 'result' in answer) finish(() => resolve(answer.result));
      else if (answer) finish(() => reject(answer.error));
    });
    worker.on('error', (err) => finish(() => reject(job.failed(err.message))));
    worker.on('exit', (code) =>
      finish(() => reject(job.failed(`the thread stopped unexpectedly (exit code ${code})`))),
    );
    worker.postMessage(job.start, job.transfer ?? []);
  });
}
