import type { EventName, Events } from '../../../../common/contract';

type AnyListener = (payload: never) => void;

/**
 * Fans pushed events out to renderer listeners, so each transport keeps exactly one
 * underlying subscription (one IPC listener, one EventSource) however many views listen.
 */
export class EventHub {
  private readonly listeners = new Map<EventName, Set<AnyListener>>();

  /** `onFirstListener` runs once per event name, when something first listens to it. */
  constructor(private readonly onFirstListener: (event: EventName) => void) {}

  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
      this.onFirstListener(event);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  dispatch(event: EventName, payload: unknown): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) (listener as (p: unknown) => void)(payload);
  }
}
