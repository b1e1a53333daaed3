// Reads the data literal out of a browserify UMD bundle (the `.min.js` model files nsfwjs ships)
// without executing it: bundled model files are data, and running package code to get at
// them would give that code the app's privileges.

export type JsValue = null | undefined | boolean | number | string | JsValue[] | { [key: string]: JsValue };

export class JsLiteralError extends Error {}

/**
 * The value a single-module browserify bundle assigns to `module.exports`, i.e. the X in
 * `{1:[function(r,m,e){m.exports=X},{}]}`.
 */
export function extractUmdExports(source: string): JsValue {
  const head = /\{1:\[function\(\s*\w*\s*,\s*(\w+)\s*(?:,\s*\w+\s*)?\)\{\s*\1\.exports\s*=/.exec(source);
  if (!head) throw new JsLiteralError('Not a browserify bundle with a single exported literal');
  const parser = new LiteralParser(source, head.index + head[0].length);
  const value = parser.parseValue();
  parser.skipSpace();
  if (!source.startsWith('}', parser.position) && !source.startsWith(';', parser.position)) {
    throw new JsLiteralError(`The exported value is not a plain literal (stopped at offset ${parser.position})`);
  }
  return value;
}

/** Parses one literal: objects, arrays, strings, numbers and the minifier's !0, !1 and void 0. */
export function parseJsLiteral(source: string): JsValue {
  const parser = new LiteralParser(source, 0);
  const value = parser.parseValue();
  parser.skipSpace();
  if (parser.position !== source.length) throw new JsLiteralError(`Unexpected text at offset ${parser.position}`);
  return value;
}

const IDENT = /[A-Za-z_$][\w$]*/y;
const NUMBER = /-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;

class LiteralParser {
  constructor(
    private readonly src: string,
    public position: number,
  ) {}

  skipSpace(): void {
    while (this.position < this.src.length && /\s/.test(this.src[this.position])) this.position++;
  }

  parseValue(): JsValue {
    this.skipSpace();
    const c = this.src[this.position];
    if (c === '{') return this.parseObject();
    if (c === '[') return this.parseArray();
    if (c === '"' || c === "'") return this.parseString();
    if (c === '!') {
      this.position++;
      const operand = this.parseValue();
      if (typeof operand !== 'number' && typeof operand !== 'boolean') this.fail('! applied to a non-number');
      return !operand;
    }
    if (this.src.startsWith('void 0', this.position)) {
      this.position += 6;
      return undefined;
    }
    NUMBER.lastIndex = this.position;
    const num = NUMBER.exec(this.src);
    if (num) {
      this.position += num[0].length;
      return Number(num[0]);
    }
    IDENT.lastIndex = this.position;
    const ident = IDENT.exec(this.src);
    if (ident) {
      const words: Record<string, JsValue> = {
        true: true,
        false: false,
        null: null,
        NaN: Number.NaN,
        Infinity: Infinity,
      };
      if (ident[0] in words) {
        this.position += ident[0].length;
        return words[ident[0]];
      }
      this.fail(`identifier "${ident[0]}" is code, not data`);
    }
    this.fail(`unexpected character "${c ?? 'end of input'}"`);
  }

  private parseObject(): { [key: string]: JsValue } {
    const out: { [key: string]: JsValue } = {};
    this.position++;
    this.skipSpace();
    if (this.src[this.position] === '}') {
      this.position++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      const key = this.parseKey();
      this.skipSpace();
      this.expect(':');
      // defineProperty: a "__proto__" key is data here, as in JSON.parse, not the object's prototype.
      Object.defineProperty(out, key, {
        value: this.parseValue(),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.skipSpace();
      if (this.src[this.position] === ',') {
        this.position++;
        continue;
      }
      this.expect('}');
      return out;
    }
  }

  private parseKey(): string {
    const c = this.src[this.position];
    if (c === '"' || c === "'") return this.parseString();
    NUMBER.lastIndex = this.position;
    const num = NUMBER.exec(this.src);
    if (num) {
      this.position += num[0].length;
      return String(Number(num[0]));
    }
    IDENT.lastIndex = this.position;
    const ident = IDENT.exec(this.src);
    if (!ident) this.fail('expected an object key');
    this.position += ident[0].length;
    return ident[0];
  }

  private parseArray(): JsValue[] {
    const out: JsValue[] = [];
    this.position++;
    this.skipSpace();
    if (this.src[this.position] === ']') {
      this.position++;
      return out;
    }
    for (;;) {
      out.push(this.parseValue());
      this.skipSpace();
      if (this.src[this.position] === ',') {
        this.position++;
        continue;
      }
      this.expect(']');
      return out;
    }
  }

  private parseString(): string {
    const quote = this.src[this.position];
    let i = this.position + 1;
    let out = '';
    let chunkStart = i;
    for (;;) {
      if (i >= this.src.length) this.fail('unterminated string');
      const c = this.src[i];
      if (c === quote) break;
      if (c !== '\\') {
        i++;
        continue;
      }
      out += this.src.slice(chunkStart, i);
      const e = this.src[i + 1];
      const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', '0': '\0' };
      if (e === 'u') {
        const braced = this.src[i + 2] === '{';
        const end = braced ? this.src.indexOf('}', i) : i + 6;
        const hex = braced ? this.src.slice(i + 3, end) : this.src.slice(i + 2, end);
        if (!/^[0-9a-fA-F]+$/.test(hex)) this.fail('bad \\u escape');
        out += String.fromCodePoint(Number.parseInt(hex, 16));
        i = braced ? end + 1 : end;
      } else if (e === 'x') {
        const hex = this.src.slice(i + 2, i + 4);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) this.fail('bad \\x escape');
        out += String.fromCharCode(Number.parseInt(hex, 16));
        i += 4;
      } else if (e === '\n') {
        i += 2;
      } else {
        out += simple[e] ?? e;
        i += 2;
      }
      chunkStart = i;
    }
    out += this.src.slice(chunkStart, i);
    this.position = i + 1;
    return out;
  }

  private expect(c: string): void {
    if (this.src[this.position] !== c) this.fail(`expected "${c}"`);
    this.position++;
  }

  private fail(reason: string): never {
    throw new JsLiteralError(`Cannot read bundled model data: ${reason} at offset ${this.position}`);
  }
}
