import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeClassPhoto } from '../../e2e/fixtures/photo-corpus';
import { eachTestGraftApp } from './test-app-hooks';

const COMPOSED = 'caf\u00e9';
const DECOMPOSED = 'cafe\u0301';

const env = eachTestGraftApp();

describe('class names', () => {
  it('are stored in NFC and compared case- and normalisation-insensitively on create and rename', () => {
    const projectId = env.app.projects.create('Names').id;
    const created = env.app.classes.create(projectId, ` ${DECOMPOSED} `);
    expect(created.name).toBe(COMPOSED);
    expect(() => env.app.classes.create(projectId, COMPOSED)).toThrow(expect.objectContaining({ code: 'NAME_TAKEN' }));
    expect(() => env.app.classes.create(projectId, 'CAFE\u0301')).toThrow(
      expect.objectContaining({ code: 'NAME_TAKEN' }),
    );
    expect(() => env.app.classes.create(projectId, 'CAF\u00c9')).toThrow(
      expect.objectContaining({ code: 'NAME_TAKEN' }),
    );

    const other = env.app.classes.create(projectId, 'tea');
    expect(() => env.app.classes.update(other.id, { name: 'Cafe\u0301' })).toThrow(
      expect.objectContaining({ code: 'NAME_TAKEN' }),
    );
    expect(env.app.classes.update(created.id, { name: `CAFE\u0301` }).name).toBe('CAF\u00c9');
    expect(env.app.classes.list(projectId).map((c) => c.name)).toEqual(['CAF\u00c9', 'tea']);
  });

  it('folders named in composed and decomposed form give one class on import', async () => {
    const photos = path.join(env.dir, 'photos');
    await writeClassPhoto(path.join(photos, COMPOSED, 'a.jpg'), 0, 1);
    await writeClassPhoto(path.join(photos, DECOMPOSED, 'b.jpg'), 0, 2);
    await writeClassPhoto(path.join(photos, 'Cafe\u0301', 'c.jpg'), 0, 3);
    // Both spellings must really exist as separate folders for the test to mean anything.
    expect(fs.readdirSync(photos)).toHaveLength(3);
    const projectId = env.app.projects.create('Unicode').id;
    const folder = env.app.folders.add(projectId, photos, true);

    const summary = await env.app.importer.start(folder.id).done;

    expect(summary.labelled).toBe(3);
    const classes = env.app.classes.list(projectId);
    expect(classes.map((c) => [c.name, c.count])).toEqual([[COMPOSED, 3]]);
  });
});
