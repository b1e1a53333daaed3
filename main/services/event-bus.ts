import type { EventName, Events } from '../../common/contract';

type Listener = <E extends EventName>(event: E, payload: Events[E]) => void;

/** Fan-out of contract events from services to whichever transports are attached. */
export class EventBus {
  private readonly listeners = new Set<Listener>();

  emit<E extends EventName>(event: E, payload: Events[E]): void {
    for (const listener of this.listeners) listener(event, payload);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
