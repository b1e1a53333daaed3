import { describe, expect, it } from 'vitest';
import { parseCommandLine } from './parse-command-line';
import { trainConfigOptions } from './train-command';

function options(...argv: string[]) {
  const line = parseCommandLine(['train', '--project', 'P', ...argv]);
  if (line.kind !== 'run') throw new Error('not a run');
  return trainConfigOptions(line);
}

describe('graft train options', () => {
  it('takes the technique and, for fine-tuning, how many blocks to unfreeze', () => {
    expect(options()).toEqual({});
    expect(options('--technique', 'fine-tune', '--unfreeze', '3', '--seed', '4')).toEqual({
      technique: 'fine-tune',
      unfreezeBlocks: 3,
      seed: 4,
    });
    expect(options('--technique', 'feature-extraction', '--backbone', 'b')).toEqual({
      technique: 'feature-extraction',
      backboneId: 'b',
    });
  });

  it('refuses an unknown technique, a block count out of range, and --unfreeze without fine-tuning', () => {
    expect(() => options('--technique', 'domain')).toThrow('--technique is feature-extraction or fine-tune');
    expect(() => options('--technique', 'fine-tune', '--unfreeze', '0')).toThrow(/--unfreeze takes a whole number/);
    // A negative number is a value out of range, not a missing value.
    expect(() => options('--technique', 'fine-tune', '--unfreeze', '-1')).toThrow(/--unfreeze takes a whole number/);
    expect(() => options('--seed', '-5')).toThrow(/--seed takes a whole number/);
    expect(() => options('--unfreeze', '2')).toThrow('--unfreeze needs --technique fine-tune');
  });
});
