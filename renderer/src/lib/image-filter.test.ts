import { describe, expect, it } from 'vitest';
import { domainOf, filterKey, withDomain, withLabel, withSplit } from './image-filter';

describe('image filter halves', () => {
  it('keeps the split and the domain when the label choice changes, and drops both for problems', () => {
    const narrowed = { kind: 'all', split: 'val', domain: 'target' } as const;
    expect(withLabel(narrowed, { kind: 'class', classId: 3 })).toEqual({
      kind: 'class',
      classId: 3,
      split: 'val',
      domain: 'target',
    });
    expect(withLabel(narrowed, { kind: 'problems' })).toEqual({ kind: 'problems' });
  });

  it('keeps the label choice and the other half when the split or the domain changes', () => {
    const cats = { kind: 'class', classId: 3, split: 'train' } as const;
    expect(withDomain(cats, 'source')).toEqual({ ...cats, domain: 'source' });
    expect(withSplit(withDomain(cats, 'source'), undefined)).toEqual({ kind: 'class', classId: 3, domain: 'source' });
    expect(withDomain({ kind: 'unlabelled', domain: 'target' }, undefined)).toEqual({ kind: 'unlabelled' });
    expect(withDomain({ kind: 'problems' }, 'target')).toEqual({ kind: 'all', domain: 'target' });
    expect(domainOf({ kind: 'problems' })).toBeUndefined();
  });

  it('names each combination differently', () => {
    const keys = [
      { kind: 'all' },
      { kind: 'all', domain: 'target' },
      { kind: 'all', split: 'val' },
      { kind: 'all', split: 'val', domain: 'source' },
      { kind: 'class', classId: 1, domain: 'source' },
    ] as const;
    expect(new Set(keys.map(filterKey)).size).toBe(keys.length);
    expect(filterKey({ kind: 'all', split: 'val' })).toBe('all/val');
  });
});
