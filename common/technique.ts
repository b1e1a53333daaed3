// A run's technique in a few words, the same in the Experiments table and `graft experiments`.

import type { ExperimentSummary } from './training';

/**
 * "Feature extraction", "Fine-tuning", or "Fine-tuning (stage 1 kept)" for a fine-tuning run whose
 * stage 2 did not lower the validation loss and was dropped (FineTuneMetrics.keptStage).
 */
export function techniqueLabel(run: Pick<ExperimentSummary, 'technique' | 'keptStage'>): string {
  if (run.technique === 'feature-extraction') return 'Feature extraction';
  return run.keptStage === 1 ? 'Fine-tuning (stage 1 kept)' : 'Fine-tuning';
}
