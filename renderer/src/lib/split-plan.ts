import type { SplitCounts, SplitSummary } from '../../../common/contract';

export const totalOf = (c: SplitCounts): number => c.train + c.val + c.test;

/** What "Generate" would do to the labelled photos, read from the split summary. */
export interface GeneratePlan {
  /** Photos whose split came from folder names or a person's move: kept unless replaced. */
  kept: number;
  /** Photos a plain generate redistributes: no split yet, or a generated one. */
  free: number;
}

export function generatePlan(summary: SplitSummary): GeneratePlan {
  const { folders, generated, byHand } = summary.sources;
  return { kept: totalOf(folders) + totalOf(byHand), free: totalOf(generated) + summary.unassigned };
}

/** How many photos carving `fraction` of each class's train+val into test moves (rounded per class). */
export function carveCount(summary: SplitSummary, fraction: number): number {
  return summary.perClass.reduce((sum, c) => sum + Math.round((c.train + c.val) * fraction), 0);
}

/** "120 train · 30 val · 0 test" */
export function describeCounts(c: SplitCounts): string {
  return `${c.train.toLocaleString('en')} train · ${c.val.toLocaleString('en')} val · ${c.test.toLocaleString('en')} test`;
}
