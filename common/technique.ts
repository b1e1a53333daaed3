// A run's technique in a few words, the same in the Experiments table and `graft experiments`.

import { ADAPTATION_METHOD_WORDS } from './adaptation-verdict';
import type { ExperimentSummary } from './training';

/**
 * "Feature extraction"; for a finished fine-tuning run the stage whose model it kept
 * (FineTuneMetrics.keptStage), "Fine-tuning (stage 2 kept)" or "Fine-tuning (stage 1 kept)" when
 * stage 2 did not lower the validation loss and was dropped; plain "Fine-tuning" while no stage is
 * kept yet (running, failed or cancelled); for an
 * adapted run "Domain adaptation (AdaBN + self-training) of Run 9", naming its source run.
 */
export function techniqueLabel(run: Pick<ExperimentSummary, 'technique' | 'keptStage' | 'adaptation'>): string {
  if (run.adaptation) {
    return `Domain adaptation (${ADAPTATION_METHOD_WORDS[run.adaptation.method]}) of ${run.adaptation.sourceName}`;
  }
  if (run.technique === 'feature-extraction') return 'Feature extraction';
  return run.keptStage === null ? 'Fine-tuning' : `Fine-tuning (stage ${run.keptStage} kept)`;
}
