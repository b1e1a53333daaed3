import type { CallArgs, CallName, CallResult, GraftApi } from '../../../../common/contract';
import { type Envelope, GraftError } from '../../../../common/errors';
import { HOST_API_PREFIX, HOST_EVENTS_PATH, TOKEN_HEADER, TOKEN_QUERY } from '../../../../common/transport';
import { unwrapEnvelope } from './envelope';
import { EventHub } from './event-hub';

export interface HostApiOptions {
  /** The per-run token printed by `graft serve`; null when the page was opened without it. */
  token: string | null;
  fetch?: typeof fetch;
  EventSource?: typeof EventSource;
}

const NO_TOKEN_MESSAGE = 'This page needs the link printed by “graft serve”, which carries its access token.';

/** The contract over the headless host: POST /api/<call>, one SSE stream, /media/<id>/<size>. */
export function createHostApi(options: HostApiOptions): GraftApi {
  const { token } = options;
  const doFetch = options.fetch ?? fetch.bind(globalThis);
  const EventSourceImpl = options.EventSource ?? globalThis.EventSource;
  const tokenQuery = `${TOKEN_QUERY}=${encodeURIComponent(token ?? '')}`;

  let source: EventSource | null = null;
  const hub = new EventHub((event) => {
    source ??= new EventSourceImpl(`${HOST_EVENTS_PATH}?${tokenQuery}`);
    source.addEventListener(event, (message) => {
      hub.dispatch(event, JSON.parse((message as MessageEvent<string>).data));
    });
  });

  return {
    async call<N extends CallName>(name: N, args: CallArgs<N>): Promise<CallResult<N>> {
      if (!token) throw new GraftError('UNAUTHORISED', NO_TOKEN_MESSAGE);
      let response: Response;
      try {
        response = await doFetch(`${HOST_API_PREFIX}${name}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [TOKEN_HEADER]: token },
          body: JSON.stringify(args),
        });
      } catch {
        throw new GraftError('INTERNAL', 'Cannot reach the Graft host. Is “graft serve” still running?');
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
    mediaUrl: (imageId, size) => `/media/${imageId}/${size}?${tokenQuery}`,
  };
}
