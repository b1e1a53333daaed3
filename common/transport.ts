// Wire-level facts both sides of each transport share.

import type { CallName, EventName, Events } from './contract';
import type { Envelope } from './errors';

/**
 * Header that carries the host's per-run token on API calls and the event stream; the host
 * accepts it nowhere else (never in a URL). Media are unlocked by a cookie instead.
 */
export const TOKEN_HEADER = 'x-graft-token';
export const HOST_API_PREFIX = '/api/';
export const HOST_EVENTS_PATH = '/events';
export const MEDIA_SCHEME = 'graft-media';

/** What the Electron preload exposes on `window.graftBridge`: functions only. */
export interface GraftBridge {
  call(name: CallName, args: unknown): Promise<Envelope<unknown>>;
  subscribe(listener: <E extends EventName>(event: E, payload: Events[E]) => void): () => void;
}

/** The one IPC channel name for calls and the one for pushed events. */
export const IPC_CALL_CHANNEL = 'graft:call';
export const IPC_EVENT_CHANNEL = 'graft:event';
