// MODEL_CARD.md's intended use: an adapted run is for photos like the new-domain photos it was
// adapted to, with its training-domain validation score as a caution (second user trial).
import { describe, expect, it } from 'vitest';
import type { DomainMeasures, LabelledScore } from '../../common/adaptation';
import type { ExperimentDetail } from '../../common/training';
import type { BackboneSpec } from '../ml/backbones/backbone-spec';
import { type ModelCardInput, modelCard } from './model-card';

const score = (accuracy: number): LabelledScore => ({ count: 50, accuracy, macroF1: accuracy, confusion: [] });
const measures = (sourceVal: number, target: number): DomainMeasures => ({
  target: {} as DomainMeasures['target'],
  targetTest: score(target),
  sourceVal: score(sourceVal),
  domainDistance: 0.1,
});

function input(adaptation: ModelCardInput['adaptation']): ModelCardInput {
  const run = {
    id: 2,
    name: 'Run 1 adapted (AdaBN)',
    technique: 'feature-extraction',
    config: { hiddenUnits: 0, flipTestTime: false },
    snapshot: {
      hash: 'abc',
      imageCount: 20,
      classes: [
        { name: 'cat', counts: { train: 6, val: 2, test: 2 } },
        { name: 'dog', counts: { train: 6, val: 2, test: 2 } },
      ],
    },
    metrics: null,
  } as unknown as ExperimentDetail;
  const backbone = {
    id: 'b',
    name: 'B',
    licence: 'MIT',
    taps: [{ node: 'pool' }],
    featureDim: 8,
    resize: { shortSide: 256 },
    inputSize: 224,
    layout: 'NHWC',
    normalisation: { kind: 'range', min: -1, max: 1 },
  } as unknown as BackboneSpec;
  return {
    run,
    backbone,
    format: 'tfjs',
    modelFile: 'model.json',
    rawInput: false,
    parity: null,
    date: '2026-12-01',
    ood: null,
    adaptation,
    targetFolders: adaptation ? ['/photos/cartoons'] : [],
  };
}

const intendedUse = (card: string) => card.split('## Intended use\n')[1]!.trim();

describe('model card intended use', () => {
  it('keeps an adapted run to photos like the new-domain photos, naming them and cautioning with the training-domain score', () => {
    const card = modelCard(
      input({
        sourceExperimentId: 1,
        method: 'adabn',
        targetSnapshot: { count: 40, labelled: 20, hash: 'h' },
        before: measures(0.9, 0.5),
        after: measures(0.444, 0.8),
      }),
    );
    const use = intendedUse(card);
    expect(use).toMatch(
      /^Sorting photos like the new-domain \(target\) photos it was adapted to \(`\/photos\/cartoons`\) into: cat, dog\./,
    );
    expect(use).toContain(
      'Caution: on photos like the training photos it scored 44.4% (validation), against 80.0% on the labelled new-domain photos; for photos like the training photos use the source run (experiment 1).',
    );
    expect(use).not.toContain('Sorting photos like the training photos');
  });

  it('keeps a run trained on labelled photos to photos like its training photos', () => {
    expect(intendedUse(modelCard(input(null)))).toMatch(/^Sorting photos like the training photos into: cat, dog\./);
  });
});
