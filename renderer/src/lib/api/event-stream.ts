import { createParser } from 'eventsource-parser';

export interface EventStreamOptions {
  url: string;
  /** Sent with every (re)connection: the host's token header. EventSource cannot send headers. */
  headers: Record<string, string>;
  fetch: typeof fetch;
  onEvent(name: string, data: string): void;
  /** Told when the host refuses the stream (401/403): it is not retried. */
  onRefused?(status: number): void;
  /** First wait before reconnecting after the stream drops, doubled up to 16× on each failure. */
  retryMs?: number;
}

/**
 * A Server-Sent Events stream read over fetch, reconnecting like EventSource when it drops
 * (after retryMs, doubling to 16× while it keeps failing). Returns a function that closes it.
 */
export function openEventStream(options: EventStreamOptions): () => void {
  const baseDelay = options.retryMs ?? 1000;
  const controller = new AbortController();
  let delay = baseDelay;

  const parser = createParser({
    onEvent: (message) => options.onEvent(message.event ?? 'message', message.data),
  });

  async function readOnce(): Promise<'again' | 'stop'> {
    const response = await options.fetch(options.url, { headers: options.headers, signal: controller.signal });
    if (response.status === 401 || response.status === 403) {
      options.onRefused?.(response.status);
      return 'stop';
    }
    if (!response.ok || !response.body) return 'again';
    delay = baseDelay;
    parser.reset();
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return 'again';
      parser.feed(decoder.decode(value, { stream: true }));
    }
  }

  async function run(): Promise<void> {
    while (!controller.signal.aborted) {
      const next = await readOnce().catch(() => 'again' as const);
      if (next === 'stop' || controller.signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, baseDelay * 16);
    }
  }

  void run();
  return () => controller.abort();
}
