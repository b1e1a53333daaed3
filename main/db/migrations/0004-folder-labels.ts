import type { Migration } from '../migration';

/**
 * Folder labels: the folder level a source folder's classes come from, and label conflicts —
 * the same content (SHA-256) found in folders of different classes. A conflict holds one claim
 * per copy (the class its folder gave); it is `open` until the person chooses a class (the
 * conflict row goes) or excludes the photo from training (`excluded`).
 */
export const migration0004: Migration = {
  version: 4,
  name: 'folder-labels',
  sql: `
    ALTER TABLE source_folders ADD COLUMN class_level INTEGER NOT NULL DEFAULT 1;

    CREATE TABLE label_conflicts (
      id INTEGER PRIMARY KEY,
      project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
      content_hash TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('open', 'excluded')),
      found_at TEXT NOT NULL,
      UNIQUE (project_id, content_hash)
    );

    CREATE TABLE label_conflict_claims (
      image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
      conflict_id INTEGER NOT NULL REFERENCES label_conflicts(id) ON DELETE CASCADE,
      class_id INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE
    );
    CREATE INDEX label_conflict_claims_conflict ON label_conflict_claims(conflict_id);
  `,
};
