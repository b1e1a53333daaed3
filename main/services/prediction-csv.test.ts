import { describe, expect, it } from 'vitest';
import { neutraliseFormula } from './prediction-csv';

describe('neutraliseFormula', () => {
  it('prefixes formula-leading text with a quote and keeps plain numbers as numbers', () => {
    for (const cell of ['=1+2', '+A1', '-2+3', '@SUM(A1)', '\tx', '\rx', '-', '+-1', '=0.5'])
      expect(neutraliseFormula(cell), JSON.stringify(cell)).toBe(`'${cell}`);
    for (const cell of ['-0.5', '+3', '-12', '-1.5e-3', '0.912345', 'cat', 'a=b', ''])
      expect(neutraliseFormula(cell), JSON.stringify(cell)).toBe(cell);
  });
});
