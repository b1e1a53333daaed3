import type { GraftApi, Id, ImageFilter, ImageRow, LabelDelta } from '../../../../common/contract';
import { debounce } from '../debounce';
import { rowMatches } from '../image-filter';
import { throttle } from '../throttle';
import { REFRESH_DELAY_MS } from './live-query.svelte';
import type { Notices } from './notices.svelte';
import { onProjectEvents } from './project-events';

/** While an import runs, the grid catches up with the photos it added this often (ms). */
export const IMPORT_REFRESH_MS = 1000;

/** The photos of one project that match the current filter, in grid order. */
export class ImagesStore {
  filter = $state.raw<ImageFilter>({ kind: 'all' });
  rows = $state.raw<ImageRow[]>([]);
  /** The filter `rows` answer (the chosen `filter` may still be loading). */
  rowsFilter = $state.raw<ImageFilter>({ kind: 'all' });
  loaded = $state(false);
  readonly indexById = $derived(new Map(this.rows.map((row, index) => [row.id, index])));
  private loadSeq = 0;
  private localEdits = 0;
  /** Grid order by rank when set (e.g. most uncertain suggestion first); unranked rows follow in list order. */
  private ranking: ReadonlyMap<Id, number> | null = null;

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
    const filter = this.filter;
    const rows = await this.notices.guard(() => this.api.call('images:list', { projectId: this.projectId, filter }));
    if (!rows || seq !== this.loadSeq) return;
    // A label applied while this answer travelled may be missing from it: ask again.
    if (editsAtStart !== this.localEdits) return this.load();
    this.rows = this.ranked(rows);
    this.rowsFilter = filter;
    this.loaded = true;
  }

  /** Orders the rows by `rank` (null: the list's own order again, which takes a reload). */
  setRanking(rank: ReadonlyMap<Id, number> | null): void {
    this.ranking = rank;
    if (rank) this.rows = this.ranked(this.rows);
    else void this.load();
  }

  private ranked(rows: ImageRow[]): ImageRow[] {
    const rank = this.ranking;
    if (!rank) return rows;
    const at = (row: ImageRow, i: number) => rank.get(row.id) ?? rank.size + i;
    return rows
      .map((row, i) => ({ row, key: at(row, i) }))
      .sort((a, b) => a.key - b.key)
      .map((r) => r.row);
  }

  /** Shows a label change at once, before the server's `labels:changed` brings the truth. */
  applyLabel(imageIds: readonly Id[], classId: Id | null): void {
    this.localEdits++;
    const changed = new Set(imageIds);
    this.rows = this.rows.map((row) => (changed.has(row.id) ? { ...row, classId } : row));
  }

  /**
   * Applies label changes from the event instead of reloading every row: changed rows take
   * their new class and rows that left the filter go. Returns false when a photo the list does
   * not hold may now belong in it (undo in Unlabelled), which only a reload can bring.
   */
  applyChanges(changes: readonly LabelDelta[]): boolean {
    const to = new Map(changes.map((c) => [c.imageId, c.to]));
    const filter = this.rowsFilter;
    const missing = changes.some(
      (c) =>
        !this.indexById.has(c.imageId) &&
        rowMatches(
          { status: 'ok', classId: c.to, split: filter.kind === 'problems' ? null : (filter.split ?? null) },
          filter,
        ),
    );
    if (missing) return false;
    this.localEdits++;
    this.rows = this.rows
      .map((row) => (to.has(row.id) ? { ...row, classId: to.get(row.id) ?? null } : row))
      .filter((row) => !to.has(row.id) || rowMatches(row, filter));
    return true;
  }

  connect(): () => void {
    const reload = debounce(() => void this.load(), REFRESH_DELAY_MS);
    const catchUp = throttle(() => void this.load(), IMPORT_REFRESH_MS);
    const offs = [
      onProjectEvents(this.api, this.projectId, ['classes:changed', 'import:finished'], reload),
      onProjectEvents(this.api, this.projectId, ['import:progress'], catchUp),
      this.api.on('labels:changed', ({ projectId, changes }) => {
        if (projectId !== this.projectId) return;
        if (!changes || !this.applyChanges(changes)) reload();
      }),
    ];
    void this.load();
    return () => {
      for (const off of offs) off();
      reload.cancel();
      catchUp.cancel();
    };
  }
}
