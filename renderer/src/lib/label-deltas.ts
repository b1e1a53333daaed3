import type { ClassInfo, LabelDelta } from '../../../common/contract';

/** Class counts after `changes`, without asking the server: each photo leaves `from` and joins `to`. */
export function countAfter(classes: readonly ClassInfo[], changes: readonly LabelDelta[]): ClassInfo[] {
  const delta = new Map<number, number>();
  for (const { from, to } of changes) {
    if (from !== null) delta.set(from, (delta.get(from) ?? 0) - 1);
    if (to !== null) delta.set(to, (delta.get(to) ?? 0) + 1);
  }
  return classes.map((c) => (delta.has(c.id) ? { ...c, count: c.count + (delta.get(c.id) ?? 0) } : c));
}

/** How many more photos are labelled after `changes` (negative when labels were removed). */
export function labelledDelta(changes: readonly LabelDelta[]): number {
  let n = 0;
  for (const { from, to } of changes) n += Number(to !== null) - Number(from !== null);
  return n;
}
