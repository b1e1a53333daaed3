import type { EventName, Events, GraftApi, Id } from '../../../../common/contract';

/** Events whose payload names the project they concern. */
export type ProjectEventName = {
  [E in EventName]: Events[E] extends { projectId: Id } ? E : never;
}[EventName];

/**
 * Calls `handler` whenever one of `events` arrives for `projectId`; returns the unsubscribe.
 * `skip` drops the events that do not concern the caller (e.g. label changes that name their photos).
 */
export function onProjectEvents(
  api: GraftApi,
  projectId: Id,
  events: readonly ProjectEventName[],
  handler: () => void,
  skip: (payload: { projectId: Id; changes?: unknown }) => boolean = () => false,
): () => void {
  const offs = events.map((event) =>
    api.on(event, (payload: { projectId: Id }) => {
      if (payload.projectId === projectId && !skip(payload)) handler();
    }),
  );
  return () => {
    for (const off of offs) off();
  };
}
