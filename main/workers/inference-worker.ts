// Worker-thread entry that owns one onnxruntime session: session.run holds the JavaScript
// thread for the whole forward pass, so it must not run on the thread that serves the UI.

import { parentPort, workerData } from 'node:worker_threads';
import type { InferenceReply, InferenceRequest, InferenceWorkerData } from '../ml/embedding/inference-protocol';
import * as ort from '../ml/onnxruntime';

const port = parentPort;
if (!port) throw new Error('inference-worker must run in a worker thread');
const { model, options } = workerData as InferenceWorkerData;

const ready = ort.InferenceSession.create(model as string, options);

ready.then(
  (session) =>
    port.postMessage({
      type: 'ready',
      inputNames: session.inputNames,
      outputNames: session.outputNames,
    } satisfies InferenceReply),
  (err: Error) => port.postMessage({ type: 'failed', message: err.message } satisfies InferenceReply),
);

port.on('message', async (request: InferenceRequest) => {
  const session = await ready;
  try {
    const feeds = Object.fromEntries(
      Object.entries(request.feeds).map(([name, t]) => [name, new ort.Tensor(t.type, t.data, t.dims)]),
    );
    const result = request.fetches ? await session.run(feeds, request.fetches) : await session.run(feeds);
    const outputs: InferenceReply & { type: 'result' } = { type: 'result', id: request.id, outputs: {} };
    const transfer: ArrayBuffer[] = [];
    for (const [name, tensor] of Object.entries(result)) {
      const data = (tensor.data as Float32Array).slice();
      outputs.outputs[name] = { type: tensor.type as 'float32', data, dims: [...tensor.dims] };
      transfer.push(data.buffer);
      tensor.dispose();
    }
    port.postMessage(outputs, transfer);
  } catch (err) {
    port.postMessage({ type: 'error', id: request.id, message: (err as Error).message } satisfies InferenceReply);
  }
});
