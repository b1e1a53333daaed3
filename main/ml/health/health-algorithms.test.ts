import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../common/seeded-random';
import { outOfFoldScores } from './class-scores';
import { likelyMislabels } from './confident-learning';
import { farFromEveryClass } from './outliers';

/** Three well-separated Gaussian clusters in 16 dimensions, 30 rows each. */
function clusters(seed = 3) {
  const random = seededRandom(seed);
  const dim = 16;
  const n = 90;
  const vectors = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (let d = 0; d < dim; d++) vectors[i * dim + d] = (d % 3 === labels[i] ? 3 : 0) + (random() - 0.5);
  }
  return { vectors, dim, labels, classCount: 3 };
}

describe('likely mislabels', () => {
  it('flags nothing on clean clusters', () => {
    const data = clusters();
    const scores = outOfFoldScores(data);
    expect(likelyMislabels(scores.probabilities, data.labels, 3)).toEqual([]);
  });

  it('ranks flipped labels first, suggesting their true class', () => {
    const data = clusters();
    const flipped = [4, 40, 77];
    const truth = flipped.map((i) => data.labels[i]);
    for (const i of flipped) data.labels[i] = (data.labels[i] + 1) % 3;
    const found = likelyMislabels(outOfFoldScores(data).probabilities, data.labels, 3);
    expect(found.map((f) => f.row).sort((a, b) => a - b)).toEqual(flipped);
    expect(flipped.map((i) => found.find((f) => f.row === i)!.suggested)).toEqual(truth);
  });
});

describe('outliers', () => {
  it('finds a row far from every class and none among clean clusters', () => {
    const data = clusters();
    expect(farFromEveryClass(outOfFoldScores(data).nearestCentroid)).toEqual([]);
    // Row 10 becomes noise pointing away from all three clusters.
    for (let d = 0; d < data.dim; d++) data.vectors[10 * data.dim + d] = d % 2 === 0 ? -2 : 2;
    expect(farFromEveryClass(outOfFoldScores(data).nearestCentroid).map((o) => o.row)).toEqual([10]);
  });
});
