// Worker-thread entry that trains one classification head and reports back over parentPort.
import { parentPort } from 'node:worker_threads';
import { HeadTrainingError } from '../ml/head/head-errors';
import { type HeadWorkerMessage, type StartHeadTraining, transferableBuffers } from '../ml/head/head-worker-protocol';
import { trainHead } from '../ml/head/train-head';

const port = parentPort;
if (!port) throw new Error('head-trainer-worker must run in a worker thread');

const post = (message: HeadWorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

port.once('message', async ({ data, config }: StartHeadTraining) => {
  try {
    const result = await trainHead(data, config, { onEpoch: (metrics) => post({ type: 'epoch', metrics }) });
    post({ type: 'done', result }, transferableBuffers([result.artifacts.weightData, result.valProbabilities]));
  } catch (err) {
    const code = err instanceof HeadTrainingError ? err.code : 'TRAINING_FAILED';
    post({ type: 'error', code, message: err instanceof Error ? err.message : String(err) });
  }
});
