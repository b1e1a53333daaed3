// How numbers and dates read on screen.

const count = new Intl.NumberFormat();

export const formatCount = (n: number): string => count.format(n);

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * A guessed duration in seconds, rounded as far as a guess deserves: to 5 s under a minute, to the
 * minute under an hour, then to 5 minutes ("about 3 min", not "about 3 min 9 s").
 */
export function formatEstimate(seconds: number): string {
  const step = seconds < 57.5 ? 5 : seconds < 3570 ? 60 : 300;
  const rounded = Math.max(5, Math.round(seconds / step) * step);
  return formatDuration(rounded).replace(/ 0 (s|min)$/, '');
}

export function formatDate(iso: string | null): string {
  if (!iso) return 'never';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A split's name in prose ("validation photos"). */
export const SPLIT_NAMES = { train: 'training', val: 'validation', test: 'test' } as const;
