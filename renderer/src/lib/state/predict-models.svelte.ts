import type { GraftApi, Id } from '../../../../common/contract';
import type { ExperimentSummary, ExportRecord } from '../../../../common/training';
import { LiveQuery } from './live-query.svelte';
import type { Notices } from './notices.svelte';

/** A finished run and those of its exports that can predict: proven, and still on disk. */
export interface RunModels {
  experiment: ExperimentSummary;
  exports: ExportRecord[];
}

/** Every model of the project that can predict, newest run first. */
export class PredictModelsStore extends LiveQuery<RunModels[]> {
  constructor(api: GraftApi, notices: Notices, projectId: Id) {
    super({
      api,
      notices,
      projectId,
      initial: [],
      fetch: async () => {
        const runs = (await api.call('experiments:list', { projectId })).filter((e) => e.status === 'finished');
        return Promise.all(
          runs.map(async (experiment) => {
            const exports = await api.call('exports:list', { experimentId: experiment.id });
            return { experiment, exports: exports.filter((e) => e.status === 'passed' && !e.missing) };
          }),
        );
      },
      staleOn: ['training:finished'],
    });
  }

  override connect(): () => void {
    // export:finished names no project; a reload for another project's export is harmless.
    const offs = [super.connect(), this.options.api.on('export:finished', () => void this.load())];
    return () => {
      for (const off of offs) off();
    };
  }
}
