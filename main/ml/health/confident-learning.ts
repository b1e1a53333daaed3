/** A row whose given label its out-of-fold probabilities doubt. */
export interface LikelyMislabel {
  row: number;
  /** The class the probabilities favour instead of the given one. */
  suggested: number;
  /** p(given label), 0–1. */
  selfConfidence: number;
  /** p(suggested) − p(given): how strongly the scores prefer the other class; the list's order. */
  margin: number;
}

/**
 * Likely label errors by confident learning (Northcutt, Jiang & Chuang, "Confident Learning:
 * Estimating Uncertainty in Dataset Labels", JAIR 2021): the threshold of class j is the mean
 * out-of-fold p(j) over rows labelled j; a row labelled i is flagged when some other class j has
 * p(j) ≥ t_j, and is suggested the most probable such j. Flagged rows are ordered by normalised
 * margin, largest first (the paper's "prune by noise rate" ranking). `probabilities` is N×C
 * row-major; `labels` the given class of each row.
 */
export function likelyMislabels(probabilities: Float32Array, labels: Int32Array, classCount: number): LikelyMislabel[] {
  const n = labels.length;
  const sum = new Float64Array(classCount);
  const count = new Float64Array(classCount);
  for (let i = 0; i < n; i++) {
    sum[labels[i]] += probabilities[i * classCount + labels[i]];
    count[labels[i]]++;
  }
  const threshold = Array.from(sum, (s, c) => (count[c] > 0 ? s / count[c] : Number.POSITIVE_INFINITY));
  const found: LikelyMislabel[] = [];
  for (let i = 0; i < n; i++) {
    const given = labels[i];
    const self = probabilities[i * classCount + given];
    let suggested = -1;
    let best = -1;
    for (let c = 0; c < classCount; c++) {
      const p = probabilities[i * classCount + c];
      if (c !== given && p >= threshold[c] && p > best) {
        best = p;
        suggested = c;
      }
    }
    if (suggested >= 0 && best > self) found.push({ row: i, suggested, selfConfidence: self, margin: best - self });
  }
  return found.sort((a, b) => b.margin - a.margin || a.row - b.row);
}
