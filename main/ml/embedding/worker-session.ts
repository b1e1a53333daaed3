import { Worker } from 'node:worker_threads';
import type * as ort from 'onnxruntime-node';
// The worker's runtime reads the process environment, which only this (main) thread can set.
import '../onnxruntime-telemetry';
import { workerEntry } from '../../workers/worker-entry';
import type { InferenceReply, InferenceWorkerData, PlainTensor } from './inference-protocol';

/** What callers read from an output: the values and their shape. */
export interface OutputTensor extends PlainTensor {
  dispose(): void;
}

/**
 * An onnxruntime session living on its own worker thread, with the part of the
 * InferenceSession interface Graft uses. Inputs are copied across; outputs are transferred.
 */
export class WorkerInferenceSession {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve(o: Record<string, OutputTensor>): void; reject(e: Error): void }
  >();

  private constructor(
    private readonly worker: Worker,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
  ) {
    worker.on('message', (reply: InferenceReply) => {
      if (reply.type !== 'result' && reply.type !== 'error') return;
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.type === 'error') waiting?.reject(new Error(reply.message));
      else {
        const outputs: Record<string, OutputTensor> = {};
        for (const [name, t] of Object.entries(reply.outputs)) outputs[name] = { ...t, dispose: () => {} };
        waiting?.resolve(outputs);
      }
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', () => this.failAll(new Error('The inference thread stopped.')));
  }

  static create(
    model: string | Uint8Array,
    options: ort.InferenceSession.SessionOptions,
  ): Promise<WorkerInferenceSession> {
    const { file, execArgv } = workerEntry('inference-worker');
    const worker = new Worker(file, { execArgv, workerData: { model, options } satisfies InferenceWorkerData });
    return new Promise((resolve, reject) => {
      const onMessage = (reply: InferenceReply) => {
        if (reply.type === 'ready') {
          worker.off('message', onMessage);
          resolve(new WorkerInferenceSession(worker, reply.inputNames, reply.outputNames));
        } else if (reply.type === 'failed') {
          void worker.terminate();
          reject(new Error(reply.message));
        }
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  }

  run(feeds: Record<string, ort.Tensor>, fetches?: readonly string[]): Promise<Record<string, OutputTensor>> {
    const id = this.nextId++;
    const plain: Record<string, PlainTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const [name, tensor] of Object.entries(feeds)) {
      const data = (tensor.data as Float32Array).slice();
      plain[name] = { type: 'float32', data, dims: [...tensor.dims] };
      transfer.push(data.buffer);
    }
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, feeds: plain, fetches: fetches ? [...fetches] : undefined }, transfer);
    });
  }

  async release(): Promise<void> {
    await this.worker.terminate();
  }

  private failAll(err: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(err);
    this.pending.clear();
  }
}
