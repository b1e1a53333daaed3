import type { Id, PredictModel } from '../../common/contract';
import { GraftError } from '../../common/errors';

export function asId(value: unknown, name: string): Id {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new GraftError('BAD_REQUEST', `${name} must be a positive whole number.`);
  }
  return value;
}

export function asIds(value: unknown, name: string): Id[] {
  if (!Array.isArray(value)) throw new GraftError('BAD_REQUEST', `${name} must be a list of ids.`);
  return value.map((v) => asId(v, name));
}

export function asText(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new GraftError('BAD_REQUEST', `${name} must be text.`);
  return value;
}

export function asModel(value: unknown): PredictModel {
  const v = value as Partial<{ kind: string; experimentId: unknown; exportId: unknown }> | null;
  if (v?.kind === 'experiment') return { kind: 'experiment', experimentId: asId(v.experimentId, 'experimentId') };
  if (v?.kind === 'export') return { kind: 'export', exportId: asId(v.exportId, 'exportId') };
  throw new GraftError('BAD_REQUEST', 'model must name an experiment or an export.');
}
