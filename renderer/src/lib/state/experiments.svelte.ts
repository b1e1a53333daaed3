import type { GraftApi, Id } from '../../../../common/contract';
import type { ExperimentSummary } from '../../../../common/training';
import { LiveQuery } from './live-query.svelte';
import type { Notices } from './notices.svelte';

/** The project's training runs, newest first: a new run appears at its first event, an ended one updates. */
export class ExperimentsStore extends LiveQuery<ExperimentSummary[]> {
  readonly byId = $derived(new Map(this.value.map((e) => [e.id, e])));
  /** Runs already asked for, so a stream of progress events asks once. */
  private readonly seen = new Set<Id>();

  constructor(
    private readonly api: GraftApi,
    private readonly notices: Notices,
    private readonly projectId: Id,
  ) {
    super({
      api,
      notices,
      projectId,
      initial: [],
      fetch: () => api.call('experiments:list', { projectId }),
      staleOn: ['training:finished'],
    });
  }

  override connect(): () => void {
    // Progress streams without pause while a run goes, so it cannot wait for a quiet moment like the rest.
    const onRunEvent = ({ experimentId, projectId }: { experimentId: Id; projectId: Id }) => {
      if (projectId !== this.projectId || this.byId.has(experimentId) || this.seen.has(experimentId)) return;
      this.seen.add(experimentId);
      void this.load();
    };
    const offs = [
      super.connect(),
      this.api.on('training:progress', onRunEvent),
      this.api.on('training:epoch', onRunEvent),
    ];
    return () => {
      for (const off of offs) off();
    };
  }

  rename(experimentId: Id, name: string): Promise<boolean> {
    return this.change(() => this.api.call('experiments:rename', { experimentId, name }));
  }

  annotate(experimentId: Id, note: string): Promise<boolean> {
    return this.change(() => this.api.call('experiments:annotate', { experimentId, note }));
  }

  remove(experimentId: Id): Promise<boolean> {
    return this.change(() => this.api.call('experiments:delete', { experimentId }));
  }

  private async change(action: () => Promise<unknown>): Promise<boolean> {
    const done = await this.notices.guard(action);
    if (done !== undefined) await this.load();
    return done !== undefined;
  }
}
