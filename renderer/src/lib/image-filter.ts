import type { Id, ImageFilter, ImageRow, Split } from '../../../common/contract';

/** The label half of a filter: every readable photo, unlabelled ones, one class, or the problem files. */
export type LabelChoice =
  | { kind: 'all' }
  | { kind: 'unlabelled' }
  | { kind: 'class'; classId: Id }
  | { kind: 'problems' };

/** The same split with another label choice; problem files have no split, so choosing them drops it. */
export function withLabel(filter: ImageFilter, choice: LabelChoice): ImageFilter {
  const split = splitOf(filter);
  if (choice.kind === 'problems' || split === undefined) return choice;
  return { ...choice, split };
}

/** The same label choice narrowed to `split` (undefined: any split); from problems it shows all. */
export function withSplit(filter: ImageFilter, split: Split | undefined): ImageFilter {
  const { split: _, ...label } = filter.kind === 'problems' ? { kind: 'all' as const } : filter;
  return split === undefined ? label : { ...label, split };
}

export function splitOf(filter: ImageFilter): Split | undefined {
  return filter.kind === 'problems' ? undefined : filter.split;
}

/** A stable name for a filter, e.g. to remember where the grid was under it. */
export function filterKey(filter: ImageFilter): string {
  const label = filter.kind === 'class' ? `class:${filter.classId}` : filter.kind;
  const split = splitOf(filter);
  return split === undefined ? label : `${label}/${split}`;
}

/**
 * Whether a row belongs under `filter` by its label, split and status, as `images:list` decides
 * (main/services/images.ts): labelled views hold readable photos only.
 */
export function rowMatches(row: Pick<ImageRow, 'status' | 'classId' | 'split'>, filter: ImageFilter): boolean {
  if (filter.kind === 'problems') return row.status === 'unreadable' || row.status === 'missing';
  if (row.status !== 'ok') return false;
  if (filter.split !== undefined && row.split !== filter.split) return false;
  if (filter.kind === 'unlabelled') return row.classId === null;
  if (filter.kind === 'class') return row.classId === filter.classId;
  return true;
}
