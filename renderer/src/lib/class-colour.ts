/** sRGB channel (0–255) to linear light, per WCAG 2.x relative luminance. */
function linear(channel: number): number {
  const c = channel / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/**
 * Black or white, whichever contrasts more with `background` (`#rrggbb`), by WCAG 2.x relative
 * luminance and contrast ratio (https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio). A colour that
 * cannot be read falls back to white on the caller's colour.
 */
export function textColourOn(background: string): '#000000' | '#ffffff' {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(background);
  if (!match) return '#ffffff';
  const [r, g, b] = match.slice(1).map((h) => linear(Number.parseInt(h, 16)));
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  // Contrast with black (L + 0.05) / 0.05 against white 1.05 / (L + 0.05).
  return (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) ? '#000000' : '#ffffff';
}
