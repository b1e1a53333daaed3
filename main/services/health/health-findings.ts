import type { Id, LabelConflict, Split } from '../../../common/contract';
import type { HealthFinding, HealthPhoto } from '../../../common/health';
import { outOfFoldScores } from '../../ml/health/class-scores';
import { likelyMislabels } from '../../ml/health/confident-learning';
import { nearHashPairs } from '../../ml/health/hash-pairs';
import { farFromEveryClass } from '../../ml/health/outliers';
import { IMBALANCE_RATIO } from '../training-data';
import type { HealthPhotoRow } from './health-photos';

/**
 * Near copies: coarse (64-bit) dHashes within NEAR_DUPLICATE_BITS and fine (256-bit) dHashes
 * within NEAR_DUPLICATE_FINE_BITS. Measured by `npm run bench -- health` with 50 planted copies
 * (half size, JPEG quality 40, 4% crop per side, 15% brighter): the coarse hash alone at 10 bits
 * finds 49/50 on hymenoptera with no pair of originals, but pairs 725 look-alike PACS photos
 * (posed portraits); the fine hash removes most of those while keeping crops, which move it most.
 * See docs/BENCHMARKS.md.
 */
export const NEAR_DUPLICATE_BITS = 10;
export const NEAR_DUPLICATE_FINE_BITS = 64;
/** A photo whose shorter side is below this (pixels) is upscaled more than 2× to the 224-pixel input. */
export const TINY_SIDE = 112;
/** Longer over shorter side above this: the square centre crop keeps under a third of the photo. */
export const EXTREME_ASPECT = 3;
/** Most likely-mislabel findings listed; the list is ranked, so the first are the likeliest. */
export const MAX_MISLABELS = 200;

/** What the findings are computed from; `hashes` and `vectors` are by content hash, absent where not cached. */
export interface FindingInputs {
  photos: HealthPhotoRow[];
  conflicts: LabelConflict[];
  hashes: Map<string, string>;
  vectors: Map<string, Float32Array>;
  classes: { id: Id; name: string }[];
}

function photoOf(p: HealthPhotoRow): HealthPhoto {
  return { imageId: p.imageId, relPath: p.relPath, classId: p.classId, className: p.className, split: p.split };
}

function finding(f: Omit<HealthFinding, 'suggestedClassId' | 'moveTo' | 'conflictId'> & Partial<HealthFinding>) {
  return { suggestedClassId: null, moveTo: null, conflictId: null, ...f } as HealthFinding;
}

function conflictFindings(conflicts: LabelConflict[]): HealthFinding[] {
  return conflicts
    .filter((c) => c.status === 'open')
    .map((c) =>
      finding({
        key: `label-conflict:${c.id}`,
        kind: 'label-conflict',
        severity: 'error',
        title: `The same photo is in folders of ${[...new Set(c.copies.map((k) => `“${k.className}”`))].join(' and ')}`,
        detail:
          'Its copies claim different classes, so it is left out of training until you choose its class or exclude it.',
        photos: c.copies.map((k) => ({
          imageId: k.imageId,
          relPath: k.relPath,
          classId: k.classId,
          className: k.className,
          split: null,
        })),
        fixes: ['relabel', 'exclude'],
        conflictId: c.id,
      }),
    );
}

/** Groups of photos linked by near-copy pairs (union–find), each group's rows in ascending order. */
function nearCopyGroups(photos: HealthPhotoRow[], hashes: Map<string, string>): number[][] {
  const rows = photos.flatMap((p, i) => (hashes.has(p.contentHash) ? [i] : []));
  const pairs = nearHashPairs(
    rows.map((i) => hashes.get(photos[i].contentHash)!),
    NEAR_DUPLICATE_BITS,
    NEAR_DUPLICATE_FINE_BITS,
  );
  const parent = rows.map((_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  for (const { a, b } of pairs) parent[root(a)] = root(b);
  const groups = new Map<number, Set<number>>();
  for (const { a, b } of pairs) {
    for (const i of [a, b]) {
      const r = root(i);
      if (!groups.has(r)) groups.set(r, new Set());
      groups.get(r)!.add(rows[i]);
    }
  }
  return [...groups.values()].map((g) => [...g].sort((x, y) => x - y));
}

function duplicateFindings(photos: HealthPhotoRow[], hashes: Map<string, string>): HealthFinding[] {
  return nearCopyGroups(photos, hashes).map((group) => {
    const members = group.map((i) => photos[i]);
    const ids = members.map((p) => p.imageId).sort((a, b) => a - b);
    const splits = new Set<Split>(members.map((p) => p.split));
    const labels = new Set(members.map((p) => p.classId));
    const leak = splits.has('train') && splits.size > 1;
    const held = members.filter((p) => p.split !== 'train').map((p) => p.imageId);
    const differing = labels.size > 1 ? ' Their labels differ too: choose one class.' : '';
    return finding({
      key: `${leak ? 'leakage' : 'near-duplicate'}:${ids.join(',')}`,
      kind: leak ? 'leakage' : 'near-duplicate',
      severity: leak ? 'error' : 'info',
      title: leak
        ? `${members.length} near copies in training and ${[...splits].filter((s) => s !== 'train').join(' and ')}`
        : `${members.length} near copies in ${[...splits].join(' and ')}`,
      detail:
        (leak
          ? 'The model sees one copy while training and is scored on the other: leakage that makes the score look better than it is. Move the held-out copies to train or exclude them.'
          : 'Near copies count twice in training; keep them if they are meant as separate photos.') + differing,
      photos: members.map(photoOf),
      fixes: leak ? ['move-split', 'exclude', 'relabel', 'keep'] : ['exclude', 'relabel', 'keep'],
      moveTo: leak ? { imageIds: held, split: 'train' } : null,
    });
  });
}

function embeddingFindings(inputs: FindingInputs): HealthFinding[] {
  const rows = inputs.photos.filter((p) => inputs.vectors.has(p.contentHash));
  const classIndex = new Map(inputs.classes.map((c, i) => [c.id, i]));
  if (rows.length < 10 || new Set(rows.map((p) => p.classId)).size < 2) return [];
  const dim = inputs.vectors.get(rows[0].contentHash)!.length;
  const vectors = new Float32Array(rows.length * dim);
  for (const [i, p] of rows.entries()) vectors.set(inputs.vectors.get(p.contentHash)!, i * dim);
  const labels = Int32Array.from(rows, (p) => classIndex.get(p.classId)!);
  const scores = outOfFoldScores({ vectors, dim, labels, classCount: inputs.classes.length });
  const doubted = likelyMislabels(scores.probabilities, labels, inputs.classes.length);
  const mislabels = doubted.slice(0, MAX_MISLABELS).map((m, rank) => {
    const p = rows[m.row];
    const other = inputs.classes[m.suggested];
    const percent = (x: number) => `${Math.round(x * 100)}%`;
    return finding({
      key: `likely-mislabel:${p.imageId}:${p.classId}`,
      kind: 'likely-mislabel',
      // A suggestion, not a verdict: on a backbone that separates the classes weakly most of
      // these are hard photos, not wrong labels (docs/BENCHMARKS.md, dataset health).
      severity: 'info',
      title: `Worth a second look: labelled “${p.className}”, the model leans to “${other.name}”`,
      detail: `${rank + 1} of ${doubted.length}, likeliest first. Compared, without this photo, with the typical photo of each class, the model gives “${other.name}” ${percent(m.selfConfidence + m.margin)} and “${p.className}” ${percent(m.selfConfidence)}. Often a hard or unusual photo rather than a wrong label: relabel it if the label is wrong, else keep it.`,
      photos: [photoOf(p)],
      fixes: ['relabel', 'exclude', 'keep'],
      suggestedClassId: other.id,
    });
  });
  const outliers = farFromEveryClass(scores.nearestCentroid).map(({ row }) => {
    const p = rows[row];
    return finding({
      key: `outlier:${p.imageId}`,
      kind: 'outlier',
      severity: 'info',
      title: `Unlike every class: ${p.relPath}`,
      detail: 'Far from the typical photo of every class: another subject, a blank or a broken picture?',
      photos: [photoOf(p)],
      fixes: ['exclude', 'relabel', 'keep'],
    });
  });
  return [...mislabels, ...outliers];
}

function imbalanceFindings(photos: HealthPhotoRow[], classes: { id: Id; name: string }[]): HealthFinding[] {
  const counts = classes
    .map((c) => ({ ...c, n: photos.filter((p) => p.classId === c.id).length }))
    .filter((c) => c.n > 0);
  if (counts.length < 2) return [];
  const big = counts.reduce((a, b) => (b.n > a.n ? b : a));
  const small = counts.reduce((a, b) => (b.n < a.n ? b : a));
  if (big.n / small.n <= IMBALANCE_RATIO) return [];
  return [
    finding({
      key: `class-imbalance:${big.id}:${small.id}`,
      kind: 'class-imbalance',
      severity: 'warning',
      title: `“${big.name}” has ${big.n} photos, “${small.name}” only ${small.n}`,
      detail: `More than ${IMBALANCE_RATIO}× apart: class weighting compensates in training, but more photos of the small class help most.`,
      photos: [],
      fixes: ['keep'],
    }),
  ];
}

function oddPhotoFindings(photos: HealthPhotoRow[]): HealthFinding[] {
  return photos.flatMap((p) => {
    if (p.width === null || p.height === null) return [];
    const short = Math.min(p.width, p.height);
    const aspect = Math.max(p.width, p.height) / Math.max(1, short);
    const why =
      short < TINY_SIDE
        ? `only ${p.width}×${p.height} pixels: enlarged more than 2× for the model`
        : aspect > EXTREME_ASPECT
          ? `${p.width}×${p.height} pixels: the square the model sees keeps under a third of it`
          : null;
    if (!why) return [];
    return [
      finding({
        key: `odd-photo:${p.imageId}`,
        kind: 'odd-photo',
        severity: 'info',
        title: `${p.relPath} is ${why.split(':')[0]}`,
        detail: `This photo is ${why}.`,
        photos: [photoOf(p)],
        fixes: ['exclude', 'keep'],
      }),
    ];
  });
}

/**
 * Every finding of dataset health, most serious first: label conflicts and leakage (errors),
 * imbalance (a warning), then notes: labels worth a second look (likeliest first), near copies
 * within a split, outliers and odd photos. Findings whose key is in `kept` are left out. Near copies need `hashes`; likely
 * mislabels and outliers need `vectors` of at least 10 photos of two classes.
 */
export function healthFindings(inputs: FindingInputs, kept: ReadonlySet<string>): HealthFinding[] {
  const order = { error: 0, warning: 1, info: 2 };
  return [
    ...conflictFindings(inputs.conflicts),
    ...duplicateFindings(inputs.photos, inputs.hashes),
    ...embeddingFindings(inputs),
    ...imbalanceFindings(inputs.photos, inputs.classes),
    ...oddPhotoFindings(inputs.photos),
  ]
    .filter((f) => !kept.has(f.key))
    .sort((a, b) => order[a.severity] - order[b.severity]);
}
