import { describe, expect, it } from 'vitest';
import type { DomainMeasures } from '../../../common/adaptation';
import { adaptationSetbacks } from './adaptation-verdict';

function measures(targetAccuracy: number | null, sourceAccuracy: number, domainDistance: number): DomainMeasures {
  const score = (accuracy: number) => ({ accuracy }) as NonNullable<DomainMeasures['targetTest']>;
  return {
    target: {} as DomainMeasures['target'],
    targetTest: targetAccuracy === null ? null : score(targetAccuracy),
    sourceVal: score(sourceAccuracy),
    domainDistance,
  };
}

describe('adaptationSetbacks', () => {
  it('says when the labelled new-domain score falls, even if the distance shrank', () => {
    expect(adaptationSetbacks({ before: measures(0.6, 0.9, 0.5), after: measures(0.5, 0.9, 0.1) })).toEqual([
      'it is less accurate on the labelled new-domain photos',
    ]);
  });

  it('without labels, says when the domain distance grows or training-domain validation drops', () => {
    expect(adaptationSetbacks({ before: measures(null, 0.9, 0.1), after: measures(null, 0.85, 0.2) })).toHaveLength(2);
    expect(adaptationSetbacks({ before: measures(null, 0.9, 0.2), after: measures(null, 0.895, 0.1) })).toEqual([]);
  });
});
