import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Id, Split } from '../../common/contract';
import type { ClassSnapshot, DatasetSnapshot, NamedPhoto, TrainingWarning } from '../../common/training';
import type { ServiceContext } from './context';
import { IN_SOURCE_DOMAIN } from './domains';
import type { SnapshotItem } from './experiments';
import { conflictedContent } from './same-content';

/** Below this many photos in a class, a model learns it poorly. */
export const MIN_PHOTOS_PER_CLASS = 5;
/** Largest to smallest class above this ratio is flagged as imbalanced. */
export const IMBALANCE_RATIO = 3;

/** Photos named in a warning: the first few, so a list of thousands stays readable. */
export const NAMED_PHOTOS = 50;

export interface TrainingData {
  items: SnapshotItem[];
  snapshot: DatasetSnapshot;
  /** Labelled photos left out because their content is in an open label conflict. */
  conflicted: NamedPhoto[];
  /** Each item's path below its source folder, by image id. */
  relPaths: Map<Id, string>;
}

/**
 * The labelled, readable photos of a project with their split, as a training run will see them.
 * Photos whose content is in a label conflict (or was excluded when resolving one) are left out,
 * and so are photos a person left out of training (dataset health's exclude fix).
 */
export function collectTrainingData(ctx: ServiceContext, projectId: Id): TrainingData {
  const classes = ctx.db
    .prepare('SELECT id, name, colour FROM classes WHERE project_id = ? ORDER BY sort_order, id')
    .all(projectId) as { id: Id; name: string; colour: string }[];
  const all = ctx.db
    .prepare(
      `SELECT i.id AS imageId, i.content_hash AS contentHash, i.rel_path AS relPath, l.class_id AS classId, s.split
       FROM images i JOIN labels l ON l.image_id = i.id JOIN splits s ON s.image_id = i.id
       WHERE i.project_id = ? AND i.status = 'ok'
         AND NOT EXISTS (SELECT 1 FROM training_exclusions x WHERE x.image_id = i.id)
         AND ${IN_SOURCE_DOMAIN}
       ORDER BY i.content_hash`,
    )
    .all(projectId) as { imageId: Id; contentHash: string; relPath: string; classId: Id; split: Split }[];
  const excluded = conflictedContent(ctx, projectId);
  const conflicted = all.flatMap((r) => {
    const conflict = excluded.get(r.contentHash);
    if (conflict?.status !== 'open') return [];
    const classes = conflict.classNames.map((n) => `“${n}”`).join(' and ');
    return [{ imageId: r.imageId, relPath: r.relPath, reason: `Copies of it are in folders of ${classes}.` }];
  });
  const rows = all.filter((r) => !excluded.has(r.contentHash));

  const counts = new Map<Id, ClassSnapshot['counts']>(classes.map((c) => [c.id, { train: 0, val: 0, test: 0 }]));
  for (const r of rows) counts.get(r.classId)![r.split]++;
  const used = classes.filter((c) => {
    const n = counts.get(c.id)!;
    return n.train + n.val + n.test > 0;
  });
  const hash = createHash('sha256');
  for (const r of rows) hash.update(`${r.contentHash}\t${r.classId}\t${r.split}\n`);
  return {
    items: rows.map((r) => ({
      imageId: r.imageId,
      contentHash: r.contentHash,
      name: path.posix.basename(r.relPath),
      classId: r.classId,
      split: r.split,
    })),
    snapshot: {
      classes: used.map((c) => ({ ...c, counts: counts.get(c.id)! })),
      hash: hash.digest('hex'),
      imageCount: rows.length,
    },
    conflicted,
    relPaths: new Map(rows.map((r) => [r.imageId, r.relPath])),
  };
}

/** Labelled photos of a project's new-domain (target) folders: they never enter a training run. */
function labelledNewDomainPhotos(ctx: ServiceContext, projectId: Id): number {
  return (
    ctx.db
      .prepare(
        `SELECT COUNT(*) AS n FROM images i JOIN labels l ON l.image_id = i.id
         WHERE i.project_id = ? AND i.status = 'ok' AND NOT (${IN_SOURCE_DOMAIN})`,
      )
      .get(projectId) as { n: number }
  ).n;
}

/** What to tell the user before training: problems that block it and biases worth knowing. */
export function trainingWarnings(ctx: ServiceContext, projectId: Id, data: TrainingData): TrainingWarning[] {
  const warnings: TrainingWarning[] = [];
  const classes = data.snapshot.classes;
  const total = (c: ClassSnapshot) => c.counts.train + c.counts.val + c.counts.test;
  if (classes.length < 2) {
    const newDomain = labelledNewDomainPhotos(ctx, projectId);
    warnings.push({
      level: 'error',
      code: 'TOO_FEW_CLASSES',
      message:
        newDomain > 0
          ? `Label training photos of at least two classes: the ${newDomain} labelled photos in folders marked as the new domain only measure adapted runs and never train. Mark a folder as training photos (source domain) or add one.`
          : 'Label photos of at least two classes to train a classifier.',
    });
  }
  for (const c of classes) {
    if (c.counts.train === 0) {
      warnings.push({
        level: 'error',
        code: 'TOO_FEW_PHOTOS',
        message: `“${c.name}” has no photos in the training split.`,
      });
    } else if (total(c) < MIN_PHOTOS_PER_CLASS) {
      warnings.push({
        level: 'warning',
        code: 'TOO_FEW_PHOTOS',
        message: `“${c.name}” has only ${total(c)} photos; ${MIN_PHOTOS_PER_CLASS * 4} or more make it much more reliable.`,
      });
    }
  }
  if (classes.length >= 2 && classes.every((c) => c.counts.val === 0)) {
    warnings.push({
      level: 'error',
      code: 'NO_VALIDATION',
      message:
        'No labelled photo is in the validation split, so the model cannot be evaluated. Generate a split first.',
    });
  }
  const heldOut = [
    { split: 'val' as const, words: 'validation' },
    { split: 'test' as const, words: 'test' },
  ];
  for (const { split, words } of heldOut) {
    // A split nobody has (no test split at all, or the NO_VALIDATION error) is not a per-class gap.
    if (!classes.some((c) => c.counts[split] > 0)) continue;
    const missing = classes.filter((c) => c.counts[split] === 0).map((c) => `“${c.name}”`);
    if (missing.length === 0) continue;
    warnings.push({
      level: 'warning',
      code: 'CLASS_NOT_HELD_OUT',
      message: `${missing.join(', ')} ${missing.length === 1 ? 'has' : 'have'} no ${words} photos, so ${missing.length === 1 ? 'it' : 'they'} cannot be scored there (shown as — and left out of macro F1). Move a few of ${missing.length === 1 ? 'its' : 'their'} photos to ${words}.`,
    });
  }
  const sizes = classes.map(total);
  if (sizes.length >= 2 && Math.min(...sizes) > 0 && Math.max(...sizes) / Math.min(...sizes) > IMBALANCE_RATIO) {
    const big = classes[sizes.indexOf(Math.max(...sizes))];
    const small = classes[sizes.indexOf(Math.min(...sizes))];
    warnings.push({
      level: 'warning',
      code: 'IMBALANCED',
      message: `Classes are imbalanced: “${big.name}” has ${total(big)} photos, “${small.name}” ${total(small)}. Class weighting compensates in training, but more photos of the small class help most.`,
    });
  }
  if (data.conflicted.length > 0) {
    const n = data.conflicted.length;
    warnings.push({
      level: 'warning',
      code: 'LABEL_CONFLICT',
      message: `${n} ${n === 1 ? 'photo appears' : 'photos appear'} in more than one class folder; ${n === 1 ? 'it is' : 'they are'} left out of training until you choose ${n === 1 ? 'its' : 'their'} class or exclude ${n === 1 ? 'it' : 'them'}.`,
      photos: data.conflicted.slice(0, NAMED_PHOTOS),
    });
  }
  const { unlabelled } = ctx.db
    .prepare(
      `SELECT COUNT(*) AS unlabelled FROM images i LEFT JOIN labels l ON l.image_id = i.id
       WHERE i.project_id = ? AND i.status = 'ok' AND l.class_id IS NULL`,
    )
    .get(projectId) as { unlabelled: number };
  if (unlabelled > 0) {
    warnings.push({ level: 'info', code: 'UNLABELLED', message: `${unlabelled} unlabelled photos will not be used.` });
  }
  return warnings;
}

/**
 * The snapshot's photos that failed to embed (`failures` by content hash, as the embedder
 * reports them), named with the embedder's reason, in path order.
 */
export function namedFailures(data: TrainingData, failures: { id: string; message: string }[]): NamedPhoto[] {
  const reasons = new Map(failures.map((f) => [f.id, f.message]));
  return data.items
    .filter((item) => reasons.has(item.contentHash))
    .map((item) => ({
      imageId: item.imageId,
      relPath: data.relPaths.get(item.imageId)!,
      reason: reasons.get(item.contentHash)!,
    }))
    .sort((a, b) => a.relPath.localeCompare(b.relPath));
}
