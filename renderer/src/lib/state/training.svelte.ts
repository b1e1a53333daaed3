import type { GraftApi, Id } from '../../../../common/contract';
import type {
  EpochMetrics,
  ExperimentStatus,
  FinalMetrics,
  TrainConfig,
  TrainingProgress,
} from '../../../../common/training';
import type { Notices } from './notices.svelte';

export interface TrainingRun {
  experimentId: Id;
  progress: TrainingProgress | null;
  epochs: EpochMetrics[];
  /** Set once the run has ended; `metrics` follow for a finished run (its scores and kept epoch). */
  outcome: { status: ExperimentStatus; error: string | null; metrics?: FinalMetrics | null } | null;
}

/** Epochs of both lists, one per epoch number, in order. */
function mergeEpochs(a: EpochMetrics[], b: EpochMetrics[]): EpochMetrics[] {
  const byEpoch = new Map([...a, ...b].map((e) => [e.epoch, e]));
  return [...byEpoch.values()].sort((x, y) => x.epoch - y.epoch);
}

/** The project's current (or last) training run as its events stream in. */
export class TrainingStore {
  run = $state.raw<TrainingRun | null>(null);
  starting = $state(false);
  readonly running = $derived(this.run !== null && this.run.outcome === null);

  constructor(
    private readonly api: GraftApi,
    private readonly notices: Notices,
    private readonly projectId: Id,
  ) {}

  /** Starts a run with the settings that differ from the defaults. */
  async start(config: Partial<TrainConfig>): Promise<void> {
    this.starting = true;
    const started = await this.notices.guard(() =>
      this.api.call('training:start', { projectId: this.projectId, config }),
    );
    this.starting = false;
    // The first events may have arrived before the answer; then the run is already followed.
    if (started) this.follow(started.experimentId);
  }

  async cancel(): Promise<void> {
    const experimentId = this.run?.experimentId;
    if (experimentId !== undefined) await this.notices.guard(() => this.api.call('training:cancel', { experimentId }));
  }

  /** Follows the events, and picks up a run that was already going; returns the unsubscribe. */
  connect(): () => void {
    const mine = (payload: { projectId: Id }) => payload.projectId === this.projectId;
    const offs = [
      this.api.on('training:progress', (progress) => {
        if (mine(progress)) this.update(progress.experimentId, { progress });
      }),
      this.api.on('training:epoch', ({ experimentId, projectId, epoch }) => {
        if (mine({ projectId }))
          this.update(experimentId, { epochs: mergeEpochs(this.epochsOf(experimentId), [epoch]) });
      }),
      this.api.on('training:finished', ({ experimentId, projectId, status, error }) => {
        if (!mine({ projectId })) return;
        this.update(experimentId, { progress: null, outcome: { status, error } });
        if (status === 'finished') void this.fetchMetrics(experimentId);
      }),
    ];
    void this.resume();
    return () => {
      for (const off of offs) off();
    };
  }

  private async resume(): Promise<void> {
    const list = await this.notices.guard(() => this.api.call('experiments:list', { projectId: this.projectId }));
    const running = list?.find((e) => e.status === 'running');
    if (!running || (this.run && this.run.experimentId !== running.id)) return;
    const detail = await this.notices.guard(() => this.api.call('experiments:get', { experimentId: running.id }));
    if (detail) this.update(running.id, { epochs: mergeEpochs(this.epochsOf(running.id), detail.epochs) });
  }

  /** The finished run's scores, for the banner to state and the charts to mark the kept epoch. */
  private async fetchMetrics(experimentId: Id): Promise<void> {
    const detail = await this.notices.guard(() => this.api.call('experiments:get', { experimentId }));
    const outcome = this.run?.experimentId === experimentId ? this.run.outcome : null;
    if (detail && outcome) this.update(experimentId, { outcome: { ...outcome, metrics: detail.metrics } });
  }

  private epochsOf(experimentId: Id): EpochMetrics[] {
    return this.run?.experimentId === experimentId ? this.run.epochs : [];
  }

  private follow(experimentId: Id): void {
    if (this.run?.experimentId !== experimentId) {
      this.run = { experimentId, progress: null, epochs: [], outcome: null };
    }
  }

  private update(experimentId: Id, change: Partial<Omit<TrainingRun, 'experimentId'>>): void {
    this.follow(experimentId);
    if (this.run) this.run = { ...this.run, ...change };
  }
}
