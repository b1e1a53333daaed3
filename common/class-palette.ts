/**
 * Colours for new classes: the Okabe–Ito palette (Okabe & Ito, "Color Universal Design", 2002;
 * https://jfly.uni-koeln.de/color/), whose eight colours stay distinct under the common forms of
 * colour blindness. Ordered so that the first classes differ most. `#rrggbb`.
 */
export const CLASS_PALETTE: readonly string[] = [
  '#0072b2', // blue
  '#e69f00', // orange
  '#009e73', // bluish green
  '#cc79a7', // reddish purple
  '#56b4e9', // sky blue
  '#d55e00', // vermillion
  '#f0e442', // yellow
  '#000000', // black
];

/** The colour of the `index`-th class of a project (0-based); the palette repeats after eight. */
export function paletteColour(index: number): string {
  return CLASS_PALETTE[index % CLASS_PALETTE.length];
}
