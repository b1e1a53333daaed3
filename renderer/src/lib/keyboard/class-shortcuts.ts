import type { ClassInfo, Id } from '../../../../common/contract';

/** One key, 1–9 or a letter; 0 (remove label) and Z (undo) belong to the library. */
const SHORTCUT_PATTERN = /^[a-y1-9]$/i;

export const normaliseShortcut = (key: string): string => key.toLowerCase();

/**
 * The key that labels each class: its own shortcut if set, else 1..9 by order.
 * A key claimed explicitly wins over the same key given by default.
 */
export function classShortcuts(classes: readonly ClassInfo[]): Map<Id, string> {
  const byClass = new Map<Id, string>();
  const taken = new Set<string>();
  for (const c of classes) {
    if (c.shortcut && !taken.has(normaliseShortcut(c.shortcut))) {
      byClass.set(c.id, normaliseShortcut(c.shortcut));
      taken.add(normaliseShortcut(c.shortcut));
    }
  }
  const ordered = [...classes].sort((a, b) => a.order - b.order);
  ordered.forEach((c, index) => {
    const key = String(index + 1);
    if (!c.shortcut && index < 9 && !taken.has(key)) {
      byClass.set(c.id, key);
      taken.add(key);
    }
  });
  return byClass;
}

/** Why a key cannot be a class shortcut, or null when it can. */
export function shortcutProblem(key: string): string | null {
  return SHORTCUT_PATTERN.test(key)
    ? null
    : 'A shortcut is one key: 1–9 or a letter other than Z (0 removes a label, Z undoes).';
}
