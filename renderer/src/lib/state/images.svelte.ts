import type { GraftApi, Id, ImageFilter, ImageRow } from '../../../../common/contract';
import { debounce } from '../debounce';
import { REFRESH_DELAY_MS } from './live-query.svelte';
import type { Notices } from './notices.svelte';
import { onProjectEvents } from './project-events';

/** The photos of one project that match the current filter, in grid order. */
export class ImagesStore {
  filter = $state.raw<ImageFilter>({ kind: 'all' });
  rows = $state.raw<ImageRow[]>([]);
  loaded = $state(false);
  readonly indexById = $derived(new Map(this.rows.map((row, index) => [row.id, index])));
  private loadSeq = 0;
  private localEdits = 0;

  constructor(
    private readonly api: GraftApi,
    private readonly notices: Notices,
    readonly projectId: Id,
  ) {}

  async setFilter(filter: ImageFilter): Promise<void> {
    this.filter = filter;
    await this.load();
  }

  async load(): Promise<void> {
    const seq = ++this.loadSeq;
    const editsAtStart = this.localEdits;
    const rows = await this.notices.guard(() =>
      this.api.call('images:list', { projectId: this.projectId, filter: this.filter }),
    );
    if (!rows || seq !== this.loadSeq) return;
    // A label applied while this answer travelled may be missing from it: ask again.
    if (editsAtStart !== this.localEdits) return this.load();
    this.rows = rows;
    this.loaded = true;
  }

  /** Shows a label change at once, before the server's `labels:changed` brings the truth. */
  applyLabel(imageIds: readonly Id[], classId: Id | null): void {
    this.localEdits++;
    const changed = new Set(imageIds);
    this.rows = this.rows.map((row) => (changed.has(row.id) ? { ...row, classId } : row));
  }

  connect(): () => void {
    const reload = debounce(() => void this.load(), REFRESH_DELAY_MS);
    const off = onProjectEvents(
      this.api,
      this.projectId,
      ['labels:changed', 'classes:changed', 'import:finished'],
      reload,
    );
    void this.load();
    return () => {
      off();
      reload.cancel();
    };
  }
}
