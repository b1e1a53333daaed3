import { describe, expect, it } from 'vitest';
import type { ClassInfo } from '../../../../common/contract';
import { classShortcuts } from './class-shortcuts';
import { commandForKey, isTypingTarget } from './library-commands';

const press = (key: string, mods: Partial<Record<'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey', boolean>> = {}) => ({
  key,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...mods,
});

const cls = (id: number, order: number, shortcut: string | null = null): ClassInfo => ({
  id,
  projectId: 1,
  name: `c${id}`,
  colour: '#000000',
  shortcut,
  order,
  count: 0,
});

describe('library keys', () => {
  const keys = new Map([
    ['1', 10],
    ['2', 20],
    ['q', 30],
  ]);

  it('maps class keys, 0/Backspace, arrows, undo and redo', () => {
    expect(commandForKey(press('1'), keys)).toEqual({ kind: 'assign', classId: 10 });
    expect(commandForKey(press('Q'), keys)).toEqual({ kind: 'assign', classId: 30 });
    expect(commandForKey(press('0'), keys)).toEqual({ kind: 'assign', classId: null });
    expect(commandForKey(press('Backspace'), keys)).toEqual({ kind: 'assign', classId: null });
    expect(commandForKey(press('ArrowDown'), keys)).toEqual({ kind: 'move', by: 'row', delta: 1 });
    expect(commandForKey(press('ArrowLeft'), keys)).toEqual({ kind: 'move', by: 'photo', delta: -1 });
    expect(commandForKey(press('z'), keys)).toEqual({ kind: 'undo' });
    expect(commandForKey(press('Z', { shiftKey: true }), keys)).toEqual({ kind: 'redo' });
    expect(commandForKey(press('y', { ctrlKey: true }), keys)).toEqual({ kind: 'redo' });
    expect(commandForKey(press('a', { metaKey: true }), keys)).toEqual({ kind: 'select-all' });
  });

  it('leaves other keys and modified keys to the browser', () => {
    expect(commandForKey(press('5'), keys)).toBeNull();
    expect(commandForKey(press('c', { ctrlKey: true }), keys)).toBeNull();
    expect(commandForKey(press('1', { altKey: true }), keys)).toBeNull();
  });

  it('gives classes 1..9 by order unless they chose a key, and explicit keys win', () => {
    const shortcuts = classShortcuts([cls(1, 0), cls(2, 1, '1'), cls(3, 2)]);
    expect(shortcuts.get(2)).toBe('1');
    expect(shortcuts.has(1)).toBe(false);
    expect(shortcuts.get(3)).toBe('3');
  });

  it('treats text fields, not checkboxes, as typing targets', () => {
    const text = document.createElement('input');
    const checkbox = document.createElement('input');
    checkbox.type = 'checkbox';
    expect(isTypingTarget(text)).toBe(true);
    expect(isTypingTarget(checkbox)).toBe(false);
    expect(isTypingTarget(document.createElement('button'))).toBe(false);
  });
});
