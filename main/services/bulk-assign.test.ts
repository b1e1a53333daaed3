import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeLabelledFolder } from '../../e2e/fixtures/photo-corpus';
import type { GraftApp } from './graft-app';
import { tempGraftApp } from './test-app';

let env: ReturnType<typeof tempGraftApp>;
let app: GraftApp;
beforeEach(() => {
  env = tempGraftApp();
  app = env.app;
});
afterEach(() => env.cleanup());

describe('a bulk assign', () => {
  it('reports only the photos whose class changed, whatever the old label came from', async () => {
    const photos = path.join(env.dir, 'photos');
    await writeLabelledFolder(photos, { ants: 5, bees: 3 });
    const projectId = app.projects.create('Bulk').id;
    const folder = app.folders.add(projectId, photos, true);
    await app.importer.start(folder.id).done;
    const [ants, bees] = app.classes.list(projectId);
    const all = app.images.list(projectId, { kind: 'all' }).map((r) => r.id);
    const extra = app.classes.create(projectId, 'wasps');
    const [userLabelled] = app.images.list(projectId, { kind: 'class', classId: bees.id }).map((r) => r.id);
    app.labels.assign(projectId, [userLabelled], extra.id);
    app.labels.assign(projectId, [userLabelled], bees.id);

    // 5 ants came from folder names, 3 bees (one relabelled by hand): only the bees change.
    const result = app.labels.assign(projectId, all, ants.id);

    expect(result.changed).toBe(3);
    expect(app.labels.undo(projectId).changed).toBe(3);
    expect(app.classes.list(projectId).map((c) => [c.name, c.count])).toEqual([
      ['ants', 5],
      ['bees', 3],
      ['wasps', 0],
    ]);
    expect(app.labels.assign(projectId, all.slice(0, 5), ants.id).changed).toBe(0);
    expect(app.labels.assign(projectId, [], null).changed).toBe(0);
  });
});
