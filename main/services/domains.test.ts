import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeLabelledFolder } from '../../e2e/fixtures/photo-corpus';
import { tempColourProject } from './test-app';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

describe('the Library filtered by domain', () => {
  it('lists training photos or new-domain photos, combined with a class and a split', async () => {
    const env = await tempColourProject({ red: 4, blue: 3 });
    cleanup = env.cleanup;
    const { app, projectId } = env;
    await writeLabelledFolder(path.join(env.dir, 'cartoons'), { red: 2, blue: 1 }, { startIndex: 50 });
    const target = app.folders.add(projectId, path.join(env.dir, 'cartoons'), true);
    await app.importer.start(target.id).done;
    app.domains.setFolderDomain(target.id, 'target');
    app.splits.generate(projectId, 1, { train: 0.5, val: 0.5, test: 0 });
    const names = (filter: Parameters<typeof app.images.list>[1]) =>
      app.images
        .list(projectId, filter)
        .map((r) => r.name)
        .sort();

    expect(names({ kind: 'all', domain: 'target' })).toEqual(['blue-0050.jpg', 'red-0050.jpg', 'red-0051.jpg']);
    expect(names({ kind: 'all', domain: 'source' })).toHaveLength(7);
    expect(names({ kind: 'all' })).toHaveLength(10);
    const red = app.classes.list(projectId).find((c) => c.name === 'red')!;
    // Class counts say how many of a class's photos are new-domain (their labels only measure).
    expect(app.classes.list(projectId).map((c) => [c.name, c.count, c.newDomainCount])).toEqual([
      ['blue', 4, 1],
      ['red', 6, 2],
    ]);
    expect(names({ kind: 'class', classId: red.id, domain: 'target' })).toEqual(['red-0050.jpg', 'red-0051.jpg']);
    // New-domain photos never get a split, so a split and the new domain show nothing together.
    expect(names({ kind: 'all', split: 'train', domain: 'target' })).toEqual([]);
    const trainSource = names({ kind: 'all', split: 'train', domain: 'source' });
    expect(trainSource.length).toBeGreaterThan(0);
    expect(trainSource).toEqual(names({ kind: 'all', split: 'train' }));
    expect(() => app.images.list(projectId, { kind: 'all', domain: 'elsewhere' as 'source' })).toThrow(
      /Unknown domain/,
    );
    expect(() => app.domains.counts(projectId + 99)).toThrow(expect.objectContaining({ code: 'PROJECT_NOT_FOUND' }));
  });
});
