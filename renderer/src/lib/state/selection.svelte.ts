import type { Id, ImageRow } from '../../../../common/contract';
import { filterKey } from '../image-filter';
import type { ImagesStore } from './images.svelte';

export interface ClickModifiers {
  /** Ctrl/Cmd-click: add or remove one photo. */
  toggle: boolean;
  /** Shift-click: everything between the last clicked photo and this one. */
  range: boolean;
}

/** The current photo (the one keys act on and the preview shows) and the multi-selection. */
export class Selection {
  selected = $state.raw<ReadonlySet<Id>>(new Set());
  currentId = $state<Id | null>(null);
  readonly currentIndex = $derived.by(() =>
    this.currentId === null ? -1 : (this.images.indexById.get(this.currentId) ?? -1),
  );
  readonly current = $derived.by((): ImageRow | null => this.images.rows[this.currentIndex] ?? null);
  /** Goes up each time the keys move the current photo, so the grid brings it into view. */
  reveal = $state(0);
  private anchorId: Id | null = null;
  /** Where the current photo last was, so that when it leaves the list the next one takes its place. */
  private lastIndex = 0;
  /** The filter the rows were last reconciled under, and the current photo under each filter seen. */
  private viewKey: string | null = null;
  private readonly currentByView = new Map<string, Id>();

  constructor(private readonly images: ImagesStore) {}

  /** The photos an action applies to: the selection if any, else the current photo. */
  targets(): Id[] {
    if (this.selected.size > 0) return [...this.selected];
    return this.currentId === null ? [] : [this.currentId];
  }

  click(id: Id, { toggle, range }: ClickModifiers): void {
    if (range && this.anchorId !== null) {
      const from = this.images.indexById.get(this.anchorId) ?? 0;
      const to = this.images.indexById.get(id) ?? from;
      const span = this.images.rows.slice(Math.min(from, to), Math.max(from, to) + 1).map((r) => r.id);
      this.selected = new Set(toggle ? [...this.selected, ...span] : span);
    } else if (toggle) {
      const next = new Set(this.selected);
      if (!next.delete(id)) next.add(id);
      this.selected = next;
      this.anchorId = id;
    } else {
      this.selected = new Set([id]);
      this.anchorId = id;
    }
    this.setCurrent(id);
  }

  selectAll(): void {
    this.selected = new Set(this.images.rows.map((r) => r.id));
  }

  clear(): void {
    this.selected = new Set();
  }

  /** Moves the current photo by `delta` places in grid order; the selection is dropped. */
  moveBy(delta: number): void {
    const { rows } = this.images;
    if (rows.length === 0) return;
    const from = Math.max(0, this.currentIndex);
    const to = Math.min(rows.length - 1, Math.max(0, from + delta));
    this.clear();
    this.setCurrent(rows[to].id);
    this.anchorId = rows[to].id;
    this.reveal++;
  }

  /** After labelling: the next unlabelled photo after the current one, else simply the next one. */
  advance(): void {
    const { rows } = this.images;
    const from = this.currentIndex;
    const isOpen = (row: ImageRow) => row.classId === null && row.status === 'ok';
    const next = rows.slice(from + 1).find(isOpen) ?? rows.slice(0, Math.max(0, from)).find(isOpen);
    const target = next ?? rows[from + 1];
    if (target) this.setCurrent(target.id);
    this.reveal++;
  }

  /**
   * Keeps the selection and current photo valid after the list changed. Under another filter the
   * current photo is the one last current there, or the first: never one far down the list
   * because it was current elsewhere.
   */
  reconcile(): void {
    const { rows, indexById } = this.images;
    if ([...this.selected].some((id) => !indexById.has(id))) {
      this.selected = new Set([...this.selected].filter((id) => indexById.has(id)));
    }
    const key = filterKey(this.images.rowsFilter);
    if (key !== this.viewKey) {
      if (this.viewKey !== null && this.currentId !== null) this.currentByView.set(this.viewKey, this.currentId);
      this.viewKey = key;
      const back = this.currentByView.get(key);
      this.currentId = back !== undefined && indexById.has(back) ? back : (rows[0]?.id ?? null);
      this.lastIndex = this.currentId === null ? 0 : (indexById.get(this.currentId) ?? 0);
      return;
    }
    if (this.currentId === null || !indexById.has(this.currentId)) {
      this.currentId = rows[Math.min(this.lastIndex, rows.length - 1)]?.id ?? null;
    } else {
      this.lastIndex = indexById.get(this.currentId) ?? 0;
    }
  }

  private setCurrent(id: Id): void {
    this.currentId = id;
    this.lastIndex = this.images.indexById.get(id) ?? this.lastIndex;
  }
}
