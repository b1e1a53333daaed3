// A run's technique in a few words, the same in the Experiments table and `graft experiments`.

import { ADAPTATION_METHOD_WORDS } from './adaptation-verdict';
import type { ExperimentSummary } from './training';

/**
 * "Feature extraction", "Fine-tuning", or "Fine-tuning (stage 1 kept)" for a fine-tuning run whose
 * stage 2 did not lower the validation loss and was dropped (FineTuneMetrics.keptStage); for an
 * adapted run "Domain adaptation (AdaBN + self-training) of Run 9", naming its source run.
 */
export function techniqueLabel(run: Pick<ExperimentSummary, 'technique' | 'keptStage' | 'adaptation'>): string {
  if (run.adaptation) {
    return `Domain adaptation (${ADAPTATION_METHOD_WORDS[run.adaptation.method]}) of ${run.adaptation.sourceName}`;
  }
  if (run.technique === 'feature-extraction') return 'Feature extraction';
  return run.keptStage === 1 ? 'Fine-tuning (stage 1 kept)' : 'Fine-tuning';
}
