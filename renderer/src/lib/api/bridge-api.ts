import type { CallArgs, CallName, CallResult, GraftApi } from '../../../../common/contract';
import type { Envelope } from '../../../../common/errors';
import { type GraftBridge, MEDIA_SCHEME } from '../../../../common/transport';
import { unwrapEnvelope } from './envelope';
import { EventHub } from './event-hub';

/** The contract over Electron's preload bridge. */
export function createBridgeApi(bridge: GraftBridge): GraftApi {
  let subscribed = false;
  const hub = new EventHub(() => {
    if (subscribed) return;
    subscribed = true;
    bridge.subscribe((event, payload) => hub.dispatch(event, payload));
  });

  return {
    async call<N extends CallName>(name: N, args: CallArgs<N>): Promise<CallResult<N>> {
      const envelope = await bridge.call(name, args);
      return unwrapEnvelope(envelope as Envelope<CallResult<N>>);
    },
    on: (event, listener) => hub.on(event, listener),
    mediaUrl: (imageId, size) => `${MEDIA_SCHEME}://image/${imageId}/${size}`,
  };
}
