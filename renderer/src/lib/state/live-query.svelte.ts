import type { GraftApi, Id } from '../../../../common/contract';
import { debounce } from '../debounce';
import type { Notices } from './notices.svelte';
import { onProjectEvents, type ProjectEventName } from './project-events';

/** Bursts of events (one per photo during an import) become one reload. */
export const REFRESH_DELAY_MS = 80;

export interface LiveQueryOptions<T> {
  api: GraftApi;
  notices: Notices;
  projectId: Id;
  initial: T;
  fetch: () => Promise<T>;
  /** Events that make the answer stale. */
  staleOn: readonly ProjectEventName[];
  /** The answer does not depend on labels: a `labels:changed` that names its photos leaves it fresh. */
  labelFree?: boolean;
}

/** One project-scoped answer, kept fresh by the events that change it. */
export class LiveQuery<T> {
  value: T = $state.raw(undefined as T);
  loaded = $state(false);
  private seq = 0;

  constructor(protected readonly options: LiveQueryOptions<T>) {
    this.value = options.initial;
  }

  /** Loads now; a failure becomes a notice. Answers that arrive out of order are dropped. */
  async load(): Promise<void> {
    const seq = ++this.seq;
    try {
      const value = await this.options.fetch();
      if (seq !== this.seq) return;
      this.value = value;
      this.loaded = true;
    } catch (err) {
      this.options.notices.report(err);
    }
  }

  /** Loads, then follows the events; returns the unsubscribe (for an $effect). */
  connect(): () => void {
    const { api, projectId, staleOn, labelFree } = this.options;
    const reload = debounce(() => void this.load(), REFRESH_DELAY_MS);
    const off = onProjectEvents(api, projectId, staleOn, reload, (payload) => !!labelFree && !!payload.changes);
    void this.load();
    return () => {
      off();
      reload.cancel();
    };
  }
}
