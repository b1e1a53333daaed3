import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openDatabase } from '../connection';
import { MIGRATIONS } from '.';

let dir = '';
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it('drops the splits new-domain photos hold, keeping the training photos’ splits', () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-0009-'));
  const file = path.join(dir, 'graft.sqlite');
  const before = MIGRATIONS.findIndex((m) => m.version === 9);
  const old = openDatabase(file, MIGRATIONS.slice(0, before));
  old.exec(`
    INSERT INTO projects (id, name, created_at) VALUES (1, 'Pets', 'now');
    INSERT INTO source_folders (id, project_id, path, domain) VALUES (1, 1, '/photos', 'source'), (2, 1, '/cartoons', 'target');
    INSERT INTO images (id, project_id, folder_id, rel_path, size_bytes, mtime_ms, status, added_at)
      VALUES (1, 1, 1, 'dog/a.jpg', 1, 1, 'ok', 'now'), (2, 1, 2, 'dog/b.jpg', 1, 1, 'ok', 'now');
    INSERT INTO splits (image_id, split, origin) VALUES (1, 'val', 'auto'), (2, 'train', 'user');
  `);
  old.close();
  const db = openDatabase(file);
  expect(db.prepare('SELECT image_id AS id, split FROM splits').all()).toEqual([{ id: 1, split: 'val' }]);
  db.close();
});
