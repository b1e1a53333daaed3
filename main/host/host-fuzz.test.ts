import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleArgs } from '../../common/call-samples';
import { CALL_NAMES, type CallName } from '../../common/contract';
import { CALL_SCHEMAS } from '../../common/contract-schemas';
import { writeLabelledFolder } from '../../e2e/fixtures/photo-corpus';
import type { tempGraftApp } from '../services/test-app';
import type { RunningHost } from './host-server';
import { startTestHost } from './test-host';

// Every call, through the real host, with each argument (and each nested field) replaced by a
// hostile value. Nothing may answer 500; whatever the call's schema refuses — every value of
// another JSON type among them — must be a 400 BAD_REQUEST from the boundary, before any service ran.
// Thousands of requests on a shared 2-core machine: each test allows four minutes.

type TestEnv = ReturnType<typeof tempGraftApp>;
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
let env: TestEnv;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ host, env, close } = await startTestHost());
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

/**
 * Sends `base(name)` of each call with each field (and the whole body) replaced by each hostile
 * value; returns what went wrong. Calls that remove or consume what others need go last.
 * `onlyAccepted`: send only the bodies the call's schema accepts.
 */
async function fuzz(
  base: (name: CallName) => Json,
  { onlyAccepted = false } = {},
): Promise<{ failures: string[]; sent: number }> {
  const failures: string[] = [];
  let sent = 0;
  const destructive = (name: string) => /:(delete|remove|merge|choose|cancel)$/.test(name);
  const order = [...CALL_NAMES.filter((n) => !destructive(n)), ...CALL_NAMES.filter(destructive)];
  for (const name of order) {
    const args = base(name);
    for (const body of onlyAccepted ? [] : HOSTILE_BODIES) {
      const reply = await post(name, body);
      sent++;
      if (reply.status !== 400) failures.push(`${name} body ${body}: ${reply.status} ${reply.message}`);
    }
    for (const at of [...fieldPaths(args), ['extraField'], ['__proto__']]) {
      const original = at[0] === 'extraField' || at[0] === '__proto__' ? undefined : valueAt(args, at);
      for (const value of HOSTILE) {
        const body = JSON.stringify(withField(args, at, value));
        const refused = !CALL_SCHEMAS[name].safeParse(JSON.parse(body)).success;
        if (refused && onlyAccepted) continue;
        const reply = await post(name, body);
        sent++;
        const label = `${name} ${at.join('.')}=${JSON.stringify(value).slice(0, 40)}`;
        if (reply.status >= 500) failures.push(`${label}: ${reply.status} ${reply.code} ${reply.message}`);
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
  return { failures, sent };
}

describe('every call against hostile arguments through the real host', () => {
  it('never answers 500, and answers 400 BAD_REQUEST to every wrong-typed value', async () => {
    const { failures, sent } = await fuzz(sampleArgs);
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(CALL_NAMES.length * HOSTILE.length);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 240_000);

  it('never answers 500 either when the ids name a real project, folder, photos, classes and picker', async () => {
    await writeLabelledFolder(path.join(env.dir, 'photos'), { cats: 2, dogs: 2 });
    const project = env.app.projects.create('Fuzzed');
    const folder = env.app.folders.add(project.id, path.join(env.dir, 'photos'), true);
    await env.app.importer.start(folder.id).done;
    const [first, second] = env.app.classes.list(project.id);
    const images = env.app.images.list(project.id, { kind: 'all' });
    const picker = await env.app.picker.open({ kind: 'location' });
    const real: Record<string, Json> = {
      projectId: project.id,
      folderId: folder.id,
      imageId: images[0].id,
      imageIds: images.map((i) => i.id),
      classId: first.id,
      sourceId: first.id,
      targetId: second.id,
      classIds: [second.id, first.id],
      pickerId: picker.pickerId,
      location: env.app.locations.register(env.dir),
      source: env.app.locations.register(path.join(env.dir, 'photos')),
      destination: env.app.locations.register(env.dir),
    };
    // Kept on the sample's unknown ids: training would start a real run, and each picker:up, home
    // or typed path would leave the test's folder and count the photos below where it lands.
    const seeded = (name: CallName): Json => {
      const args = sampleArgs(name);
      if (name.startsWith('training:') || ['picker:up', 'picker:home', 'picker:go'].includes(name)) return args;
      for (const key of Object.keys(args)) if (Object.hasOwn(real, key)) args[key] = real[key];
      return args;
    };

    // What the schemas refuse was proven above; here only what passes them reaches the services.
    const { failures, sent } = await fuzz(seeded, { onlyAccepted: true });
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(CALL_NAMES.length);
    expect(env.app.ctx.db.pragma('integrity_check', { simple: true })).toBe('ok');
  }, 240_000);
});
