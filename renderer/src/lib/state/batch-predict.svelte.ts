import type { BatchPredictProgress, BatchPredictSummary, CallArgs, GraftApi, Id } from '../../../../common/contract';
import type { PickedLocation } from '../../components/LocationPicker.svelte';
import type { Notices } from './notices.svelte';

/** A batch prediction over a folder, started from this screen: its folders, progress, then its summary. */
export class BatchPredictStore {
  /** The folder of photos to predict and the folder the CSV goes to, as chosen. */
  source = $state<PickedLocation | null>(null);
  destination = $state<PickedLocation | null>(null);
  jobId = $state<Id | null>(null);
  progress = $state.raw<BatchPredictProgress | null>(null);
  summary = $state.raw<BatchPredictSummary | null>(null);
  starting = $state(false);
  cancelling = $state(false);

  // A getter, not $derived: a $derived made while a view is created dies with that view, and
  // this store outlives it (PredictSession).
  get running(): boolean {
    return this.jobId !== null && this.summary === null;
  }

  constructor(
    private readonly api: GraftApi,
    private readonly notices: Notices,
  ) {}

  async start(args: CallArgs<'predict:batchStart'>): Promise<void> {
    this.jobId = null;
    this.progress = null;
    this.summary = null;
    this.cancelling = false;
    this.starting = true;
    const started = await this.notices.guard(() => this.api.call('predict:batchStart', args));
    this.starting = false;
    if (started) this.jobId = started.jobId;
  }

  async cancel(): Promise<void> {
    const { jobId } = this;
    if (jobId === null) return;
    this.cancelling = true;
    await this.notices.guard(() => this.api.call('predict:batchCancel', { jobId }));
  }

  connect(): () => void {
    const offs = [
      this.api.on('predict:progress', (progress) => {
        if (this.mine(progress.jobId)) this.progress = progress;
      }),
      this.api.on('predict:finished', (summary) => {
        if (this.mine(summary.jobId)) this.summary = summary;
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  }

  private mine(jobId: Id): boolean {
    // Events can come before the start call answers; one batch runs at a time, so they are ours.
    if (this.starting && this.jobId === null) this.jobId = jobId;
    return jobId === this.jobId;
  }
}
