// For tests: the smallest valid arguments of every call, derived from its schema, so fuzz tests
// cover each call (including calls added later) without a hand-kept list of examples.

import type { z } from 'zod';
import type { CallName } from './contract';
import { CALL_SCHEMAS } from './contract-schemas';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const LEAF_CANDIDATES: Record<string, Json[]> = {
  string: ['x', ''],
  number: [1, 0],
  boolean: [false],
};

function firstValid(schema: z.ZodType, candidates: Json[]): Json {
  const found = candidates.find((value) => schema.safeParse(value).success);
  if (found === undefined) throw new Error(`No sample value fits a ${schema.def.type} schema.`);
  return found;
}

/**
 * A small value `schema` accepts: required object fields only, the first option of an enum or
 * union, arrays as long as their minimum. Throws for a schema kind it does not know.
 */
export function sampleOf(schema: z.ZodType): Json {
  // biome-ignore lint/suspicious/noExplicitAny: zod's def is a union per kind; each branch reads its own fields.
  const def = schema.def as any;
  switch (def.type) {
    case 'object': {
      const out: { [key: string]: Json } = {};
      for (const [key, field] of Object.entries(def.shape as Record<string, z.ZodType>)) {
        if (field.def.type !== 'optional') out[key] = sampleOf(field);
      }
      return out;
    }
    case 'array': {
      const min = (def.checks ?? []).find((c: z.core.$ZodCheck) => c._zod.def.check === 'min_length');
      const length = min ? (min._zod.def as { minimum: number }).minimum : 0;
      return Array.from({ length }, () => sampleOf(def.element));
    }
    case 'union':
      return sampleOf(def.options[0]);
    case 'nullable':
    case 'optional':
      return sampleOf(def.innerType);
    case 'enum':
      return Object.values(def.entries as Record<string, string>)[0];
    case 'literal':
      return def.values[0];
    default:
      if (Object.hasOwn(LEAF_CANDIDATES, def.type)) return firstValid(schema, LEAF_CANDIDATES[def.type]);
      throw new Error(`sampleOf does not know zod's “${def.type}” schemas.`);
  }
}

/** The smallest valid arguments of call `name`. */
export function sampleArgs(name: CallName): { [key: string]: Json } {
  return sampleOf(CALL_SCHEMAS[name]) as { [key: string]: Json };
}
