import { describe, expect, it } from 'vitest';
import { sampleArgs } from './call-samples';
import { CALL_NAMES } from './contract';
import { CALL_SCHEMAS, MAX_NAME_CHARS, parseCallArgs } from './contract-schemas';
import { GraftError } from './errors';

function refusal(run: () => unknown): GraftError {
  try {
    run();
  } catch (err) {
    if (err instanceof GraftError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('per-call argument schemas', () => {
  it('exist for exactly the calls in CALL_NAMES', () => {
    expect(Object.keys(CALL_SCHEMAS).sort()).toEqual([...CALL_NAMES].sort());
  });

  it('accept each call’s smallest valid arguments', () => {
    for (const name of CALL_NAMES) expect(() => parseCallArgs(name, sampleArgs(name)), name).not.toThrow();
  });

  it('refuse a body that is not an object, with BAD_REQUEST', () => {
    for (const body of [null, [], 1, 'x', true, undefined]) {
      expect(refusal(() => parseCallArgs('projects:list', body)).code).toBe('BAD_REQUEST');
    }
  });

  it('name the wrong field in a message a person can read', () => {
    const err = refusal(() => parseCallArgs('labels:assign', { projectId: 1, imageIds: [1, null], classId: {} }));
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toContain('labels:assign');
    expect(err.message).toContain('imageIds.1');
    expect(err.message).toContain('classId');
  });

  it('refuse NUL characters and over-long text', () => {
    expect(refusal(() => parseCallArgs('projects:create', { name: 'a\0b' })).message).toContain('NUL');
    expect(refusal(() => parseCallArgs('projects:create', { name: 'x'.repeat(MAX_NAME_CHARS + 1) })).code).toBe(
      'BAD_REQUEST',
    );
    expect(parseCallArgs('projects:create', { name: 'x'.repeat(MAX_NAME_CHARS) }).name).toHaveLength(MAX_NAME_CHARS);
  });

  it('refuse ids that are not positive safe whole numbers', () => {
    for (const projectId of [0, -1, 1.5, 2 ** 53, '1', null, [1], { id: 1 }]) {
      expect(refusal(() => parseCallArgs('projects:open', { projectId })).code, String(projectId)).toBe('BAD_REQUEST');
    }
  });

  it('take normalisation presets only by their own names, never inherited ones', () => {
    for (const normalisation of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      expect(refusal(() => parseCallArgs('backbones:import', { location: 't', normalisation })).code).toBe(
        'BAD_REQUEST',
      );
    }
    expect(parseCallArgs('backbones:import', { location: 't', normalisation: 'unit' }).normalisation).toBe('unit');
  });

  it('refuse non-text names and licences', () => {
    for (const bad of [{ name: { a: 1 } }, { name: 3 }, { licence: ['MIT'] }, { licence: { toString: 'x' } }]) {
      expect(refusal(() => parseCallArgs('backbones:import', { location: 't', ...bad })).code).toBe('BAD_REQUEST');
    }
  });

  it('drop unknown keys and never hand on a __proto__ key', () => {
    const hostile = JSON.parse('{"name":"P","__proto__":{"polluted":true},"extra":1}');
    const parsed = parseCallArgs('projects:create', hostile) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['name']);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(parsed.polluted).toBeUndefined();
  });

  it('refuse unknown training settings by name and out-of-range ones', () => {
    const unknown = refusal(() => parseCallArgs('training:start', { projectId: 1, config: { epochs: 3 } }));
    expect(unknown.message).toContain('epochs');
    for (const config of [{ dropout: 1 }, { maxEpochs: 0 }, { batchSize: 1.5 }, { schedule: 'toString' }]) {
      expect(refusal(() => parseCallArgs('training:preflight', { projectId: 1, config })).code).toBe('BAD_REQUEST');
    }
  });

  it('refuse unknown adaptation settings by name', () => {
    const unknown = refusal(() => parseCallArgs('adaptation:start', { experimentId: 1, methd: 'coral' }));
    expect(unknown.code).toBe('BAD_REQUEST');
    expect(unknown.message).toContain('methd');
  });

  it('refuse uploads that are not base64 or are empty lists', () => {
    const model = { kind: 'experiment', experimentId: 1 };
    expect(refusal(() => parseCallArgs('predict:photos', { model, photos: [] })).code).toBe('BAD_REQUEST');
    const notBase64 = { model, photos: [{ name: 'a.jpg', dataBase64: '%%%' }] };
    expect(refusal(() => parseCallArgs('predict:photos', notBase64)).message).toContain(
      'photos.0.dataBase64: must be the photo’s bytes in base64',
    );
    const ok = { model, photos: [{ name: 'a.jpg', dataBase64: btoa('photo') }] };
    expect(parseCallArgs('predict:photos', ok).photos).toHaveLength(1);
  });
});
