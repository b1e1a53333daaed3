import { describe, expect, it } from 'vitest';
import { distinctPhoto, type NearCopyKind, nearCopy } from '../../../e2e/fixtures/health-corpus';
import { NEAR_DUPLICATE_BITS, NEAR_DUPLICATE_FINE_BITS } from '../../services/health/health-findings';
import { hammingDistance, nearHashPairs } from './hash-pairs';
import { differenceHashOfGrey, PHOTO_HASH_DIGITS, photoHash } from './perceptual-hash';

describe('difference hash', () => {
  it('sets a bit where a pixel is brighter than its right neighbour', () => {
    const falling = new Uint8Array(72);
    for (let row = 0; row < 8; row++) for (let col = 0; col < 9; col++) falling[row * 9 + col] = 255 - col * 10;
    expect(differenceHashOfGrey(falling)).toBe('f'.repeat(16));
    expect(differenceHashOfGrey(new Uint8Array(72))).toBe('0'.repeat(16));
    expect(differenceHashOfGrey(new Uint8Array(17 * 16), 16)).toBe('0'.repeat(64));
    expect(() => differenceHashOfGrey(new Uint8Array(10))).toThrow(/72 grey pixels/);
  });

  it('keeps near copies within the thresholds and distinct photos outside them', async () => {
    const originals = await Promise.all(Array.from({ length: 12 }, (_, i) => distinctPhoto(i + 1)));
    const hashes = await Promise.all(originals.map(photoHash));
    expect(hashes.every((h) => h.length === PHOTO_HASH_DIGITS)).toBe(true);
    expect(nearHashPairs(hashes, NEAR_DUPLICATE_BITS, NEAR_DUPLICATE_FINE_BITS)).toEqual([]);
    for (const kind of ['resize', 'reencode', 'crop', 'brightness'] as NearCopyKind[]) {
      const copy = await photoHash(await nearCopy(originals[3], kind));
      const pairs = nearHashPairs([...hashes, copy], NEAR_DUPLICATE_BITS, NEAR_DUPLICATE_FINE_BITS);
      expect(
        pairs.map((p) => [p.a, p.b]),
        kind,
      ).toEqual([[3, 12]]);
    }
  });
});

describe('near hash pairs', () => {
  const fine = (bits: string) => bits.padEnd(64, '0');
  it('needs both the coarse and the fine hash close', () => {
    const a = `0000000000000000${fine('')}`;
    const b = `8000000000000001${fine('')}`;
    const c = `0000000000000000${fine('ffff')}`;
    expect(nearHashPairs([a, b], 2, 0)).toEqual([{ a: 0, b: 1, distance: 2, fineDistance: 0 }]);
    expect(nearHashPairs([a, b], 1, 0)).toEqual([]);
    expect(nearHashPairs([a, c], 0, 15)).toEqual([]);
    expect(nearHashPairs([a, c], 0, 16)).toHaveLength(1);
    expect(hammingDistance('ffffffff', '0000000f')).toBe(28);
  });
});
