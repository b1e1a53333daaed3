/**
 * Modified z-score above which a photo counts as far from every class (Iglewicz & Hoaglin,
 * "How to Detect and Handle Outliers", 1993, recommend 3.5).
 */
export const OUTLIER_Z = 3.5;

/**
 * Rows far from every class: those whose best cosine to any class centroid lies more than
 * OUTLIER_Z modified z-scores below the median, z = 0.6745·(median − s) / MAD (median absolute
 * deviation). Robust to the outliers themselves, unlike a mean and standard deviation. Returns
 * row indices with their z, farthest first; none when the MAD is 0.
 */
export function farFromEveryClass(nearestCentroid: Float32Array): { row: number; z: number }[] {
  const sorted = Float64Array.from(nearestCentroid).sort();
  const median = medianOfSorted(sorted);
  const deviations = Float64Array.from(sorted, (s) => Math.abs(s - median)).sort();
  const mad = medianOfSorted(deviations);
  if (!(mad > 0)) return [];
  const found: { row: number; z: number }[] = [];
  nearestCentroid.forEach((s, row) => {
    const z = (0.6745 * (median - s)) / mad;
    if (z > OUTLIER_Z) found.push({ row, z });
  });
  return found.sort((a, b) => b.z - a.z || a.row - b.row);
}

function medianOfSorted(v: Float64Array): number {
  if (v.length === 0) return 0;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
