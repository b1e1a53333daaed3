import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeLabelledFolder } from '../../e2e/fixtures/photo-corpus';
import { GraftApp } from './graft-app';
import { tempGraftApp } from './test-app';

let env: ReturnType<typeof tempGraftApp>;
let app: GraftApp;
let projectId: number;
let ids: number[];

beforeEach(async () => {
  env = tempGraftApp();
  app = env.app;
  await writeLabelledFolder(path.join(env.dir, 'p'), { a: 6, b: 6 });
  projectId = app.projects.create('Labels').id;
  const folder = app.folders.add(projectId, path.join(env.dir, 'p'), false);
  await app.importer.start(folder.id).done;
  ids = app.images.list(projectId, { kind: 'all' }).map((r) => r.id);
});
afterEach(() => env.cleanup());

describe('labels', () => {
  it('assigns in bulk, undoes and redoes, and the history survives a restart', () => {
    const cat = app.classes.create(projectId, 'Cat');
    const dog = app.classes.create(projectId, 'Dog');
    app.labels.assign(projectId, ids.slice(0, 4), cat.id);
    const second = app.labels.assign(projectId, ids.slice(2, 6), dog.id);
    expect(second).toEqual({ changed: 4, canUndo: true, canRedo: false });
    expect(app.classes.list(projectId).map((c) => c.count)).toEqual([2, 4]);

    expect(app.labels.undo(projectId).changed).toBe(4);
    expect(app.classes.list(projectId).map((c) => c.count)).toEqual([4, 0]);
    expect(app.images.list(projectId, { kind: 'unlabelled' })).toHaveLength(8);

    const dataDir = app.ctx.paths.root;
    app.close();
    app = new GraftApp({ dataDir });
    env.app = app;
    expect(app.labels.history(projectId)).toEqual({ changed: 0, canUndo: true, canRedo: true });
    app.labels.redo(projectId);
    expect(app.classes.list(projectId).map((c) => c.count)).toEqual([2, 4]);
    app.labels.undo(projectId);
    app.labels.undo(projectId);
    expect(app.images.list(projectId, { kind: 'unlabelled' })).toHaveLength(12);
    expect(app.labels.undo(projectId)).toEqual({ changed: 0, canUndo: false, canRedo: true });
  });

  it('a new change after undo clears the redo history; clearing a label is undoable', () => {
    const cat = app.classes.create(projectId, 'Cat');
    app.labels.assign(projectId, [ids[0]], cat.id);
    app.labels.undo(projectId);
    app.labels.assign(projectId, [ids[1]], cat.id);
    expect(app.labels.history(projectId).canRedo).toBe(false);
    app.labels.assign(projectId, [ids[1]], null);
    expect(app.images.get(ids[1]).classId).toBeNull();
    app.labels.undo(projectId);
    expect(app.images.get(ids[1]).classId).toBe(cat.id);
  });

  it('refuses photos and classes of another project', () => {
    const other = app.projects.create('Other');
    const foreign = app.classes.create(other.id, 'X');
    expect(() => app.labels.assign(projectId, [ids[0]], foreign.id)).toThrow(/another project/);
    expect(() => app.labels.assign(other.id, [ids[0]], foreign.id)).toThrow(/not in this project/);
  });
});

describe('classes', () => {
  it('renames, recolours, sets shortcuts, reorders, merges and deletes', () => {
    const a = app.classes.create(projectId, 'A');
    const b = app.classes.create(projectId, 'B');
    const c = app.classes.create(projectId, 'C');
    expect([a.shortcut, b.shortcut, c.shortcut]).toEqual(['1', '2', '3']);
    expect(() => app.classes.create(projectId, 'a')).toThrow(/already a class/);
    app.classes.update(a.id, { name: 'Apple', colour: '#112233', shortcut: '3' });
    expect(app.classes.get(c.id).shortcut).toBeNull();
    expect(app.classes.get(a.id)).toMatchObject({ name: 'Apple', colour: '#112233', shortcut: '3' });
    expect(app.classes.reorder(projectId, [c.id, a.id, b.id]).map((x) => x.name)).toEqual(['C', 'Apple', 'B']);

    app.labels.assign(projectId, ids.slice(0, 3), a.id);
    app.labels.assign(projectId, ids.slice(3, 5), b.id);
    expect(app.classes.merge(a.id, b.id).count).toBe(5);
    expect(app.classes.list(projectId).map((x) => x.name)).toEqual(['C', 'B']);
    expect(app.classes.delete(b.id)).toBe(5);
    expect(app.images.list(projectId, { kind: 'unlabelled' })).toHaveLength(12);
  });
});

describe('splits', () => {
  it('is stratified, reproducible from the seed, and keeps photos the user placed', () => {
    const a = app.classes.create(projectId, 'A');
    const b = app.classes.create(projectId, 'B');
    app.labels.assign(projectId, ids.slice(0, 6), a.id);
    app.labels.assign(projectId, ids.slice(6, 12), b.id);
    const ratios = { train: 0.5, val: 0.333, test: 0.167 };
    const first = app.splits.generate(projectId, 7, ratios);
    expect(first.perClass.map((p) => [p.train, p.val, p.test])).toEqual([
      [3, 2, 1],
      [3, 2, 1],
    ]);
    const splitOf = () => app.images.list(projectId, { kind: 'all' }).map((r) => r.split);
    const seven = splitOf();
    app.splits.generate(projectId, 8, ratios);
    const eight = splitOf();
    app.splits.generate(projectId, 7, ratios);
    expect(splitOf()).toEqual(seven);
    expect(eight).not.toEqual(seven);

    const trainOne = app.images.list(projectId, { kind: 'all', split: 'train' })[0].id;
    app.splits.set(projectId, [trainOne], 'test');
    app.splits.generate(projectId, 8, ratios);
    expect(app.images.get(trainOne).split).toBe('test');
    expect(() => app.splits.generate(projectId, 1, { train: 0.9, val: 0.9, test: 0 })).toThrow(/add up to 1/);
  });
});

describe('projects', () => {
  it('creates, lists with counts, renames, reopens the last one and deletes without touching photos', () => {
    const other = app.projects.create('Zeta');
    expect(() => app.projects.create(' labels ')).toThrow(/already exists/);
    expect(app.projects.lastOpened()).toBeNull();
    app.projects.open(projectId);
    expect(app.projects.lastOpened()?.id).toBe(projectId);
    expect(app.projects.rename(other.id, 'Eta').name).toBe('Eta');
    expect(app.projects.list().find((p) => p.id === projectId)).toMatchObject({ imageCount: 12, labelledCount: 0 });
    const photo = app.images.absolutePath(ids[0]);
    app.projects.delete(projectId);
    expect(app.projects.list().map((p) => p.name)).toEqual(['Eta']);
    expect(fs.existsSync(photo)).toBe(true);
  });
});
