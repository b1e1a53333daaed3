import { describe, expect, it } from 'vitest';
import { CLASS_PALETTE } from '../../../common/class-palette';
import { textColourOn } from './class-colour';

/** WCAG 2.x contrast ratio of two `#rrggbb` colours. */
function contrast(a: string, b: string): number {
  const lum = (hex: string) => {
    const [r, g, b] = [1, 3, 5].map((i) => {
      const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

describe('class tag colours', () => {
  it('writes black on light colours and white on dark ones', () => {
    expect(textColourOn('#f0e442')).toBe('#000000');
    expect(textColourOn('#000000')).toBe('#ffffff');
    expect(textColourOn('#FFFFFF')).toBe('#000000');
    expect(textColourOn('not a colour')).toBe('#ffffff');
  });

  it('keeps every palette colour’s tag readable (contrast at least 4.5:1, WCAG AA)', () => {
    for (const colour of CLASS_PALETTE) {
      expect(contrast(colour, textColourOn(colour)), colour).toBeGreaterThanOrEqual(4.5);
    }
  });
});
