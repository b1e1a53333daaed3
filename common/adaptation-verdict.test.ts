import { describe, expect, it } from 'vitest';
import type { DomainMeasures } from './adaptation';
import { adaptationVerdict, newDomainAccuracyText } from './adaptation-verdict';

interface Measured {
  target?: number | null;
  source?: number;
  confidence?: number;
  entropy?: number;
  distance?: number;
}

function measures({
  target = null,
  source = 0.9,
  confidence = 0.6,
  entropy = 0.5,
  distance = 0.2,
}: Measured): DomainMeasures {
  const score = (accuracy: number) => ({ accuracy, count: 100, macroF1: accuracy, confusion: [] });
  return {
    target: { meanConfidence: confidence, meanEntropy: entropy } as DomainMeasures['target'],
    targetTest: target === null ? null : score(target),
    sourceVal: score(source),
    domainDistance: distance,
  };
}

describe('adaptationVerdict', () => {
  it('judges by new-domain accuracy: PACS photo → cartoon 33% → 64% is better although source validation fell', () => {
    const verdict = adaptationVerdict({
      before: measures({ target: 0.33, source: 0.95 }),
      after: measures({ target: 0.64, source: 0.88 }),
    });
    expect(verdict.kind).toBe('better');
    expect(verdict.text).toMatch(
      /better on the new photos \(33\.0% → 64\.0% of 100 labelled new-domain photos, 31 more right\)/,
    );
    expect(verdict.cautions).toEqual([expect.stringMatching(/training photos' validation set.*95\.0% → 88\.0%/)]);
  });

  it('counts more than one photo as a difference: two fewer right is worse, one is the same', () => {
    expect(adaptationVerdict({ before: measures({ target: 0.5 }), after: measures({ target: 0.48 }) }).kind).toBe(
      'worse',
    );
    expect(adaptationVerdict({ before: measures({ target: 0.5 }), after: measures({ target: 0.49 }) }).kind).toBe(
      'same',
    );
    expect(adaptationVerdict({ before: measures({ target: 0.5 }), after: measures({ target: 0.51 }) }).kind).toBe(
      'same',
    );
    expect(adaptationVerdict({ before: measures({ target: 0.5 }), after: measures({ target: 0.5 }) }).cautions).toEqual(
      [],
    );
  });

  it('without labelled new-domain photos reads the label-free signs and says it cannot be sure', () => {
    const better = adaptationVerdict({
      before: measures({ confidence: 0.5, entropy: 0.6, distance: 0.24 }),
      after: measures({ confidence: 0.8, entropy: 0.3, distance: 0.24 }),
    });
    expect(better.kind).toBe('unsure');
    expect(better.text).toMatch(/^Signs point to better: mean confidence on the new photos rose \(50\.0% → 80\.0%\)/);
    expect(better.text).not.toMatch(/domain distance/);
    expect(better.text).toMatch(/cannot be sure without a few labelled new-domain photos — label some/);
    const worse = adaptationVerdict({ before: measures({ distance: 0.1 }), after: measures({ distance: 0.3 }) });
    expect(worse.text).toMatch(/^Signs point to worse: the new photos' features moved further from/);
    expect(adaptationVerdict({ before: measures({}), after: measures({}) }).text).toMatch(
      /^Nothing label-free changed/,
    );
  });
});

describe('newDomainAccuracyText', () => {
  it('gives the accuracy with its photo count, or says it was not measured', () => {
    expect(newDomainAccuracyText({ accuracy: 0.77, count: 420 })).toBe('77.0% of 420 labelled new-domain photos');
    expect(newDomainAccuracyText(null)).toBe('not measured (no labelled new-domain photos)');
  });
});
