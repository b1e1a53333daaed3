import { COARSE_HASH_DIGITS } from './perceptual-hash';

/** Two items whose perceptual hashes are within both thresholds. */
export interface HashPair {
  a: number;
  b: number;
  /** Differing bits of the coarse 64-bit hashes. */
  distance: number;
  /** Differing bits of the fine 256-bit hashes. */
  fineDistance: number;
}

function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** A hex string as 32-bit words (8 hex digits each). */
function words(hex: string): Uint32Array {
  return Uint32Array.from({ length: hex.length / 8 }, (_, i) => Number.parseInt(hex.slice(i * 8, i * 8 + 8), 16));
}

/** Differing bits of two equally long hex hashes. */
export function hammingDistance(a: string, b: string): number {
  const x = words(a);
  const y = words(b);
  let d = 0;
  for (let i = 0; i < x.length; i++) d += popcount32(x[i] ^ y[i]);
  return d;
}

/**
 * Every pair (a < b, indices into `hashes`) of two-scale photo hashes (perceptual-hash.ts) whose
 * coarse hashes differ in at most `maxCoarse` bits and fine hashes in at most `maxFine`. The coarse
 * test runs for all n(n-1)/2 pairs (two 32-bit popcounts each, about 1 s for 20,000 photos), the
 * fine one only on its survivors. Ordered by coarse distance, then a, then b.
 */
export function nearHashPairs(hashes: readonly string[], maxCoarse: number, maxFine: number): HashPair[] {
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
      if (d > maxCoarse) continue;
      const fine = hammingDistance(hashes[a].slice(COARSE_HASH_DIGITS), hashes[b].slice(COARSE_HASH_DIGITS));
      if (fine <= maxFine) pairs.push({ a, b, distance: d, fineDistance: fine });
    }
  }
  return pairs.sort((x, y) => x.distance - y.distance || x.a - y.a || x.b - y.b);
}
