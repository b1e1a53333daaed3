import type { CallArgs, CallName, CallResult, EventName, GraftApi } from '../../../../common/contract';
import { type Envelope, GraftError } from '../../../../common/errors';
import { HOST_API_PREFIX, HOST_EVENTS_PATH, TOKEN_HEADER } from '../../../../common/transport';
import { unwrapEnvelope } from './envelope';
import { EventHub } from './event-hub';
import { openEventStream } from './event-stream';

export interface HostApiOptions {
  /** The per-run token printed by `graft serve`; null when the page was opened without it. */
  token: string | null;
  fetch?: typeof fetch;
  /** First wait before the event stream reconnects (ms). */
  eventRetryMs?: number;
}

const NO_TOKEN_MESSAGE = 'This page needs the link printed by “npm start”, which carries its access token.';

/**
 * The contract over the headless host: POST /api/<call> and one event stream, both with the
 * token in a header; /media/<id>/<size> unlocked by the cookie the host sets on each answered call.
 */
export function createHostApi(options: HostApiOptions): GraftApi {
  const { token } = options;
  const doFetch = options.fetch ?? fetch.bind(globalThis);
  const headers: Record<string, string> = token ? { [TOKEN_HEADER]: token } : {};

  let streaming = false;
  const hub = new EventHub(() => {
    if (streaming || !token) return;
    streaming = true;
    openEventStream({
      url: HOST_EVENTS_PATH,
      headers,
      fetch: doFetch,
      retryMs: options.eventRetryMs,
      onEvent: (event, data) => hub.dispatch(event as EventName, JSON.parse(data)),
    });
  });

  return {
    async call<N extends CallName>(name: N, args: CallArgs<N>): Promise<CallResult<N>> {
      if (!token) throw new GraftError('UNAUTHORISED', NO_TOKEN_MESSAGE);
      let response: Response;
      try {
        response = await doFetch(`${HOST_API_PREFIX}${name}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(args),
        });
      } catch {
        throw new GraftError('INTERNAL', 'Cannot reach the Graft host. Is “npm start” still running?');
      }
      let envelope: Envelope<CallResult<N>>;
      try {
        envelope = await response.json();
      } catch {
        throw new GraftError('INTERNAL', `The Graft host answered ${response.status} without a readable body.`);
      }
      return unwrapEnvelope(envelope);
    },
    on: (event, listener) => hub.on(event, listener),
    mediaUrl: (imageId, size) => `/media/${imageId}/${size}`,
  };
}
