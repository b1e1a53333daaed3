import type { EventName, Events, GraftApi, Id } from '../../../../common/contract';

/** Events whose payload names the project they concern. */
export type ProjectEventName = {
  [E in EventName]: Events[E] extends { projectId: Id } ? E : never;
}[EventName];

/** Calls `handler` whenever one of `events` arrives for `projectId`; returns the unsubscribe. */
export function onProjectEvents(
  api: GraftApi,
  projectId: Id,
  events: readonly ProjectEventName[],
  handler: () => void,
): () => void {
  const offs = events.map((event) =>
    api.on(event, (payload: { projectId: Id }) => {
      if (payload.projectId === projectId) handler();
    }),
  );
  return () => {
    for (const off of offs) off();
  };
}
