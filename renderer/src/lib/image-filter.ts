import type { Domain } from '../../../common/adaptation';
import type { Id, ImageFilter, ImageRow, Split } from '../../../common/contract';

/** The label half of a filter: every readable photo, unlabelled ones, one class, or the problem files. */
export type LabelChoice =
  | { kind: 'all' }
  | { kind: 'unlabelled' }
  | { kind: 'class'; classId: Id }
  | { kind: 'problems' };

/**
 * The same split and domain with another label choice; problem files have neither, so choosing
 * them drops both.
 */
export function withLabel(filter: ImageFilter, choice: LabelChoice): ImageFilter {
  if (choice.kind === 'problems') return choice;
  return narrowed(choice, splitOf(filter), domainOf(filter));
}

/** The same label choice and domain narrowed to `split` (undefined: any split); from problems it shows all. */
export function withSplit(filter: ImageFilter, split: Split | undefined): ImageFilter {
  return narrowed(labelOf(filter), split, domainOf(filter));
}

/** The same label choice and split narrowed to `domain` (undefined: any domain); from problems it shows all. */
export function withDomain(filter: ImageFilter, domain: Domain | undefined): ImageFilter {
  return narrowed(labelOf(filter), splitOf(filter), domain);
}

function labelOf(filter: ImageFilter): Exclude<LabelChoice, { kind: 'problems' }> {
  if (filter.kind === 'class') return { kind: 'class', classId: filter.classId };
  return { kind: filter.kind === 'unlabelled' ? 'unlabelled' : 'all' };
}

function narrowed(
  label: Exclude<LabelChoice, { kind: 'problems' }>,
  split: Split | undefined,
  domain: Domain | undefined,
): ImageFilter {
  return { ...label, ...(split === undefined ? {} : { split }), ...(domain === undefined ? {} : { domain }) };
}

export function splitOf(filter: ImageFilter): Split | undefined {
  return filter.kind === 'problems' ? undefined : filter.split;
}

export function domainOf(filter: ImageFilter): Domain | undefined {
  return filter.kind === 'problems' ? undefined : filter.domain;
}

/** A stable name for a filter, e.g. to remember where the grid was under it. */
export function filterKey(filter: ImageFilter): string {
  const label = filter.kind === 'class' ? `class:${filter.classId}` : filter.kind;
  return [label, splitOf(filter), domainOf(filter)].filter((part) => part !== undefined).join('/');
}

/**
 * Whether a row belongs under `filter` by its label, split and status, as `images:list` decides
 * (main/services/images.ts): labelled views hold readable photos only. A row does not carry its
 * domain and no label change moves a photo between domains, so the domain is not checked.
 */
export function rowMatches(row: Pick<ImageRow, 'status' | 'classId' | 'split'>, filter: ImageFilter): boolean {
  if (filter.kind === 'problems') return row.status === 'unreadable' || row.status === 'missing';
  if (row.status !== 'ok') return false;
  if (filter.split !== undefined && row.split !== filter.split) return false;
  if (filter.kind === 'unlabelled') return row.classId === null;
  if (filter.kind === 'class') return row.classId === filter.classId;
  return true;
}
