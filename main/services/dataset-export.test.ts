import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { distinctPhoto, writePhoto } from '../../e2e/fixtures/health-corpus';
import { exportDataset, safeFileName } from './dataset-export';
import { eachTestGraftApp } from './test-app-hooks';

const env = eachTestGraftApp();

async function labelledProject() {
  const root = path.join(env.dir, 'photos');
  await writePhoto(root, 'train/cats/a.jpg', await distinctPhoto(1));
  await writePhoto(root, 'train/cats/sub/a.jpg', await distinctPhoto(2));
  await writePhoto(root, 'train/cats/A.JPG', await distinctPhoto(3));
  await writePhoto(root, 'val/cats/b.jpg', await distinctPhoto(4));
  await writePhoto(root, 'train/dogs/c.jpg', await distinctPhoto(5));
  await writePhoto(root, 'val/dogs/d.jpg', await distinctPhoto(6));
  await writePhoto(root, 'e.jpg', await distinctPhoto(7));
  const projectId = env.app.projects.create('Pets').id;
  const folder = env.app.folders.add(projectId, root, true);
  await env.app.importer.start(folder.id).done;
  return { projectId, root };
}

const run = (projectId: number, name = 'pets-dataset') =>
  exportDataset(env.app.ctx, env.app.splits, env.app.images, projectId, env.dir, name);

describe('dataset export', () => {
  it('writes split/class/file with unique names, hard links, and manifests that agree with the tree', async () => {
    const { projectId, root } = await labelledProject();
    const summary = await run(projectId);
    expect(summary).toMatchObject({ photos: 6, hardLinked: 6, copied: 0, failed: [] });
    const out = summary.folder;
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.classes).toEqual(['cats', 'dogs']);
    const paths = manifest.photos.map((p: { path: string }) => p.path).sort();
    expect(paths).toEqual(
      [
        'train/cats/A.JPG',
        'train/cats/a-2.jpg',
        'train/cats/a-3.jpg',
        'train/dogs/c.jpg',
        'val/cats/b.jpg',
        'val/dogs/d.jpg',
      ].sort(),
    );
    for (const p of manifest.photos) {
      const file = path.join(out, ...p.path.split('/'));
      expect(fs.statSync(file).ino).toBe(fs.statSync(path.join(root, ...p.source.split('/'))).ino);
      expect(p.contentHash).toMatch(/^[0-9a-f]{64}$/);
      expect(p.path.split('/')[1]).toBe(p.label);
    }
    const csv = fs.readFileSync(path.join(out, 'manifest.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('path,contentHash,label,split,origin,source');
    expect(csv).toHaveLength(7);
    expect(fs.readdirSync(env.dir).filter((n) => n.includes('.partial-'))).toEqual([]);
  });

  it('leaves excluded photos out and refuses an existing folder', async () => {
    const { projectId } = await labelledProject();
    const dog = env.app.images
      .list(projectId, { kind: 'all' })
      .find((i) => env.app.images.get(i.id).relPath === 'train/dogs/c.jpg')!;
    env.app.health.setExcluded(projectId, [dog.id], true);
    expect((await run(projectId)).photos).toBe(5);
    await expect(run(projectId)).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('neutralises formula-leading cells in manifest.csv, as the predictions CSV does', async () => {
    const root = path.join(env.dir, 'formulas');
    await writePhoto(root, '=HYPERLINK(x)/a.jpg', await distinctPhoto(1));
    await writePhoto(root, '+SUM(1)/b.jpg', await distinctPhoto(2));
    const projectId = env.app.projects.create('Formulas').id;
    await env.app.importer.start(env.app.folders.add(projectId, root, true).id).done;
    const summary = await run(projectId);
    const cells = fs
      .readFileSync(path.join(summary.folder, 'manifest.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .flatMap((line) => line.split(','));
    expect(cells.filter((c) => /^[=+\-@]/.test(c))).toEqual([]);
    expect(cells).toContain("'=HYPERLINK(x)");
    expect(cells).toContain("'+SUM(1)");
    const manifest = JSON.parse(fs.readFileSync(path.join(summary.folder, 'manifest.json'), 'utf8'));
    expect(manifest.photos.map((p: { label: string }) => p.label).sort()).toEqual(['+SUM(1)', '=HYPERLINK(x)']);
  });

  it('refuses to write into or around a photo folder or the data folder', async () => {
    const { projectId, root } = await labelledProject();
    const before = fs.readdirSync(root).sort();
    const into = (location: string, name: string) =>
      exportDataset(env.app.ctx, env.app.splits, env.app.images, projectId, location, name);
    for (const [location, name] of [
      [root, 'dataset'],
      [path.join(root, 'train'), 'dataset'],
      [env.app.ctx.paths.root, 'dataset'],
      [path.dirname(env.dir), path.basename(env.dir)],
    ]) {
      await expect(into(location, name)).rejects.toMatchObject({ code: 'EXPORT_DESTINATION_REFUSED' });
    }
    expect(fs.readdirSync(root).sort()).toEqual(before);
    expect(fs.existsSync(path.join(root, 'dataset'))).toBe(false);
  });

  it('makes names every file system accepts', () => {
    expect(safeFileName('a/b:c*?.jpg')).toBe('a_b_c__.jpg');
    expect(safeFileName('CON.jpg')).toBe('_CON.jpg');
    expect(safeFileName('..')).toBe('_');
    expect(safeFileName('e\u0301te\u0301')).toBe('été');
    expect(Buffer.byteLength(safeFileName(`${'é'.repeat(300)}.png`))).toBeLessThanOrEqual(200);
  });
});
