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

  /** Resolves to the new summary, or undefined when the server refused (a notice says why). */
  async generate(seed: number, ratios: SplitRatios, replaceAll: boolean): Promise<SplitSummary | undefined> {
    return this.update(() => this.api.call('splits:generate', { projectId: this.projectId, seed, ratios, replaceAll }));
  }

  async carveTest(seed: number, fraction: number): Promise<SplitSummary | undefined> {
    return this.update(() => this.api.call('splits:carveTest', { projectId: this.projectId, seed, fraction }));
  }

  /** True when the server took the move; a notice names the chosen photos it left out and why. */
  async set(imageIds: Id[], split: Split): Promise<boolean> {
    const moved = await this.update(() => this.api.call('splits:set', { projectId: this.projectId, imageIds, split }));
    for (const skip of moved?.skipped ?? []) this.notices.info(skip.message);
    return moved !== undefined;
  }

  private async update<T extends SplitSummary>(change: () => Promise<T>): Promise<T | undefined> {
    const summary = await this.notices.guard(change);
    if (summary) this.value = summary;
    return summary;
  }
}
