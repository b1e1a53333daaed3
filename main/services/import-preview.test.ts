import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeClassPhoto } from '../../e2e/fixtures/photo-corpus';
import type { GraftApp } from './graft-app';
import { createHandlers, dispatch } from './handlers';
import { tempGraftApp } from './test-app';

let env: ReturnType<typeof tempGraftApp>;
let app: GraftApp;
let call: (name: string, args: unknown) => Promise<unknown>;
beforeEach(() => {
  env = tempGraftApp();
  app = env.app;
  const handlers = createHandlers(app, { transport: 'host' });
  call = (name, args) => dispatch(handlers, name, args);
});
afterEach(() => env.cleanup());

async function writeTree(name: string, relPaths: string[]): Promise<string> {
  const root = path.join(env.dir, name);
  for (const [index, rel] of relPaths.entries()) await writeClassPhoto(path.join(root, rel), index % 5, index);
  return root;
}

describe('import:preview', () => {
  it('shows the classes of a nested layout with counts, thumbnails, split folders and unclassed photos, importing nothing', async () => {
    const root = await writeTree('nested', [
      'train/cats/a.jpg',
      'train/cats/b.jpg',
      'val/cats/c.jpg',
      'train/dogs/2023/d.jpg',
      'dogs/e.jpg',
      'loose.jpg',
    ]);
    fs.writeFileSync(path.join(root, 'train', 'cats', 'broken.jpg'), 'not a photo');
    const projectId = app.projects.create('Preview').id;
    const location = app.locations.register(root);

    const preview = (await call('import:preview', { location })) as import('../../common/contract').ImportPreview;

    expect(preview).toMatchObject({ path: root, photoCount: 7, classLevel: 1, maxLevel: 2, suggestedLevel: null });
    expect(preview.classes.map((c) => [c.name, c.count])).toEqual([
      ['cats', 4],
      ['dogs', 2],
    ]);
    const cats = preview.classes[0].samples;
    expect(cats.map((s) => s.relPath)).toEqual([
      'train/cats/a.jpg',
      'train/cats/b.jpg',
      'train/cats/broken.jpg',
      'val/cats/c.jpg',
    ]);
    expect(cats[0].thumbnail).toMatch(/^data:image\/jpeg;base64,\/9j\//);
    expect(cats[2].thumbnail).toBeNull();
    expect(preview.splitFolders).toEqual([
      { name: 'train', split: 'train', count: 4 },
      { name: 'val', split: 'val', count: 1 },
    ]);
    expect(preview.unlabelled).toEqual({ count: 1, samples: ['loose.jpg'] });
    expect(preview.note).toMatch(/^1 photo got no class: some photos sit directly in the chosen folder/);
    expect(app.folders.list(projectId)).toEqual([]);
    expect(app.images.list(projectId, { kind: 'all' })).toEqual([]);
  });

  it('offers the level where the classes are, and imports with the level chosen', async () => {
    const root = await writeTree('pets', ['pets/cats/a.jpg', 'pets/cats/b.jpg', 'pets/dogs/c.jpg']);
    const projectId = app.projects.create('Pets').id;
    const location = app.locations.register(root);
    const first = (await call('import:preview', { location })) as import('../../common/contract').ImportPreview;
    expect(first.classes.map((c) => c.name)).toEqual(['pets']);
    expect(first.suggestedLevel).toBe(2);
    const second = (await call('import:preview', {
      location,
      classLevel: 2,
    })) as import('../../common/contract').ImportPreview;
    expect(second.classes.map((c) => [c.name, c.count])).toEqual([
      ['cats', 2],
      ['dogs', 1],
    ]);

    const folder = (await call('folders:add', { projectId, location, labelsFromSubfolders: true, classLevel: 2 })) as {
      id: number;
    };
    await app.importer.start(folder.id).done;
    expect(app.classes.list(projectId).map((c) => [c.name, c.count])).toEqual([
      ['cats', 2],
      ['dogs', 1],
    ]);
  });

  it('refuses a level out of range and a location that was never chosen', async () => {
    const location = app.locations.register(env.dir);
    await expect(call('import:preview', { location, classLevel: 0 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(call('import:preview', { location, classLevel: 9 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(call('import:preview', { location: '/etc' })).rejects.toMatchObject({ code: 'PICKER_EXPIRED' });
  });
});
