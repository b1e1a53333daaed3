import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NormalisationPreset } from '../../common/training';
import { floatClassifier, pooledFeatureModel } from '../ml/onnx/onnx-fixtures';
import { createHandlers, dispatch } from './handlers';
import { tempGraftApp } from './test-app';

let env: ReturnType<typeof tempGraftApp>;
beforeEach(() => {
  env = tempGraftApp();
});
afterEach(() => env.cleanup());

function call(name: string, args: unknown) {
  return dispatch(createHandlers(env.app, { transport: 'host' }), name, args);
}

describe('importing a backbone through the contract', () => {
  it('imports the only .onnx file of a chosen folder, proposes its tap and lists it; another tap can be chosen', async () => {
    const folder = path.join(env.dir, 'models');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'net.onnx'), floatClassifier(5, 4, 8));
    const location = env.app.locations.register(folder);
    const result = (await call('backbones:import', { location, name: 'My net', licence: 'CC-BY 4.0' })) as {
      backbone: { id: string; featureDim: number; source: string };
      tap: string;
      candidates: string[];
    };
    expect(result.backbone).toMatchObject({ featureDim: 5, source: 'imported' });
    expect(result.tap).toBe('gap');
    expect(result.candidates.length).toBeGreaterThan(0);
    expect(env.app.backbones.list().map((b) => b.id)).toContain(result.backbone.id);

    const retapped = (await call('backbones:import', { location, name: 'My net', tap: result.candidates[0] })) as {
      tap: string;
    };
    expect(retapped.tap).toBe(result.candidates[0]);
  });

  it('says what is wrong with a folder that holds no model, or several', async () => {
    const empty = path.join(env.dir, 'empty');
    fs.mkdirSync(empty);
    await expect(call('backbones:import', { location: env.app.locations.register(empty) })).rejects.toThrow(
      /neither a TF.js model/,
    );
    fs.writeFileSync(path.join(empty, 'a.onnx'), 'x');
    fs.writeFileSync(path.join(empty, 'b.onnx'), 'y');
    await expect(call('backbones:import', { location: env.app.locations.register(empty) })).rejects.toThrow(/several/);
    await expect(
      call('backbones:import', { location: env.app.locations.register(empty), fileName: 'a.onnx' }),
    ).rejects.toThrow(/cannot load/);
    await expect(call('backbones:import', { location: 'forged-token' })).rejects.toThrow(/expired/);
  });

  it('takes normalisation presets by their own names only, as the CLI passes them unchecked', async () => {
    const file = path.join(env.dir, 'net.onnx');
    fs.writeFileSync(file, floatClassifier(5, 4, 8));
    for (const inherited of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      const normalisation = inherited as NormalisationPreset;
      await expect(env.app.backbones.importFile(file, { normalisation })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringContaining('imagenet'),
      });
    }
    expect(env.app.backbones.list().filter((b) => b.source === 'imported')).toEqual([]);
  });

  it('refuses a model file linked outside the chosen folder with its own code, naming the file', async () => {
    const real = path.join(env.dir, 'real.onnx');
    fs.writeFileSync(real, floatClassifier(5, 4, 8));
    const folder = path.join(env.dir, 'linked');
    fs.mkdirSync(folder);
    fs.symlinkSync(real, path.join(folder, 'net.onnx'));
    await expect(call('backbones:import', { location: env.app.locations.register(folder) })).rejects.toMatchObject({
      code: 'MODEL_FILE_REFUSED',
      message: expect.stringContaining('net.onnx'),
    });
    expect(env.app.backbones.list().some((b) => b.source === 'imported')).toBe(false);
  });

  it('refuses a model declaring a huge input with its own code, naming the model, before running it', async () => {
    const folder = path.join(env.dir, 'giant');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'giant.onnx'), pooledFeatureModel([1, 3, 100000, 100000]));
    await expect(call('backbones:import', { location: env.app.locations.register(folder) })).rejects.toMatchObject({
      code: 'MODEL_INPUT_TOO_LARGE',
      message: expect.stringContaining('“giant” asks for 100000×100000-pixel photos'),
    });
  });
});
