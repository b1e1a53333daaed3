/** Two items whose perceptual hashes differ in at most the chosen number of bits. */
export interface HashPair {
  a: number;
  b: number;
  /** Differing bits, 0–64. */
  distance: number;
}

function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * Every pair (a < b, indices into `hashes`) of 64-bit hashes (16 hex digits each) within
 * `maxDistance` differing bits, by exhaustive comparison: n(n-1)/2 pairs of two 32-bit popcounts,
 * about 1 s for 20,000 hashes. Ordered by distance, then a, then b.
 */
export function nearHashPairs(hashes: readonly string[], maxDistance: number): HashPair[] {
  const n = hashes.length;
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    hi[i] = Number.parseInt(hashes[i].slice(0, 8), 16);
    lo[i] = Number.parseInt(hashes[i].slice(8, 16), 16);
  }
  const pairs: HashPair[] = [];
  for (let a = 0; a < n; a++) {
    const ha = hi[a];
    const la = lo[a];
    for (let b = a + 1; b < n; b++) {
      const d = popcount32(ha ^ hi[b]) + popcount32(la ^ lo[b]);
      if (d <= maxDistance) pairs.push({ a, b, distance: d });
    }
  }
  return pairs.sort((x, y) => x.distance - y.distance || x.a - y.a || x.b - y.b);
}
