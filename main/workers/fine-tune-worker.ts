// Worker-thread entry that runs one fine-tuning run (both stages) and reports back over parentPort.
import { parentPort } from 'node:worker_threads';
import { readRegularFile } from '../imaging/regular-file';
import { FineTuneError } from '../ml/finetune/finetune-error';
import type { FineTuneWorkerMessage, StartFineTune } from '../services/fine-tune-in-worker';
import { fineTune } from '../services/fine-tuning';

const port = parentPort;
if (!port) throw new Error('fine-tune-worker must run in a worker thread');

const post = (message: FineTuneWorkerMessage) => port.postMessage(message);

port.once('message', async (start: StartFineTune) => {
  try {
    const photos = start.photos.map(({ path, ...photo }) => ({
      ...photo,
      read: async () => (await readRegularFile(path)).buffer,
    }));
    const outcome = await fineTune(start.backbone, photos, start.classCount, start.config, start.headConfig, {
      cacheDir: start.cacheDir,
      modelKey: start.modelKey,
      onProgress: (progress) => post({ type: 'progress', progress }),
      onEpoch: (stage, metrics) => post({ type: 'epoch', stage, metrics }),
    });
    post({ type: 'done', outcome });
  } catch (err) {
    post({
      type: 'error',
      code: err instanceof FineTuneError ? err.code : null,
      message: err instanceof Error ? err.message : String(err),
    });
  }
});
