import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeLabelledFolder } from '../../e2e/fixtures/photo-corpus';
import { blindFeatureModel, pooledFeatureModel } from '../ml/onnx/onnx-fixtures';
import { graftRunner } from './cli-fixtures';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-cli-compare-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const graft = graftRunner(path.join(dir, 'data'));

describe('graft backbones compare', () => {
  it('prints the named backbones ranked, the separating one first, and refuses too few photos', async () => {
    const photos = path.join(dir, 'photos');
    await writeLabelledFolder(photos, { red: 6, blue: 6 }, { width: 64, height: 48 });
    expect((await graft('import', '--project', 'Colours', photos, '--labels-from-folders')).code).toBe(0);
    fs.writeFileSync(path.join(dir, 'colour.onnx'), pooledFeatureModel(['N', 3, 32, 32]));
    fs.writeFileSync(path.join(dir, 'blind.onnx'), blindFeatureModel());
    expect((await graft('backbone', 'import', path.join(dir, 'colour.onnx'), '--name', 'Colour')).code).toBe(0);
    expect(
      (await graft('backbone', 'import', path.join(dir, 'blind.onnx'), '--name', 'Blind', '--tap', 'features')).code,
    ).toBe(0);

    const compared = await graft(
      'backbones',
      'compare',
      '--project',
      'Colours',
      '--backbone',
      'Blind',
      '--backbone',
      'Colour',
    );
    expect(compared.code).toBe(0);
    const text = compared.stdout.join('\n');
    expect(text).toMatch(/12 labelled photos, 2 classes; linear probe, 5-fold cross-validation/);
    const ranked = compared.stdout.filter((l) => /^\s+\d+\s/.test(l));
    expect(ranked).toHaveLength(2);
    expect(ranked[0]).toMatch(/^\s+1\s+100\.0% ± 0\.0%\s+[\d.]+\s+Colour \(/);
    // Six photos a class over five folds rank nothing, however clear the lead looks.
    expect(compared.stdout.at(-1)).toMatch(/^Too few photos to rank reliably: the smallest class has 6 photos/);
    expect(text).not.toMatch(/Train with the best/);
    expect(ranked[1]).toMatch(/^\s+2\s+\d+\.\d% ± \d+\.\d%\s+[\d.]+\s+Blind \(/);

    const again = await graft('backbones', 'compare', '--project', 'Colours', '--backbone', 'Colour');
    expect(again.stdout.find((l) => /Colour \(/.test(l))).toMatch(/\bcached\b/);

    const few = path.join(dir, 'few');
    await writeLabelledFolder(few, { red: 3, blue: 1 }, { width: 64, height: 48 });
    await graft('import', '--project', 'Few', few, '--labels-from-folders');
    const refused = await graft('backbones', 'compare', '--project', 'Few', '--backbone', 'Colour');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.join('\n')).toMatch(/at least 2 labelled photos/);

    expect((await graft('backbones', 'sideways')).code).not.toBe(0);
  });
});
