import type { CallArgs, GraftApi, Id } from '../../../../common/contract';
import { GraftError } from '../../../../common/errors';
import type { ExportRecord, ExportSupport } from '../../../../common/training';
import { LiveQuery } from './live-query.svelte';
import type { Notices } from './notices.svelte';

export type ExportRequest = CallArgs<'exports:start'>;

/** One run's exports (newest first) and the formats it can be exported in. */
export class ExportsStore extends LiveQuery<ExportRecord[]> {
  support = $state.raw<ExportSupport[]>([]);
  /** The export last started from this screen. */
  current = $state<Id | null>(null);

  constructor(
    private readonly api: GraftApi,
    private readonly notices: Notices,
    projectId: Id,
    private readonly experimentId: Id,
  ) {
    super({
      api,
      notices,
      projectId,
      initial: [],
      fetch: () => api.call('exports:list', { experimentId }),
      staleOn: [],
    });
  }

  override connect(): () => void {
    const offs = [
      super.connect(),
      this.api.on('export:finished', ({ experimentId }) => {
        if (experimentId === this.experimentId) void this.load();
      }),
    ];
    void this.loadSupport();
    return () => {
      for (const off of offs) off();
    };
  }

  /**
   * `{ conflict }`: the folder holds an earlier export and the request did not allow replacing it;
   * `conflict` is the service's message naming the files that would be replaced.
   */
  async start(request: ExportRequest): Promise<'started' | 'failed' | { conflict: string }> {
    try {
      const { exportId } = await this.api.call('exports:start', request);
      this.current = exportId;
      await this.load();
      return 'started';
    } catch (err) {
      if (err instanceof GraftError && err.code === 'CONFLICT' && !request.overwrite) return { conflict: err.message };
      this.notices.report(err);
      return 'failed';
    }
  }

  private async loadSupport(): Promise<void> {
    const { experimentId } = this;
    const support = await this.notices.guard(() => this.api.call('exports:support', { experimentId }));
    if (support) this.support = support;
  }
}
