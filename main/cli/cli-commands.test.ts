import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLabelledFolder } from '../../e2e/fixtures/photo-corpus';
import { floatClassifier } from '../ml/onnx/onnx-fixtures';
import { graftRunner } from './cli-fixtures';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-cli-commands-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const graft = graftRunner(path.join(dir, 'data'));

describe('graft usage', () => {
  it('`graft COMMAND --help` prints that command’s usage, not the global one', async () => {
    for (const command of ['import', 'train', 'experiments', 'show', 'predict', 'backbone', 'projects']) {
      const { code, stdout } = await graft(command, '--help');
      expect(code).toBe(0);
      expect(stdout[0]).toBe(`Usage: graft ${stdout[0].slice('Usage: graft '.length)}`);
      expect(stdout[0].startsWith(`Usage: graft ${command}`)).toBe(true);
      expect(stdout.join('\n')).not.toMatch(/graft serve/);
    }
    const all = await graft('--help');
    expect(all.code).toBe(0);
    for (const command of ['serve', 'projects', 'experiments --project', 'show RUN', 'backbone import'])
      expect(all.stdout.join('\n')).toContain(`graft ${command}`);
  });

  it('answers an unknown flag or a missing value with one plain line and the usage (exit 2)', async () => {
    const unknown = await graft('import', '--frobnicate', '--project', 'P', dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr[0]).toBe('graft import: unknown option --frobnicate.');
    expect(unknown.stderr[1]).toMatch(/^Usage: graft import --project NAME FOLDER/);
    expect(unknown.stderr.join('\n')).not.toMatch(/positional argument|To specify/);
    expect(unknown.stdout).toEqual([]);

    const train = await graft('train', '--backbone', 'x', '--project');
    expect(train.stderr[0]).toBe('graft train: option --project needs a value.');
    expect((await graft('train', '--seed', 'seven', '--project', 'P')).stderr[0]).toBe(
      'graft train: --seed takes a whole number from 0 to 2147483647.',
    );
    expect((await graft('export', '--format', 'zip', '--experiment', '1', '--out', dir)).stderr[0]).toBe(
      'graft export: --format is onnx or tfjs.',
    );
    const nothing = await graft('frobnicate');
    expect(nothing.code).toBe(2);
    expect(nothing.stderr[0]).toBe('graft: unknown command “frobnicate”.');
  });

  it('prints an error once, on stderr, with its code', async () => {
    const { code, stdout, stderr } = await graft('train', '--project', 'Nope');
    expect(code).toBe(1);
    expect(stdout).toEqual([]);
    expect(stderr).toEqual(['graft: There is no project named “Nope”. (PROJECT_NOT_FOUND)']);
  });

  it('a failed import leaves no project behind', async () => {
    const failed = await graft('import', '--project', 'Ghost', path.join(dir, 'no-such-folder'));
    expect(failed.code).toBe(1);
    expect(failed.stderr).toHaveLength(1);
    expect(failed.stderr[0]).toMatch(/no-such-folder/);
    expect((await graft('projects')).stdout).toEqual([
      'No projects yet. `graft import --project NAME FOLDER` creates one.',
    ]);
  });
});

describe('graft with an imported backbone, from import to show', () => {
  beforeAll(async () => {
    await writeLabelledFolder(path.join(dir, 'photos'), { red: 14, blue: 14 });
    fs.mkdirSync(path.join(dir, 'net'));
    fs.writeFileSync(path.join(dir, 'net', 'tiny.onnx'), floatClassifier(5, 4, 8));
  });

  it('imports a backbone without a licence, by name, and lists it by name and id', async () => {
    const imported = await graft('backbone', 'import', path.join(dir, 'net', 'tiny.onnx'), '--name', 'Tiny net');
    expect(imported.code).toBe(0);
    const text = imported.stdout.join('\n');
    expect(text).toMatch(/^Imported backbone “Tiny net” \(imported-[0-9a-f]{16}\)/);
    expect(text).toContain('licence: No licence given.');
    expect(text).not.toMatch(/Declared by the user/);
    expect(text).toContain('input 8×8 pixels (NCHW); pixel values × 0.003922, minus mean (0.485, 0.456, 0.406)');
    const listed = (await graft('backbones')).stdout.find((l) => l.includes('Tiny net'));
    expect(listed).toMatch(/Tiny net \(imported-[0-9a-f]{16}\)/);
  });

  it('trains with the backbone given by name, says which split stopped early, and prints test per class', async () => {
    const imported = await graft('import', '--project', 'Colours', path.join(dir, 'photos'), '--labels-from-folders');
    expect(imported.code).toBe(0);
    for (const line of imported.stdout) expect(line).not.toMatch(/\b0\/\d+ photos/);
    const trained = await graft('train', '--project', 'Colours', '--backbone', 'tiny NET', '--seed', '3');
    expect(trained.stderr).toEqual([]);
    expect(trained.code).toBe(0);
    const text = trained.stdout.join('\n');
    expect(text).toMatch(/with backbone “Tiny net” \(imported-[0-9a-f]{16}\)/);
    expect(text).toMatch(/validation \(used for early stopping\): accuracy/);
    expect(text).toMatch(/test \(held out\): accuracy/);
    expect(text).toContain('per class on validation:');
    expect(text).toContain('per class on test:');
    for (const line of trained.stdout) expect(line).not.toMatch(/\b0\/\d+/);

    const runs = await graft('experiments', '--project', 'Colours');
    expect(runs.code).toBe(0);
    // The id comes first, named as what commands take; the run's name ("Run 1") may differ from it.
    expect(runs.stdout[0]).toMatch(/take a run by its id \(first column\)/);
    expect(runs.stdout[1]).toMatch(/^ +id {2}status .*validation accuracy {2}technique {2,}backbone$/);
    expect(runs.stdout[2]).toMatch(/^\s+1 {2}finished .*% {2}Feature extraction {2,}“Tiny net” \(imported-/);
    expect(text).toMatch(/^\[id 1\] “Run 1”: finished in/m);
    const shown = await graft('show', '1');
    expect(shown.code).toBe(0);
    expect(shown.stdout.join('\n')).toMatch(/test \(held out\)[\s\S]*red: \d+\/\d+\/\d+[\s\S]*settings:/);
    expect((await graft('projects')).stdout).toEqual(['“Colours”: 28 photos, 28 labelled']);
  });
});
