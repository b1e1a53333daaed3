import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeLabelledFolder } from '../../e2e/fixtures/photo-corpus';
import type { GraftApp } from './graft-app';
import { tempGraftApp } from './test-app';

let env: ReturnType<typeof tempGraftApp>;
let app: GraftApp;
let projectId: number;

/** `train/{ants,bees}` (8 each) and `val/{ants,bees}` (4 each), plus one unreadable photo. */
beforeEach(async () => {
  env = tempGraftApp();
  app = env.app;
  const root = path.join(env.dir, 'hymenoptera');
  await writeLabelledFolder(path.join(root, 'train'), { ants: 8, bees: 8 });
  await writeLabelledFolder(path.join(root, 'val'), { ants: 4, bees: 4 }, { startIndex: 100 });
  fs.writeFileSync(path.join(root, 'train', 'ants', 'broken.jpg'), 'not a photo');
  projectId = app.projects.create('Bees').id;
  const folder = app.folders.add(projectId, root, true);
  await app.importer.start(folder.id).done;
});
afterEach(() => env.cleanup());

const total = (counts: { train: number; val: number; test: number }) => counts.train + counts.val + counts.test;
const classId = (name: string) => app.classes.list(projectId).find((c) => c.name === name)!.id;

describe('splits from folder names', () => {
  it('says the split came from folder names, with the counts', () => {
    const { sources, unassigned } = app.splits.summary(projectId);
    expect(sources.folders).toEqual({ train: 16, val: 8, test: 0 });
    expect(total(sources.generated) + total(sources.byHand)).toBe(0);
    expect(unassigned).toBe(0);
  });

  it('keeps folder splits when generating unless asked to replace them', () => {
    const kept = app.splits.generate(projectId, 3, { train: 0.7, val: 0.15, test: 0.15 });
    expect(kept.sources.folders).toEqual({ train: 16, val: 8, test: 0 });

    const replaced = app.splits.generate(projectId, 3, { train: 0.5, val: 0.25, test: 0.25 }, true);
    expect(total(replaced.sources.folders)).toBe(0);
    expect(replaced.sources.generated).toEqual({ train: 12, val: 6, test: 6 });
  });

  it('carves a seeded, per-class test split out of train and val', () => {
    const carved = app.splits.carveTest(projectId, 5, 0.25);
    // 12 photos per class in train+val: 3 of each class move to test.
    expect(carved.perClass.map((p) => p.test)).toEqual([3, 3]);
    expect(carved.sources.generated.test).toBe(6);
    expect(total(carved.sources.folders)).toBe(18);
    // A quarter of the 9 left in train+val per class: 2 more each.
    const again = app.splits.carveTest(projectId, 5, 0.25);
    expect(again.perClass.map((p) => p.test)).toEqual([5, 5]);
    expect(() => app.splits.carveTest(projectId, 5, 1)).toThrow(/between 0 and 1/);
  });

  it('never puts an unreadable photo in a split', () => {
    const [broken] = app.images.list(projectId, { kind: 'problems' });
    expect(broken.status).toBe('unreadable');
    app.splits.set(projectId, [broken.id], 'test');
    expect(app.images.get(broken.id).split).toBeNull();
  });

  it('never puts a new-domain photo in a split, and says how many it left out and why', async () => {
    const fresh = path.join(env.dir, 'fresh');
    await writeLabelledFolder(fresh, { ants: 2 }, { startIndex: 200 });
    const folder = app.folders.add(projectId, fresh, true);
    await app.importer.start(folder.id).done;
    app.domains.setFolderDomain(folder.id, 'target');
    const target = app.images.list(projectId, { kind: 'all', domain: 'target' });
    expect(target).toHaveLength(2);
    // The rows say so, so the Library can keep them out of "Move to".
    expect(target.map((t) => [t.newDomain, app.images.get(t.id).newDomain])).toEqual([
      [true, true],
      [true, true],
    ]);
    expect(app.images.list(projectId, { kind: 'all', domain: 'source' }).some((r) => r.newDomain)).toBe(false);
    const [source] = app.images.list(projectId, { kind: 'all', split: 'val' });
    const [broken] = app.images.list(projectId, { kind: 'problems' });
    const before = app.splits.summary(projectId);
    const moved = app.splits.set(projectId, [...target.map((t) => t.id), source.id, broken.id], 'train');
    expect(moved.skipped.map((s) => [s.code, s.count])).toEqual([
      ['NEW_DOMAIN', 2],
      ['UNREADABLE', 1],
    ]);
    expect(target.map((t) => app.images.get(t.id).split)).toEqual([null, null]);
    expect(app.images.get(source.id).split).toBe('train');
    expect(total(moved.sources.byHand)).toBe(1);
    expect(moved.perClass.map(total)).toEqual(before.perClass.map(total));
    // A split an older version stored for a new-domain photo is never counted.
    app.ctx.db.prepare(`INSERT INTO splits (image_id, split, origin) VALUES (?, 'train', 'user')`).run(target[0].id);
    const stale = app.splits.summary(projectId);
    expect(stale.perClass).toEqual(moved.perClass);
    expect(stale.sources).toEqual(moved.sources);
  });
});

describe('image filters', () => {
  it('combines a class with a split (bees in val)', () => {
    const bees = app.images.list(projectId, { kind: 'class', classId: classId('bees'), split: 'val' });
    expect(bees.map((r) => r.name).sort()).toEqual(
      ['bees-0100.jpg', 'bees-0101.jpg', 'bees-0102.jpg', 'bees-0103.jpg'].sort(),
    );
    expect(app.images.list(projectId, { kind: 'all', split: 'train' })).toHaveLength(16);
    expect(app.images.list(projectId, { kind: 'unlabelled', split: 'val' })).toHaveLength(0);
    expect(() => app.images.list(projectId, { kind: 'all', split: 'nope' as 'val' })).toThrow(/Unknown split/);
  });
});

describe('label events', () => {
  it('carry the changed photos with their class before and after, so windows need not reload', () => {
    const events: unknown[] = [];
    app.ctx.events.subscribe((event, payload) => {
      if (event === 'labels:changed') events.push(payload);
    });
    const ants = classId('ants');
    const bees = classId('bees');
    // The first two val photos are ants (val/ants/… sorts before val/bees/…).
    const [first, second] = app.images.list(projectId, { kind: 'all', split: 'val' });
    expect([first.classId, second.classId]).toEqual([ants, ants]);
    app.labels.assign(projectId, [first.id, second.id], bees);
    app.labels.undo(projectId);
    expect(events).toEqual([
      {
        projectId,
        changes: [
          { imageId: first.id, from: ants, to: bees },
          { imageId: second.id, from: ants, to: bees },
        ],
      },
      {
        projectId,
        changes: [
          { imageId: first.id, from: bees, to: ants },
          { imageId: second.id, from: bees, to: ants },
        ],
      },
    ]);
  });
});
