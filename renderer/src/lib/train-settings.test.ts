import { describe, expect, it } from 'vitest';
import { FAKE_DEFAULT_CONFIG } from './api/fake-training';
import { isValidNumber, type NumberSetting, SETTINGS, withSetting } from './train-settings';

const setting = (key: string) => SETTINGS.find((s) => s.key === key) as NumberSetting;

describe('training settings', () => {
  it('keeps only the settings that differ from the defaults', () => {
    let edits = withSetting({}, FAKE_DEFAULT_CONFIG, 'seed', 7);
    edits = withSetting(edits, FAKE_DEFAULT_CONFIG, 'classWeighting', false);
    expect(edits).toEqual({ seed: 7, classWeighting: false });

    edits = withSetting(edits, FAKE_DEFAULT_CONFIG, 'seed', FAKE_DEFAULT_CONFIG.seed);
    expect(edits).toEqual({ classWeighting: false });
  });

  it('offers every setting of a run except the backbone and technique', () => {
    const offered = SETTINGS.map((s) => s.key).sort();
    const all = Object.keys(FAKE_DEFAULT_CONFIG).filter((k) => k !== 'backboneId' && k !== 'technique');
    expect(offered).toEqual(all.sort());
  });

  it('rejects values out of range or not whole where a whole number is needed', () => {
    expect(isValidNumber(setting('dropout'), 0.5)).toBe(true);
    expect(isValidNumber(setting('dropout'), 1)).toBe(false);
    expect(isValidNumber(setting('maxEpochs'), 0)).toBe(false);
    expect(isValidNumber(setting('maxEpochs'), 2.5)).toBe(false);
    expect(isValidNumber(setting('learningRate'), Number.NaN)).toBe(false);
  });
});
