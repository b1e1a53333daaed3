import type { GraftApi, Id, ProjectSummary } from '../../../../common/contract';
import type { Notices } from './notices.svelte';

/** Every project, most recently used first, kept fresh by `projects:changed`. */
export class ProjectsStore {
  list = $state.raw<ProjectSummary[]>([]);
  loaded = $state(false);

  constructor(
    private readonly api: GraftApi,
    private readonly notices: Notices,
  ) {}

  async load(): Promise<void> {
    const list = await this.notices.guard(() => this.api.call('projects:list', {}));
    if (!list) return;
    this.list = list;
    this.loaded = true;
  }

  connect(): () => void {
    void this.load();
    return this.api.on('projects:changed', () => void this.load());
  }

  async create(name: string): Promise<ProjectSummary | undefined> {
    const created = await this.notices.guard(() => this.api.call('projects:create', { name }));
    if (created) await this.load();
    return created;
  }

  async rename(projectId: Id, name: string): Promise<boolean> {
    const renamed = await this.notices.guard(() => this.api.call('projects:rename', { projectId, name }));
    if (renamed) await this.load();
    return renamed !== undefined;
  }

  async remove(projectId: Id): Promise<void> {
    await this.notices.guard(() => this.api.call('projects:delete', { projectId }));
    await this.load();
  }
}
