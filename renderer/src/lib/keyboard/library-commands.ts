import type { Id } from '../../../../common/contract';
import { normaliseShortcut } from './class-shortcuts';

export type LibraryCommand =
  | { kind: 'assign'; classId: Id | null }
  | { kind: 'move'; by: 'photo' | 'row'; delta: 1 | -1 }
  | { kind: 'undo' }
  | { kind: 'redo' }
  | { kind: 'select-all' }
  | { kind: 'clear-selection' };

type KeyPress = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey'>;

const MOVES = new Map<string, LibraryCommand>([
  ['ArrowLeft', { kind: 'move', by: 'photo', delta: -1 }],
  ['ArrowRight', { kind: 'move', by: 'photo', delta: 1 }],
  ['ArrowUp', { kind: 'move', by: 'row', delta: -1 }],
  ['ArrowDown', { kind: 'move', by: 'row', delta: 1 }],
]);

/** Inputs that take no typed text, so library keys still work while they have focus. */
const KEYLESS_INPUTS = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'color']);

/** What a key press means on the labelling screen; null leaves it to the browser. */
export function commandForKey(press: KeyPress, keyForClass: ReadonlyMap<string, Id>): LibraryCommand | null {
  if (press.altKey) return null;
  const key = normaliseShortcut(press.key);
  const mod = press.ctrlKey || press.metaKey;
  if (key === 'z') return press.shiftKey ? { kind: 'redo' } : { kind: 'undo' };
  if (mod) {
    if (key === 'a') return { kind: 'select-all' };
    if (key === 'y') return { kind: 'redo' };
    return null;
  }
  const move = MOVES.get(press.key);
  if (move) return move;
  if (key === '0' || press.key === 'Backspace' || press.key === 'Delete') return { kind: 'assign', classId: null };
  if (press.key === 'Escape') return { kind: 'clear-selection' };
  const classId = keyForClass.get(key);
  return classId === undefined ? null : { kind: 'assign', classId };
}

/** Keys typed into a field belong to the field. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (target instanceof HTMLInputElement) return !KEYLESS_INPUTS.has(target.type);
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT';
}

/** While a dialog is open, the keys are the dialog's. */
export function isModalOpen(): boolean {
  return document.querySelector('[aria-modal="true"]') !== null;
}
