import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeLabelledFolder } from '../../e2e/fixtures/photo-corpus';
import { eachTestGraftApp } from './test-app-hooks';

const env = eachTestGraftApp();

describe('a bulk assign', () => {
  it('reports only the photos whose class changed, whatever the old label came from', async () => {
    const photos = path.join(env.dir, 'photos');
    await writeLabelledFolder(photos, { ants: 5, bees: 3 });
    const projectId = env.app.projects.create('Bulk').id;
    const folder = env.app.folders.add(projectId, photos, true);
    await env.app.importer.start(folder.id).done;
    const [ants, bees] = env.app.classes.list(projectId);
    const all = env.app.images.list(projectId, { kind: 'all' }).map((r) => r.id);
    const extra = env.app.classes.create(projectId, 'wasps');
    const [userLabelled] = env.app.images.list(projectId, { kind: 'class', classId: bees.id }).map((r) => r.id);
    env.app.labels.assign(projectId, [userLabelled], extra.id);
    env.app.labels.assign(projectId, [userLabelled], bees.id);

    // 5 ants came from folder names, 3 bees (one relabelled by hand): only the bees change.
    const result = env.app.labels.assign(projectId, all, ants.id);

    expect(result.changed).toBe(3);
    expect(env.app.labels.undo(projectId).changed).toBe(3);
    expect(env.app.classes.list(projectId).map((c) => [c.name, c.count])).toEqual([
      ['ants', 5],
      ['bees', 3],
      ['wasps', 0],
    ]);
    expect(env.app.labels.assign(projectId, all.slice(0, 5), ants.id).changed).toBe(0);
    expect(env.app.labels.assign(projectId, [], null).changed).toBe(0);
  });
});
