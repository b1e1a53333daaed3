import { describe, expect, it } from 'vitest';
import { formatEstimate } from './format';

describe('formatEstimate', () => {
  it('rounds a guess as far as it deserves: 5 s, then minutes, then 5 minutes', () => {
    const cases: [number, string][] = [
      [0, '5 s'],
      [2.4, '5 s'],
      [12, '10 s'],
      [58, '1 min'],
      [189, '3 min'],
      [215, '4 min'],
      [3590, '1 h'],
      [3900, '1 h 5 min'],
      [7300, '2 h'],
    ];
    expect(cases.map(([s]) => formatEstimate(s))).toEqual(cases.map(([, text]) => text));
  });
});
