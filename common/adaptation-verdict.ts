// Whether an adaptation helped on the new-domain photos, in the words both the Adapt view and
// `graft adapt` show (issue 8): one judgement, so the two never disagree.
import type { AdaptationMethod, AdaptationReport, AdaptationSummary } from './adaptation';

/** Each method in words, for run names, menus and reports. */
export const ADAPTATION_METHOD_WORDS: Record<AdaptationMethod, string> = {
  standardise: 'feature standardising',
  coral: 'CORAL',
  'self-train': 'self-training',
  'standardise+self-train': 'feature standardising + self-training',
  'coral+self-train': 'CORAL + self-training',
  adabn: 'AdaBN',
  'adabn+self-train': 'AdaBN + self-training',
};

/**
 * `better`/`worse`/`same`: measured on labelled new-domain photos; `unsure`: no such labels, so
 * only label-free signs were read.
 */
export type AdaptationVerdictKind = 'better' | 'worse' | 'same' | 'unsure';

export interface AdaptationVerdict {
  kind: AdaptationVerdictKind;
  /** One or two sentences: the judgement and what to do. */
  text: string;
  /** Side effects worth knowing that do not change the judgement (e.g. the training domain got worse). */
  cautions: string[];
}

/** Drop in the training domain's validation accuracy (0..1) worth a caution: one point. */
const SOURCE_VAL_TOLERANCE = 0.01;
/** Relative change in a label-free measure below which it counts as unchanged: 1%. */
const RELATIVE_TOLERANCE = 0.01;

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

function changed(before: number, after: number): -1 | 0 | 1 {
  const scale = Math.max(Math.abs(before), Math.abs(after), 1e-9);
  if (Math.abs(after - before) / scale <= RELATIVE_TOLERANCE) return 0;
  return after > before ? 1 : -1;
}

/** Label-free signs for or against the adapted model on the new photos; positive favours it. */
function labelFreeSigns(report: Pick<AdaptationReport, 'before' | 'after'>): { score: number; signs: string[] } {
  const { before, after } = report;
  const signs: string[] = [];
  let score = 0;
  const confidence = changed(before.target.meanConfidence, after.target.meanConfidence);
  if (confidence !== 0) {
    score += confidence;
    signs.push(
      `mean confidence on the new photos ${confidence > 0 ? 'rose' : 'fell'} (${pct(before.target.meanConfidence)} → ${pct(after.target.meanConfidence)})`,
    );
  }
  const entropy = changed(before.target.meanEntropy, after.target.meanEntropy);
  if (entropy !== 0) {
    score -= entropy;
    signs.push(
      `its answers are ${entropy < 0 ? 'less' : 'more'} spread over classes (mean entropy ${before.target.meanEntropy.toFixed(3)} → ${after.target.meanEntropy.toFixed(3)})`,
    );
  }
  const distance = changed(before.domainDistance, after.domainDistance);
  if (distance !== 0) {
    score -= distance;
    signs.push(
      `the new photos' features moved ${distance < 0 ? 'closer to' : 'further from'} the training photos' (domain distance ${before.domainDistance.toFixed(3)} → ${after.domainDistance.toFixed(3)})`,
    );
  }
  return { score, signs };
}

/**
 * Judges an adaptation by what it is for, the new-domain photos. With labelled new-domain photos
 * (target test): better or worse when the adapted run gets more than one photo more or fewer right
 * than the source-only run, else the same. Without them: `unsure`, reporting the label-free signs
 * (mean confidence, mean entropy, domain distance; a change under 1% is no change) and asking for a
 * few labelled new-domain photos. A training-domain validation accuracy more than one point lower
 * is a caution, never the verdict: the adapted run is meant for the new photos.
 */
export function adaptationVerdict(report: Pick<AdaptationReport, 'before' | 'after'>): AdaptationVerdict {
  const { before, after } = report;
  const cautions: string[] = [];
  if (
    before.sourceVal &&
    after.sourceVal &&
    after.sourceVal.accuracy < before.sourceVal.accuracy - SOURCE_VAL_TOLERANCE
  ) {
    cautions.push(
      `On the training photos' validation set it is less accurate (${pct(before.sourceVal.accuracy)} → ${pct(after.sourceVal.accuracy)}): for photos like the training ones, keep using the source run.`,
    );
  }
  if (before.targetTest && after.targetTest) {
    const count = after.targetTest.count;
    const gained =
      Math.round(after.targetTest.accuracy * count) - Math.round(before.targetTest.accuracy * before.targetTest.count);
    const scores = `${pct(before.targetTest.accuracy)} → ${pct(after.targetTest.accuracy)} of ${count} labelled new-domain photos`;
    if (gained > 1) {
      return {
        kind: 'better',
        text: `The adapted run is better on the new photos (${scores}, ${gained} more right). Use it for photos like these.`,
        cautions,
      };
    }
    if (gained < -1) {
      return {
        kind: 'worse',
        text: `The adapted run is worse on the new photos (${scores}, ${-gained} fewer right). Keep using the source run for these photos.`,
        cautions,
      };
    }
    return {
      kind: 'same',
      text: `The adapted run is no better on the new photos (${scores}, within one photo).`,
      cautions,
    };
  }
  const { score, signs } = labelFreeSigns(report);
  const lean =
    signs.length === 0
      ? 'Nothing label-free changed measurably.'
      : `${score > 0 ? 'Signs point to better' : score < 0 ? 'Signs point to worse' : 'The signs are mixed'}: ${signs.join('; ')}.`;
  return {
    kind: 'unsure',
    text: `${lean} This cannot be sure without a few labelled new-domain photos — label some (their labels only measure, never train) to measure the adapted run.`,
    cautions,
  };
}

/**
 * An adapted run's accuracy on the new domain in words: "64.0% of 100 labelled new-domain photos",
 * or that it was not measured because no new-domain photo carries a label.
 */
export function newDomainAccuracyText(targetTest: AdaptationSummary['targetTest']): string {
  return targetTest
    ? `${pct(targetTest.accuracy)} of ${targetTest.count} labelled new-domain photos`
    : 'not measured (no labelled new-domain photos)';
}
