import type { GraftApi, Id, ProjectSummary } from '../../../../common/contract';
import { debounce } from '../debounce';
import { NAV_ITEMS, type ViewId } from '../navigation';
import { REFRESH_DELAY_MS } from './live-query.svelte';
import type { Notices } from './notices.svelte';

/** Which screen is showing and which project is open, with that project's counts kept fresh. */
export class Session {
  view = $state<ViewId>('projects');
  project = $state.raw<ProjectSummary | null>(null);
  /** The run Evaluate and Export show; null lets them pick the latest finished one. */
  experimentId = $state<Id | null>(null);
  started = $state(false);

  constructor(
    private readonly api: GraftApi,
    private readonly notices: Notices,
  ) {}

  /** Reopens the last project, if there is one; otherwise stays on Projects. */
  async start(): Promise<void> {
    const last = await this.notices.guard(() => this.api.call('projects:last', {}));
    if (last) await this.open(last.id);
    this.started = true;
  }

  async open(projectId: Id): Promise<void> {
    const opened = await this.notices.guard(() => this.api.call('projects:open', { projectId }));
    if (!opened) return;
    this.project = opened;
    this.experimentId = null;
    this.view = 'library';
  }

  show(view: ViewId): void {
    const item = NAV_ITEMS.find((i) => i.id === view);
    if (item?.needsProject && !this.project) return;
    this.view = view;
  }

  evaluate(experimentId: Id): void {
    this.experimentId = experimentId;
    this.show('evaluate');
  }

  exportModel(experimentId: Id): void {
    this.experimentId = experimentId;
    this.show('export');
  }

  /** Follows the open project's counts; a deleted project closes. Returns the unsubscribe. */
  connect(): () => void {
    const refresh = debounce(() => void this.refresh(), REFRESH_DELAY_MS);
    const forOpenProject = (payload: { projectId: Id }) => {
      if (payload.projectId === this.project?.id) refresh();
    };
    const offs = [
      this.api.on('projects:changed', refresh),
      this.api.on('labels:changed', forOpenProject),
      this.api.on('import:finished', forOpenProject),
    ];
    return () => {
      for (const off of offs) off();
      refresh.cancel();
    };
  }

  private async refresh(): Promise<void> {
    const id = this.project?.id;
    if (id === undefined) return;
    const list = await this.notices.guard(() => this.api.call('projects:list', {}));
    if (!list) return;
    this.project = list.find((p) => p.id === id) ?? null;
    if (!this.project && NAV_ITEMS.find((i) => i.id === this.view)?.needsProject) this.view = 'projects';
  }
}
