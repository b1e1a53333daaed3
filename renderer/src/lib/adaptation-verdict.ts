// Whether an adaptation made things worse than the source-only model, in words the Adapt view
// shows above its before/after table.
import type { AdaptationReport } from '../../../common/adaptation';

/** Drop in the training domain's validation accuracy (0..1) that counts as worse: one point. */
const SOURCE_VAL_TOLERANCE = 0.01;

/**
 * The reasons the adapted run is worse than source-only, empty when none: with labelled
 * new-domain photos, a lower new-domain test accuracy; without them, a larger domain distance
 * (squared MMD); in both cases a training-domain validation accuracy more than one point lower.
 */
export function adaptationSetbacks(report: Pick<AdaptationReport, 'before' | 'after'>): string[] {
  const { before, after } = report;
  const reasons: string[] = [];
  if (before.targetTest && after.targetTest) {
    if (after.targetTest.accuracy < before.targetTest.accuracy) {
      reasons.push('it is less accurate on the labelled new-domain photos');
    }
  } else if (after.domainDistance > before.domainDistance) {
    reasons.push('the new photos moved further from the training photos (larger domain distance)');
  }
  if (
    before.sourceVal &&
    after.sourceVal &&
    after.sourceVal.accuracy < before.sourceVal.accuracy - SOURCE_VAL_TOLERANCE
  ) {
    reasons.push('it is less accurate on the training photos’ validation set');
  }
  return reasons;
}
