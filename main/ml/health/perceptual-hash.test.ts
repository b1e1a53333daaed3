import { describe, expect, it } from 'vitest';
import { distinctPhoto, type NearCopyKind, nearCopy } from '../../../e2e/fixtures/health-corpus';
import { NEAR_DUPLICATE_BITS } from '../../services/health/health-findings';
import { nearHashPairs } from './hash-pairs';
import { differenceHash, differenceHashOfGrey } from './perceptual-hash';

describe('difference hash', () => {
  it('sets a bit where a pixel is brighter than its right neighbour', () => {
    const grey = new Uint8Array(72);
    for (let row = 0; row < 8; row++) for (let col = 0; col < 9; col++) grey[row * 9 + col] = 255 - col * 10;
    expect(differenceHashOfGrey(grey)).toBe('ff'.repeat(8));
    expect(differenceHashOfGrey(new Uint8Array(72))).toBe('00'.repeat(8));
    expect(() => differenceHashOfGrey(new Uint8Array(10))).toThrow(/72/);
  });

  it('keeps near copies within the threshold and distinct photos outside it', async () => {
    const originals = await Promise.all(Array.from({ length: 12 }, (_, i) => distinctPhoto(i + 1)));
    const hashes = await Promise.all(originals.map(differenceHash));
    expect(nearHashPairs(hashes, NEAR_DUPLICATE_BITS)).toEqual([]);
    for (const kind of ['resize', 'reencode', 'crop', 'brightness'] as NearCopyKind[]) {
      const copy = await differenceHash(await nearCopy(originals[3], kind));
      const pairs = nearHashPairs([...hashes, copy], NEAR_DUPLICATE_BITS);
      expect(pairs.map((p) => [p.a, p.b]), kind).toEqual([[3, 12]]);
    }
  });
});

describe('near hash pairs', () => {
  it('counts differing bits across both 32-bit halves', () => {
    const pairs = nearHashPairs(['0000000000000000', '8000000000000001', 'ffffffffffffffff'], 2);
    expect(pairs).toEqual([{ a: 0, b: 1, distance: 2 }]);
  });
});
