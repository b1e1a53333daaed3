import { describe, expect, it } from 'vitest';
import { extractUmdExports, JsLiteralError, parseJsLiteral } from './js-literal';

describe('parseJsLiteral', () => {
  it('reads minified data: bare keys, !0/!1, void 0, short numbers, escapes', () => {
    const v = parseJsLiteral(
      '{a:1,"b c":[.5,-.25,1e-3,-0,2E2],t:!0,f:!1,n:null,u:void 0,s:"x\\"y\\n\\u0041\\x42",q:\'single\',e:{},l:[]}',
    );
    expect(v).toEqual({
      a: 1,
      'b c': [0.5, -0.25, 0.001, -0, 200],
      t: true,
      f: false,
      n: null,
      u: undefined,
      s: 'x"y\nAB',
      q: 'single',
      e: {},
      l: [],
    });
  });

  it('refuses code', () => {
    expect(() => parseJsLiteral('{a:require("fs")}')).toThrow(JsLiteralError);
    expect(() => parseJsLiteral('{a:1}+1')).toThrow(JsLiteralError);
  });
});

describe('object keys', () => {
  it('keeps "__proto__" as a plain own key, as JSON.parse does, never as the object’s prototype', () => {
    const value = parseJsLiteral('{__proto__:{polluted:!0},"constructor":1}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__', 'constructor']);
    expect(value.polluted).toBeUndefined();
  });
});

describe('extractUmdExports', () => {
  it('finds the exported literal of a browserify bundle without running it', () => {
    const bundle =
      '!function(e){"object"==typeof exports?module.exports=e():window.x=e()}(function(){return function e(t,n,r){}({1:[function(e,a,n){a.exports={modelTopology:{x:[1,2]},ok:!0}},{}]},{},[1])(1)});';
    expect(extractUmdExports(bundle)).toEqual({ modelTopology: { x: [1, 2] }, ok: true });
  });

  it('reads a base64 shard string', () => {
    expect(extractUmdExports('x({1:[function(e,h,n){h.exports="AAEC"},{}]},{},[1])')).toBe('AAEC');
  });

  it('rejects a bundle whose export is computed', () => {
    expect(() => extractUmdExports('x({1:[function(e,a,n){a.exports=f()},{}]})')).toThrow(JsLiteralError);
  });
});
