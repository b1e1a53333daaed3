import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeLayout, folderLabel, unlabelledReason } from '../../common/folder-layout';
import { writeClassPhoto } from '../../e2e/fixtures/photo-corpus';
import { eachTestGraftApp } from './test-app-hooks';

const env = eachTestGraftApp();

/** Writes one small photo per relative path (distinct content each), below a new folder. */
async function writeTree(name: string, relPaths: string[]): Promise<string> {
  const root = path.join(env.dir, name);
  for (const [index, rel] of relPaths.entries()) await writeClassPhoto(path.join(root, rel), index % 5, index);
  return root;
}

async function importTree(root: string, classLevel?: number) {
  const projectId = env.app.projects.create(path.basename(root)).id;
  const folder = env.app.folders.add(projectId, root, true);
  if (classLevel) env.app.importer.setClassLevel(folder.id, classLevel);
  const summary = await env.app.importer.start(folder.id).done;
  const byName = new Map(
    env.app.images.list(projectId, { kind: 'all' }).map((row) => {
      const detail = env.app.images.get(row.id);
      const cls = env.app.classes.list(projectId).find((c) => c.id === row.classId);
      return [detail.relPath, { className: cls?.name ?? null, split: row.split }];
    }),
  );
  return { projectId, folder, summary, byName };
}

describe('folderLabel', () => {
  it('takes the class from the first folder level, skipping split folders at any level', () => {
    expect(folderLabel('train/cats/a.jpg')).toMatchObject({ className: 'cats', split: 'train' });
    expect(folderLabel('cats/TRAIN/a.jpg')).toMatchObject({ className: 'cats', split: 'train' });
    expect(folderLabel('cats/2023/a.jpg')).toMatchObject({ className: 'cats', split: null });
    expect(folderLabel('Validation/dogs/x/b.jpg')).toMatchObject({ className: 'dogs', split: 'val' });
    expect(folderLabel('valid/b.jpg')).toMatchObject({ className: null, split: 'val', cause: 'split-only' });
    expect(folderLabel('a.jpg')).toMatchObject({ className: null, split: null, cause: 'root' });
    expect(folderLabel('pets/cats/a.jpg', 2)).toMatchObject({ className: 'cats' });
    expect(folderLabel('pets/a.jpg', 2)).toMatchObject({ className: null, cause: 'too-shallow' });
  });

  it('describes a layout and suggests another level where the first finds one class', () => {
    const layout = describeLayout(['pets/cats/a.jpg', 'pets/cats/b.jpg', 'pets/dogs/c.jpg', 'd.jpg']);
    expect(layout.classes).toEqual([
      { name: 'pets', count: 3, samples: ['pets/cats/a.jpg', 'pets/cats/b.jpg', 'pets/dogs/c.jpg'] },
    ]);
    expect(layout).toMatchObject({ maxLevel: 2, suggestedLevel: 2 });
    expect(layout.unlabelled).toMatchObject({ count: 1, samples: ['d.jpg'] });
    expect(describeLayout(['pets/cats/a.jpg', 'pets/dogs/c.jpg'], 2)).toMatchObject({
      classes: [expect.objectContaining({ name: 'cats' }), expect.objectContaining({ name: 'dogs' })],
      suggestedLevel: null,
    });
    expect(unlabelledReason(describeLayout(['a.jpg', 'b.jpg']))).toMatch(/directly in the chosen folder/);
    expect(unlabelledReason(describeLayout(['train/a.jpg', 'val/b.jpg']))).toMatch(
      /no class folders were found below the split folders \(train, val\)/,
    );
  });
});

describe('importing with labels from folders', () => {
  it('labels by the first folder level, not the photo’s own folder', async () => {
    const root = await writeTree('years', ['cats/2023/a.jpg', 'dogs/2023/b.jpg', 'cats/2024/c.jpg']);
    const { projectId, summary, byName } = await importTree(root);

    expect(env.app.classes.list(projectId).map((c) => [c.name, c.count])).toEqual([
      ['cats', 2],
      ['dogs', 1],
    ]);
    expect(byName.get('dogs/2023/b.jpg')).toEqual({ className: 'dogs', split: null });
    expect(summary).toMatchObject({ labelled: 3, labelNote: null });
  });

  it('finds the class above or below split folders and takes the split from them', async () => {
    const root = await writeTree('splits', [
      'red/train/x.jpg',
      'red/val/y.jpg',
      'train/blue/z.jpg',
      'Valid/blue/w.jpg',
      'green/TEST/deep/v.jpg',
    ]);
    const { summary, byName } = await importTree(root);

    expect(summary.labelled).toBe(5);
    expect(Object.fromEntries(byName)).toEqual({
      'red/train/x.jpg': { className: 'red', split: 'train' },
      'red/val/y.jpg': { className: 'red', split: 'val' },
      'train/blue/z.jpg': { className: 'blue', split: 'train' },
      'Valid/blue/w.jpg': { className: 'blue', split: 'val' },
      'green/TEST/deep/v.jpg': { className: 'green', split: 'test' },
    });
  });

  it('says why nothing was labelled', async () => {
    const flat = await importTree(await writeTree('flat', ['a.jpg', 'b.jpg']));
    expect(flat.summary.labelled).toBe(0);
    expect(flat.summary.labelNote).toMatch(/No photo got a class: the photos sit directly in the chosen folder/);

    const splitOnly = await importTree(await writeTree('split-only', ['train/a.jpg', 'val/b.jpg']));
    expect(splitOnly.summary.labelled).toBe(0);
    expect(splitOnly.summary.labelNote).toMatch(/no class folders were found below the split folders/);
    expect([...splitOnly.byName.values()].map((v) => v.split).sort()).toEqual(['train', 'val']);
  });

  it('uses a chosen deeper class level, kept for re-scans', async () => {
    const root = await writeTree('nested', ['pets/cats/a.jpg', 'pets/dogs/b.jpg', 'pets/dogs/c.jpg']);
    const { projectId, folder, summary } = await importTree(root, 2);
    expect(summary.labelled).toBe(3);
    expect(env.app.classes.list(projectId).map((c) => [c.name, c.count])).toEqual([
      ['cats', 1],
      ['dogs', 2],
    ]);
    await writeClassPhoto(path.join(root, 'pets', 'cats', 'd.jpg'), 1, 99);
    const again = await env.app.importer.start(folder.id).done;
    expect(again).toMatchObject({ added: 1, labelled: 1 });
    expect(env.app.classes.list(projectId).map((c) => c.name)).toEqual(['cats', 'dogs']);
    expect(() => env.app.importer.setClassLevel(folder.id, 0)).toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST' }),
    );
  });
});
