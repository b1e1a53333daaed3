import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatasetSnapshot, TrainConfig } from '../../common/training';
import { uniqueRunName } from './run-names';
import { tempGraftApp } from './test-app';

let env: ReturnType<typeof tempGraftApp>;
let projectId: number;
const config = { backboneId: 'b', technique: 'feature-extraction', seed: 1 } as TrainConfig;
const snapshot = { imageCount: 0, classes: [] } as unknown as DatasetSnapshot;

beforeEach(() => {
  env = tempGraftApp();
  projectId = env.app.projects.create('Names').id;
});
afterEach(() => env.cleanup());

function newRun() {
  const id = env.app.experiments.create(projectId, config, snapshot, []);
  env.app.experiments.finish(id, { status: 'failed', error: 'test' });
  return env.app.experiments.get(id);
}

describe('run names', () => {
  it('never repeats "Run N" in a project, also after a run was deleted', () => {
    const [first, second, third] = [newRun(), newRun(), newRun()];
    expect([first.name, second.name, third.name]).toEqual(['Run 1', 'Run 2', 'Run 3']);
    env.app.experiments.delete(second.id);
    // Two runs remain, so the count alone would say "Run 3" a second time.
    expect(newRun().name).toBe('Run 4');
    const names = env.app.experiments.list(projectId).map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('refuses renaming a run to the name of another run of the project, not to its own or another project’s', () => {
    const [first, second] = [newRun(), newRun()];
    expect(() => env.app.experiments.rename(second.id, ' Run 1 ')).toThrow(
      expect.objectContaining({ code: 'NAME_TAKEN', message: 'Another run is already called “Run 1”.' }),
    );
    expect(env.app.experiments.get(second.id).name).toBe('Run 2');
    expect(env.app.experiments.rename(first.id, 'Run 1').name).toBe('Run 1');
    const otherProject = env.app.projects.create('Other').id;
    const elsewhere = env.app.experiments.create(otherProject, config, snapshot, []);
    expect(env.app.experiments.rename(elsewhere, 'Run 2').name).toBe('Run 2');
  });

  it('numbers a name already taken in the project, and only in that project', () => {
    const run = newRun();
    env.app.experiments.rename(run.id, 'Run 1 adapted (AdaBN)');
    expect(uniqueRunName(env.app.ctx.db, projectId, 'Run 1 adapted (AdaBN)')).toBe('Run 1 adapted (AdaBN) #2');
    expect(uniqueRunName(env.app.ctx.db, projectId, 'Run 1 adapted (CORAL)')).toBe('Run 1 adapted (CORAL)');
    const other = env.app.projects.create('Other').id;
    expect(uniqueRunName(env.app.ctx.db, other, 'Run 1 adapted (AdaBN)')).toBe('Run 1 adapted (AdaBN)');
  });
});
