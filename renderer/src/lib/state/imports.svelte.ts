import type { GraftApi, Id, ImportProgress, ImportSummary } from '../../../../common/contract';
import type { Notices } from './notices.svelte';

/** The running import of one project (if any) and the summary of the last one that ended. */
export class ImportStore {
  progress = $state.raw<ImportProgress | null>(null);
  summary = $state.raw<ImportSummary | null>(null);

  constructor(
    private readonly api: GraftApi,
    private readonly notices: Notices,
    private readonly projectId: Id,
  ) {}

  async start(folderId: Id): Promise<void> {
    const started = await this.notices.guard(() => this.api.call('import:start', { folderId }));
    // A small folder can finish before the call returns; then its summary is already here.
    if (!started || this.summary?.jobId === started.jobId || this.progress?.jobId === started.jobId) return;
    this.summary = null;
    this.progress = {
      jobId: started.jobId,
      projectId: this.projectId,
      folderId,
      phase: 'scanning',
      done: 0,
      total: 0,
      unreadable: 0,
      photosPerSecond: 0,
      etaSeconds: null,
    };
  }

  async cancel(): Promise<void> {
    const jobId = this.progress?.jobId;
    if (jobId !== undefined) await this.notices.guard(() => this.api.call('import:cancel', { jobId }));
  }

  dismiss(): void {
    this.summary = null;
  }

  connect(): () => void {
    const offProgress = this.api.on('import:progress', (progress) => {
      if (progress.projectId !== this.projectId) return;
      this.progress = progress;
      if (this.summary?.jobId === progress.jobId) this.summary = null;
    });
    const offFinished = this.api.on('import:finished', ({ projectId, ...summary }) => {
      if (projectId !== this.projectId) return;
      this.summary = summary;
      if (this.progress?.jobId === summary.jobId) this.progress = null;
    });
    return () => {
      offProgress();
      offFinished();
    };
  }
}
