import type { ClassInfo, GraftApi, Id } from '../../../../common/contract';
import { debounce } from '../debounce';
import { classShortcuts } from '../keyboard/class-shortcuts';
import { countAfter } from '../label-deltas';
import { LiveQuery, REFRESH_DELAY_MS } from './live-query.svelte';
import type { Notices } from './notices.svelte';

export type ClassPatch = { name?: string; colour?: string; shortcut?: string | null };

/** The project's classes in order, with live counts and the key that labels each. */
export class ClassesStore extends LiveQuery<ClassInfo[]> {
  readonly byId = $derived(new Map(this.value.map((c) => [c.id, c])));
  readonly shortcuts = $derived(classShortcuts(this.value));
  readonly classForKey = $derived(new Map([...this.shortcuts].map(([id, key]) => [key, id])));

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
      fetch: () => api.call('classes:list', { projectId }),
      staleOn: ['classes:changed', 'import:finished'],
    });
  }

  /** Follows the events; a label change that names its photos moves the counts without a reload. */
  override connect(): () => void {
    const off = super.connect();
    const reload = debounce(() => void this.load(), REFRESH_DELAY_MS);
    const offLabels = this.api.on('labels:changed', ({ projectId, changes }) => {
      if (projectId !== this.projectId) return;
      if (changes) this.value = countAfter(this.value, changes);
      else reload();
    });
    return () => {
      off();
      offLabels();
      reload.cancel();
    };
  }

  async create(name: string): Promise<boolean> {
    const created = await this.notices.guard(() =>
      this.api.call('classes:create', { projectId: this.projectId, name }),
    );
    if (created) await this.load();
    return created !== undefined;
  }

  async update(classId: Id, patch: ClassPatch): Promise<boolean> {
    const updated = await this.notices.guard(() => this.api.call('classes:update', { classId, ...patch }));
    if (updated) await this.load();
    return updated !== undefined;
  }

  /** Moves a class one place up (-1) or down (+1). */
  async move(classId: Id, delta: -1 | 1): Promise<void> {
    const ids = this.value.map((c) => c.id);
    const from = ids.indexOf(classId);
    const to = from + delta;
    if (from < 0 || to < 0 || to >= ids.length) return;
    [ids[from], ids[to]] = [ids[to], ids[from]];
    const reordered = await this.notices.guard(() =>
      this.api.call('classes:reorder', { projectId: this.projectId, classIds: ids }),
    );
    if (reordered) this.value = reordered;
  }

  async merge(sourceId: Id, targetId: Id): Promise<void> {
    await this.notices.guard(() => this.api.call('classes:merge', { sourceId, targetId }));
    await this.load();
  }

  async remove(classId: Id): Promise<void> {
    await this.notices.guard(() => this.api.call('classes:delete', { classId }));
    await this.load();
  }
}
