import type { GraftApi, Id, Split, SplitRatios, SplitSummary } from '../../../../common/contract';
import { LiveQuery } from './live-query.svelte';
import type { Notices } from './notices.svelte';

/** How the labelled photos divide into train / val / test, per class. */
export class SplitsStore extends LiveQuery<SplitSummary | null> {
  constructor(
    private readonly api: GraftApi,
    private readonly notices: Notices,
    private readonly projectId: Id,
  ) {
    super({
      api,
      notices,
      projectId,
      initial: null,
      fetch: () => api.call('splits:summary', { projectId }),
      staleOn: ['labels:changed', 'classes:changed', 'import:finished'],
    });
  }

  async generate(seed: number, ratios: SplitRatios): Promise<boolean> {
    const summary = await this.notices.guard(() =>
      this.api.call('splits:generate', { projectId: this.projectId, seed, ratios }),
    );
    if (summary) this.value = summary;
    return summary !== undefined;
  }

  async set(imageIds: Id[], split: Split): Promise<boolean> {
    const summary = await this.notices.guard(() =>
      this.api.call('splits:set', { projectId: this.projectId, imageIds, split }),
    );
    if (summary) this.value = summary;
    return summary !== undefined;
  }
}
