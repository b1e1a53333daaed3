// How model metrics and training settings read on screen.

import { formatDuration } from './format';

export const NO_VALUE = '—';

/** 0.8125 -> "81.3%". */
export function formatPercent(fraction: number | null): string {
  return fraction === null ? NO_VALUE : `${(fraction * 100).toFixed(1)}%`;
}

export function formatLoss(loss: number | null): string {
  return loss === null ? NO_VALUE : loss.toFixed(3);
}

/** A value of the comparison's metric table, named by its key ("val accuracy", "duration (s)", …). */
export function formatMetric(key: string, value: number | null): string {
  if (value === null) return NO_VALUE;
  if (/accuracy|F1/i.test(key)) return formatPercent(value);
  if (/loss/i.test(key)) return formatLoss(value);
  if (/duration/i.test(key)) return formatDuration(value);
  return String(value);
}

/** A training setting's value: numbers and flags as typed, anything else as JSON. */
export function formatSetting(value: unknown): string {
  if (value === undefined || value === null) return NO_VALUE;
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number' || typeof value === 'string') return String(value);
  return JSON.stringify(value);
}

/** A difference between two probabilities: tiny ones (float rounding) in scientific notation. */
export function formatProbabilityDifference(difference: number): string {
  return difference !== 0 && difference < 1e-3 ? difference.toExponential(1) : difference.toFixed(3);
}

/** Plain-words tooltips for the scores' jargon, shown where each is named. */
export const METRIC_HELP = {
  macroF1:
    'Macro F1: for each class, how well the model both finds its photos and avoids false alarms, averaged so every class counts the same however many photos it has. 100% is perfect.',
  logLoss:
    'Log loss: how much the model’s confidence was off, averaged over the photos. Lower is better; confident wrong answers raise it most.',
  maxProbabilityDifference:
    'max |Δp|: the largest difference between the exported file’s and Graft’s probability for any class of any checked photo. Near 0 means the export answers as Graft does.',
} as const;
