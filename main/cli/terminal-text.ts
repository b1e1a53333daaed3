// Everything `graft` prints passes through printable(): file, folder, class and model names come
// from a person's disk, and a name holding ESC [ … or an OSC sequence would otherwise drive the
// terminal (move the cursor, retitle the window, hide text, forge a clickable link).

/**
 * \p{Cc}: C0 controls (U+0000–U+001F, including ESC, TAB, CR and LF), DEL (U+007F), C1 controls
 * (U+0080–U+009F, including the one-byte CSI U+009B), the line and paragraph separators and
 * the bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) that reorder text.
 */
const CONTROL = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

const NAMED: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\u001b': '\\e' };

/**
 * The text with every control character written out as a visible escape: `\e` for ESC, `\t`,
 * `\n`, `\r`, and `\xHH` / `\uHHHH` for the rest, so the terminal shows it and never obeys it.
 */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Where the command line prints. Every line, and every field of a row, goes through printable(). */
export interface CliIo {
  /** One line on stdout; an array is one tab-separated row, each field escaped on its own. */
  out(line: string | readonly string[]): void;
  /** One line on stderr. */
  err(line: string): void;
}

function toLine(line: string | readonly string[]): string {
  return typeof line === 'string' ? printable(line) : line.map(printable).join('\t');
}

export const consoleIo: CliIo = {
  out: (line) => console.log(toLine(line)),
  err: (line) => console.error(toLine(line)),
};
