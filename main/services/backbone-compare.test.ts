import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Events } from '../../common/contract';
import { writeLabelledFolder } from '../../e2e/fixtures/photo-corpus';
import { blindFeatureModel, pooledFeatureModel } from '../ml/onnx/onnx-fixtures';
import { createHandlers, dispatch } from './handlers';
import { eachTestGraftApp } from './test-app-hooks';

const env = eachTestGraftApp();

/** The colour-class project and two imported fixture backbones: mean colour (separates the classes) and blind. */
async function setUp(perClass: Record<string, number>) {
  const app = env.app;
  await writeLabelledFolder(path.join(env.dir, 'photos'), perClass, { width: 64, height: 48 });
  const projectId = app.projects.create('Colours').id;
  const folder = app.folders.add(projectId, path.join(env.dir, 'photos'), true);
  await app.importer.start(folder.id).done;
  const write = (name: string, bytes: Uint8Array) => {
    const file = path.join(env.dir, name);
    fs.writeFileSync(file, bytes);
    return file;
  };
  const colour = await app.backbones.importFile(write('colour.onnx', pooledFeatureModel(['N', 3, 32, 32])), {
    name: 'Mean colour',
  });
  const blind = await app.backbones.importFile(write('blind.onnx', blindFeatureModel()), {
    name: 'Blind',
    tap: 'features',
  });
  return { projectId, colour: colour.backbone.id, blind: blind.backbone.id };
}

function call(name: string, args: unknown) {
  return dispatch(createHandlers(env.app, { transport: 'host' }), name, args);
}

describe('comparing backbones on a project’s photos', () => {
  it('ranks a backbone that separates the classes above one that cannot, and a second compare reads the cache', async () => {
    const { projectId, colour, blind } = await setUp({ red: 10, blue: 10, green: 10 });
    const progress: string[] = [];
    env.app.ctx.events.subscribe((event, p) => {
      if (event === 'backbones:compareProgress') {
        const { backboneIndex, phase } = p as Events['backbones:compareProgress'];
        progress.push(`${backboneIndex}:${phase}`);
      }
    });
    const first = await env.app.backboneCompare.start(projectId, [blind, colour]).done;
    expect(first).toMatchObject({ photos: 30, classes: 3, folds: 5, foldsNote: null });
    expect(first!.rows.map((r) => r.backboneId)).toEqual([colour, blind]);
    const [best, worst] = first!.rows;
    expect(best).toMatchObject({ status: 'ok', name: 'Mean colour', cached: 0, failed: 0 });
    expect(best.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(best.photosPerSecond).toBeGreaterThan(0);
    expect(worst.accuracy).toBeLessThanOrEqual(0.5);
    expect(progress).toEqual(expect.arrayContaining(['1:embedding', '1:probing', '2:embedding', '2:probing']));

    const second = await env.app.backboneCompare.start(projectId, [blind, colour]).done;
    expect(second!.rows.map((r) => [r.backboneId, r.accuracy, r.photosPerSecond, r.cached])).toEqual([
      [colour, best.accuracy, null, 30],
      [blind, worst.accuracy, null, 30],
    ]);
    expect(await call('backbones:lastComparison', { projectId })).toEqual(second);
  });

  it('skips, with its reason, a backbone that cannot be loaded and scores the others', async () => {
    const { projectId, colour, blind } = await setUp({ red: 6, blue: 6 });
    const spec = env.app.backbones.spec(blind);
    if (spec.source.kind !== 'imported') throw new Error('expected an imported backbone');
    fs.writeFileSync(path.join(env.app.ctx.paths.root, spec.source.path), 'not a model any more');
    const result = await env.app.backboneCompare.start(projectId, [blind, colour]).done;
    expect(result!.rows.map((r) => [r.backboneId, r.status])).toEqual([
      [colour, 'ok'],
      [blind, 'skipped'],
    ]);
    expect(result!.rows[1].reason).toMatch(/cannot be loaded/);
  });

  it('uses fewer folds for a small class and says so, and compares a backbone named twice once', async () => {
    const { projectId, colour } = await setUp({ red: 8, blue: 3 });
    const result = await env.app.backboneCompare.start(projectId, [colour, 'Mean colour']).done;
    expect(result!.rows).toHaveLength(1);
    expect(result).toMatchObject({ folds: 3, foldsNote: expect.stringMatching(/smallest class has only 3 photos/) });
  });

  it('refuses too few photos through the contract with TOO_FEW_PHOTOS and a message to label more', async () => {
    const { projectId } = await setUp({ red: 4, blue: 1 });
    await expect(call('backbones:compare', { projectId })).rejects.toMatchObject({
      code: 'TOO_FEW_PHOTOS',
      message: expect.stringMatching(/at least 2 labelled photos/),
    });
  });

  it('cancels: the job ends cancelled, nothing is kept as the last comparison, and a new compare may start', async () => {
    const { projectId, colour } = await setUp({ red: 6, blue: 6 });
    const finished: string[] = [];
    env.app.ctx.events.subscribe((event, f) => {
      if (event === 'backbones:compareFinished') finished.push((f as Events['backbones:compareFinished']).status);
    });
    const { jobId } = (await call('backbones:compare', { projectId, backboneIds: [colour] })) as { jobId: number };
    expect(() => env.app.backboneCompare.start(projectId, [colour])).toThrow(/already being compared/);
    expect(await call('backbones:compareCancel', { jobId })).toEqual({ cancelling: true });
    await expect.poll(() => finished).toEqual(['cancelled']);
    expect(env.app.backboneCompare.last(projectId)).toBeNull();
    const status = env.app.ctx.db.prepare('SELECT status FROM jobs WHERE id = ?').get(jobId) as { status: string };
    expect(status.status).toBe('cancelled');
    expect(await env.app.backboneCompare.start(projectId, [colour]).done).not.toBeNull();
  });
});
