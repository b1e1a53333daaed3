import type { Events, GraftApi, Id, ImageFilter, ProjectSummary } from '../../../../common/contract';
import { debounce } from '../debounce';
import { labelledDelta } from '../label-deltas';
import { NAV_ITEMS, type ViewId } from '../navigation';
import { throttle } from '../throttle';
import { IMPORT_REFRESH_MS } from './images.svelte';
import { REFRESH_DELAY_MS } from './live-query.svelte';
import type { Notices } from './notices.svelte';

/** Which screen is showing and which project is open, with that project's counts kept fresh. */
export class Session {
  view = $state<ViewId>('projects');
  project = $state.raw<ProjectSummary | null>(null);
  /** The run Evaluate and Export show; null lets them pick the latest finished one. */
  experimentId = $state<Id | null>(null);
  started = $state(false);
  /** A photo another screen asked the Library to show, under this filter; the Library takes it once. */
  libraryFocus = $state.raw<{ imageId: Id; filter: ImageFilter } | null>(null);

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

  showInLibrary(imageId: Id, filter: ImageFilter): void {
    this.libraryFocus = { imageId, filter };
    this.show('library');
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
    // A label change that names its photos moves the labelled count without asking for every project.
    const onLabels = ({ projectId, changes }: Events['labels:changed']) => {
      if (projectId !== this.project?.id) return;
      if (!changes) return refresh();
      this.project = { ...this.project, labelledCount: this.project.labelledCount + labelledDelta(changes) };
    };
    // During an import the counts follow the photos coming in, not only its end.
    const catchUp = throttle(() => void this.refresh(), IMPORT_REFRESH_MS);
    const offs = [
      this.api.on('projects:changed', refresh),
      this.api.on('labels:changed', onLabels),
      this.api.on('import:finished', forOpenProject),
      // After a run, the unlabelled photos get its suggestions (a job with its own progress).
      this.api.on('training:finished', ({ experimentId, projectId, status }) => {
        if (status === 'finished' && projectId === this.project?.id) {
          void this.notices.guard(() => this.api.call('suggestions:compute', { experimentId }));
        }
      }),
      this.api.on('import:progress', (progress) => {
        if (progress.projectId === this.project?.id) catchUp();
      }),
    ];
    return () => {
      for (const off of offs) off();
      refresh.cancel();
      catchUp.cancel();
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
