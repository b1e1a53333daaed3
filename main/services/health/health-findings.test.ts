import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../common/seeded-random';
import { type FindingInputs, healthFindings } from './health-findings';
import type { HealthPhotoRow } from './health-photos';

const CLASSES = [
  { id: 1, name: 'cats' },
  { id: 2, name: 'dogs' },
];

/** 40 photos, 20 per class, with clustered 8-d embeddings and distinct dHashes. */
function inputs(): FindingInputs {
  const random = seededRandom(5);
  const photos: HealthPhotoRow[] = [];
  const vectors = new Map<string, Float32Array>();
  const hashes = new Map<string, string>();
  for (let i = 0; i < 40; i++) {
    const classId = i < 20 ? 1 : 2;
    const contentHash = `h${i}`;
    photos.push({
      imageId: i + 1,
      contentHash,
      relPath: `p${i}.jpg`,
      classId,
      className: classId === 1 ? 'cats' : 'dogs',
      split: i % 5 === 0 ? 'val' : 'train',
      origin: 'user',
      width: 640,
      height: 480,
    });
    vectors.set(
      contentHash,
      Float32Array.from({ length: 8 }, (_, d) => (d % 2 === classId - 1 ? 2 : 0) + random() - 0.5),
    );
    // Hashes far apart: distinct pseudo-random bits per photo, coarse and fine.
    const random16 = () => Math.floor(random() * 16).toString(16);
    hashes.set(contentHash, Array.from({ length: 80 }, random16).join(''));
  }
  return { photos, conflicts: [], hashes, vectors, classes: CLASSES };
}

const kinds = (f: { kind: string }[]) => f.map((x) => x.kind);

describe('health findings', () => {
  it('finds nothing on clean, balanced, distinct photos', () => {
    expect(healthFindings(inputs(), new Set())).toEqual([]);
  });

  it('a flipped label is a likely mislabel suggesting the other class; keeping it hides it', () => {
    const data = inputs();
    data.photos[3] = { ...data.photos[3], classId: 2, className: 'dogs' };
    const [found] = healthFindings(data, new Set());
    expect(found).toMatchObject({ kind: 'likely-mislabel', suggestedClassId: 1, key: 'likely-mislabel:4:2' });
    expect(healthFindings(data, new Set([found.key]))).toEqual([]);
  });

  it('doubted labels are notes worth a second look, likeliest first, with the model’s confidence and their rank', () => {
    const data = inputs();
    data.photos[3] = { ...data.photos[3], classId: 2, className: 'dogs' };
    // A photo half-way between the classes: doubted less than a clear cat labelled dog.
    data.vectors.set(
      'h25',
      Float32Array.from({ length: 8 }, () => 1),
    );
    const doubted = healthFindings(data, new Set()).filter((f) => f.kind === 'likely-mislabel');
    expect(doubted[0].photos[0].imageId).toBe(4);
    expect(doubted.map((f) => f.severity)).toEqual(doubted.map(() => 'info'));
    expect(doubted[0].title).toBe('Worth a second look: labelled “dogs”, the model leans to “cats”');
    expect(doubted[0].detail).toMatch(
      new RegExp(`^1 of ${doubted.length}, likeliest first\\. .*“cats” \\d+% and “dogs” \\d+%`),
    );
  });

  it('equal hashes across train and val are leakage', () => {
    const data = inputs();
    // h0 is in val, h1 in train: the same picture would leak.
    data.hashes.set('h1', data.hashes.get('h0')!);
    expect(kinds(healthFindings(data, new Set()))).toEqual(['leakage']);
  });

  it('a photo far from every class is an outlier', () => {
    const data = inputs();
    data.vectors.set(
      'h7',
      Float32Array.from({ length: 8 }, (_, d) => (d < 4 ? -6 : 6)),
    );
    const outliers = healthFindings(data, new Set()).filter((f) => f.kind === 'outlier');
    expect(outliers.map((f) => f.photos[0].imageId)).toEqual([8]);
  });

  it('flags imbalance beyond the training rule and odd sizes', () => {
    const data = inputs();
    data.photos = data.photos.filter((p) => p.classId === 1 || p.imageId > 36);
    data.photos[0] = { ...data.photos[0], width: 1200, height: 300 };
    const found = healthFindings(data, new Set());
    expect(kinds(found)).toEqual(expect.arrayContaining(['class-imbalance', 'odd-photo']));
    expect(found.find((f) => f.kind === 'odd-photo')!.photos[0].imageId).toBe(1);
  });
});
