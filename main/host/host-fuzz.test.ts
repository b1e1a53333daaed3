import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleArgs } from '../../common/call-samples';
import { CALL_NAMES } from '../../common/contract';
import { CALL_SCHEMAS } from '../../common/contract-schemas';
import type { RunningHost } from './host-server';
import { startTestHost } from './test-host';

// Every call, through the real host, with each argument (and each nested field) replaced by a
// hostile value. Nothing may answer 500; whatever the call's schema refuses — every value of
// another JSON type among them — must be a 400 BAD_REQUEST from the boundary, before any service ran.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const HOSTILE: Json[] = [
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 53,
  -(2 ** 53),
  1e308,
  '',
  'a\0b',
  'x'.repeat(10_000),
  '__proto__',
  'toString',
  'constructor',
  '../../etc/passwd',
  '=HYPERLINK("x")',
  [],
  [null],
  [1, 'a'],
  {},
  { kind: 'toString' },
  JSON.parse('{"__proto__":{"polluted":true}}'),
];

/** Whole bodies that are not an argument object at all. */
const HOSTILE_BODIES = ['null', '[]', '1', '"text"', 'true', '[{"name":"x"}]'];

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Every path to a field inside `value`, objects and array items included, at most three deep. */
function fieldPaths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (prefix.length >= 3 || value === null || typeof value !== 'object') return [];
  const entries: [string | number, Json][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...fieldPaths(child, [...prefix, key])]);
}

function withField(base: Json, at: (string | number)[], value: Json): Json {
  const copy = structuredClone(base) as Record<string | number, Json>;
  let node = copy;
  for (const key of at.slice(0, -1)) node = node[key] as Record<string | number, Json>;
  // defineProperty, so a "__proto__" value lands as data, as JSON.parse would deliver it.
  Object.defineProperty(node, at[at.length - 1], { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

function valueAt(base: Json, at: (string | number)[]): Json {
  return at.reduce<Json>((node, key) => (node as Record<string | number, Json>)[key], base);
}

let host: RunningHost;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ host, close } = await startTestHost());
});
afterAll(() => close());

async function post(name: string, body: string): Promise<{ status: number; code?: string; message?: string }> {
  const res = await fetch(`${host.url}api/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-graft-token': host.token },
    body,
  });
  const envelope = (await res.json()) as { error?: { code: string; message: string } };
  return { status: res.status, code: envelope.error?.code, message: envelope.error?.message };
}

describe('every call against hostile arguments through the real host', () => {
  it('never answers 500, and answers 400 BAD_REQUEST to every wrong-typed value', async () => {
    const failures: string[] = [];
    let sent = 0;
    for (const name of CALL_NAMES) {
      const base = sampleArgs(name);
      for (const body of HOSTILE_BODIES) {
        const reply = await post(name, body);
        sent++;
        if (reply.status !== 400) failures.push(`${name} body ${body}: ${reply.status} ${reply.message}`);
      }
      const paths = [...fieldPaths(base), ['extraField'], ['__proto__']];
      for (const at of paths) {
        const original = at[0] === 'extraField' || at[0] === '__proto__' ? undefined : valueAt(base, at);
        for (const value of HOSTILE) {
          const body = JSON.stringify(withField(base, at, value));
          const reply = await post(name, body);
          sent++;
          const label = `${name} ${at.join('.')}=${JSON.stringify(value).slice(0, 40)}`;
          if (reply.status >= 500) failures.push(`${label}: ${reply.status} ${reply.code} ${reply.message}`);
          const refused = !CALL_SCHEMAS[name].safeParse(JSON.parse(body)).success;
          const otherType = original !== undefined && value !== null && kindOf(value) !== kindOf(original);
          if (otherType && !refused) failures.push(`${label}: the schema accepts a ${kindOf(value)}`);
          if (refused && (reply.status !== 400 || !reply.message?.startsWith('Wrong arguments'))) {
            failures.push(
              `${label}: refused by the schema but answered ${reply.status} ${reply.code} (${reply.message})`,
            );
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(CALL_NAMES.length * HOSTILE.length);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
