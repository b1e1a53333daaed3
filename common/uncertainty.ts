// How unsure a classifier is about one photo, from its class probabilities. Higher = more
// unsure = more informative to label first (uncertainty sampling; Settles, "Active Learning
// Literature Survey", 2009, section 3.1, defines all three measures).

export type UncertaintyMeasure = 'margin' | 'entropy' | 'least-confidence';

export const UNCERTAINTY_MEASURES: readonly UncertaintyMeasure[] = ['margin', 'entropy', 'least-confidence'];

/**
 * Uncertainty of one probability row (values in [0, 1] summing to 1):
 * - margin: 1 − (p₁ − p₂), the top two probabilities' gap turned around, in [0, 1];
 * - entropy: −Σ p log p divided by log(classCount), in [0, 1];
 * - least-confidence: 1 − p₁, in [0, 1 − 1/classCount].
 */
export function uncertainty(probabilities: ArrayLike<number>, measure: UncertaintyMeasure): number {
  let first = 0;
  let second = 0;
  let entropy = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i];
    if (p > first) {
      second = first;
      first = p;
    } else if (p > second) second = p;
    if (p > 0) entropy -= p * Math.log(p);
  }
  if (measure === 'margin') return 1 - (first - second);
  if (measure === 'least-confidence') return 1 - first;
  return probabilities.length > 1 ? entropy / Math.log(probabilities.length) : 0;
}
