import type { GraftApi, Id, Split } from '../../../../common/contract';
import type { ExperimentDetail, Prediction } from '../../../../common/training';
import { debounce } from '../debounce';
import { REFRESH_DELAY_MS } from './live-query.svelte';
import type { Notices } from './notices.svelte';

export interface ConfusionCell {
  split: Split;
  trueClassId: Id;
  predictedClassId: Id;
}

/** Everything the Evaluate screen shows of one run; reloads while the run is still going. */
export class EvaluationStore {
  detail = $state.raw<ExperimentDetail | null>(null);
  /** The most confident mistakes among `mistakesSplit`'s photos. */
  mistakes = $state.raw<Prediction[]>([]);
  mistakesSplit = $state.raw<Split>('val');
  cell = $state.raw<ConfusionCell | null>(null);
  cellPhotos = $state.raw<Prediction[]>([]);

  constructor(
    private readonly api: GraftApi,
    private readonly notices: Notices,
    readonly experimentId: Id,
  ) {}

  async load(): Promise<void> {
    const { experimentId } = this;
    const [detail, mistakes] = await Promise.all([
      this.notices.guard(() => this.api.call('experiments:get', { experimentId })),
      this.loadMistakes(this.mistakesSplit),
    ]);
    if (detail) this.detail = detail;
    if (mistakes) this.mistakes = mistakes;
  }

  /** Shows the mistakes among the validation or the test photos. */
  async showMistakes(split: Split): Promise<void> {
    this.mistakesSplit = split;
    const mistakes = await this.loadMistakes(split);
    if (mistakes && this.mistakesSplit === split) this.mistakes = mistakes;
  }

  private loadMistakes(split: Split) {
    return this.notices.guard(() => this.api.call('experiments:mistakes', { experimentId: this.experimentId, split }));
  }

  /** Shows the photos of one confusion-matrix cell. */
  async openCell(cell: ConfusionCell): Promise<void> {
    this.cell = cell;
    this.cellPhotos = [];
    const photos = await this.notices.guard(() =>
      this.api.call('experiments:predictions', { experimentId: this.experimentId, ...cell }),
    );
    if (photos && this.cell === cell) this.cellPhotos = photos;
  }

  closeCell(): void {
    this.cell = null;
    this.cellPhotos = [];
  }

  connect(): () => void {
    const reload = debounce(() => void this.load(), REFRESH_DELAY_MS);
    const forThisRun = (payload: { experimentId: Id }) => {
      if (payload.experimentId === this.experimentId) reload();
    };
    const offs = [this.api.on('training:epoch', forThisRun), this.api.on('training:finished', forThisRun)];
    void this.load();
    return () => {
      for (const off of offs) off();
      reload.cancel();
    };
  }
}
