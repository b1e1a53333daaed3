import type { GraftApi, Id, LabelChangeResult } from '../../../../common/contract';
import type { LabelSuggestion, SuggestionsProgress } from '../../../../common/suggestions';
import { debounce } from '../debounce';
import { REFRESH_DELAY_MS } from './live-query.svelte';
import type { Notices } from './notices.svelte';
import { onProjectEvents } from './project-events';

/**
 * The model's suggestions for a project's unlabelled photos, most uncertain first, and the job
 * computing them. A photo that gets a label leaves the list at once; a label removed (undo) may
 * bring its suggestion back, which only the server knows, so that reloads.
 */
export class SuggestionsStore {
  list = $state.raw<LabelSuggestion[]>([]);
  progress = $state.raw<SuggestionsProgress | null>(null);
  readonly byImage = $derived(new Map(this.list.map((s) => [s.imageId, s])));
  /** Place of each photo in the most-uncertain-first order. */
  readonly rank = $derived(new Map(this.list.map((s, i) => [s.imageId, i])));

  constructor(
    private readonly api: GraftApi,
    private readonly notices: Notices,
    private readonly projectId: Id,
  ) {}

  async load(): Promise<void> {
    const list = await this.notices.guard(() => this.api.call('suggestions:list', { projectId: this.projectId }));
    if (list) this.list = list;
  }

  /** How many suggestions are at least `minConfidence` (0-1) sure. */
  countAbove(minConfidence: number): number {
    return this.list.filter((s) => s.confidence >= minConfidence).length;
  }

  /** Accepts these photos' suggestions as their labels (one undoable action). */
  accept(imageIds: Id[]): Promise<LabelChangeResult | undefined> {
    return this.notices.guard(() => this.api.call('suggestions:accept', { projectId: this.projectId, imageIds }));
  }

  acceptAbove(minConfidence: number): Promise<LabelChangeResult | undefined> {
    return this.accept(this.list.filter((s) => s.confidence >= minConfidence).map((s) => s.imageId));
  }

  connect(): () => void {
    const reload = debounce(() => void this.load(), REFRESH_DELAY_MS);
    const offs = [
      onProjectEvents(this.api, this.projectId, ['suggestions:finished', 'classes:changed'], () => {
        this.progress = null;
        reload();
      }),
      this.api.on('suggestions:progress', (p) => {
        if (p.projectId === this.projectId) this.progress = p;
      }),
      this.api.on('labels:changed', ({ projectId, changes }) => {
        if (projectId !== this.projectId) return;
        if (!changes || changes.some((c) => c.to === null)) return reload();
        const labelled = new Set(changes.map((c) => c.imageId));
        if (this.list.some((s) => labelled.has(s.imageId)))
          this.list = this.list.filter((s) => !labelled.has(s.imageId));
      }),
    ];
    void this.load();
    return () => {
      for (const off of offs) off();
      reload.cancel();
    };
  }
}
