// Worker-thread entry that decodes HEIC with libheif compiled to WebAssembly (heic-decode):
// a 3 MP photo holds the JavaScript thread for about two seconds, so it must not be the thread
// that serves the UI, the host and the import's progress.

import { parentPort } from 'node:worker_threads';
import decodeHeif from 'heic-decode';
import type { HeicReply, HeicRequest } from '../imaging/heic-protocol';

const port = parentPort;
if (!port) throw new Error('heic-worker must run in a worker thread');

type HeifImage = { width: number; height: number };

async function answer(request: HeicRequest): Promise<void> {
  const buffer = request.buffer;
  if (request.op === 'size') {
    const images = (await decodeHeif.all({ buffer })) as unknown as HeifImage[] & { dispose(): void };
    try {
      port!.postMessage({
        id: request.id,
        ok: true,
        width: images[0].width,
        height: images[0].height,
      } satisfies HeicReply);
    } finally {
      images.dispose();
    }
    return;
  }
  const { data, width, height } = await decodeHeif({ buffer });
  port!.postMessage({ id: request.id, ok: true, width, height, data } satisfies HeicReply, [
    data.buffer as ArrayBuffer,
  ]);
}

port.on('message', (request: HeicRequest) => {
  answer(request).catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    port.postMessage({ id: request.id, ok: false, message } satisfies HeicReply);
  });
});
