import type { GraftApi, Id, LabelChangeResult } from '../../../../common/contract';
import { debounce } from '../debounce';
import { REFRESH_DELAY_MS } from './live-query.svelte';
import type { Notices } from './notices.svelte';
import { onProjectEvents } from './project-events';

/** Label changes of one project and whether they can be undone or redone. */
export class LabelsStore {
  canUndo = $state(false);
  canRedo = $state(false);

  constructor(
    private readonly api: GraftApi,
    private readonly notices: Notices,
    private readonly projectId: Id,
  ) {}

  /** Persists at once; resolves false when the server refused. */
  async assign(imageIds: Id[], classId: Id | null): Promise<boolean> {
    return this.apply(() => this.api.call('labels:assign', { projectId: this.projectId, imageIds, classId }));
  }

  undo = (): Promise<boolean> => this.apply(() => this.api.call('labels:undo', { projectId: this.projectId }));

  redo = (): Promise<boolean> => this.apply(() => this.api.call('labels:redo', { projectId: this.projectId }));

  /** Follows history changes made elsewhere (another window, a merge); returns the unsubscribe. */
  connect(): () => void {
    const refresh = () => void this.apply(() => this.api.call('labels:history', { projectId: this.projectId }));
    const later = debounce(refresh, REFRESH_DELAY_MS);
    const off = onProjectEvents(this.api, this.projectId, ['labels:changed'], later);
    refresh();
    return () => {
      off();
      later.cancel();
    };
  }

  private async apply(change: () => Promise<LabelChangeResult>): Promise<boolean> {
    const result = await this.notices.guard(change);
    if (!result) return false;
    this.canUndo = result.canUndo;
    this.canRedo = result.canRedo;
    return true;
  }
}
