import type { Migration } from '../migration';

export const migration0001: Migration = {
  version: 1,
  name: 'initial',
  sql: `
    CREATE TABLE projects (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE COLLATE NOCASE,
      created_at TEXT NOT NULL,
      last_opened_at TEXT
    );

    CREATE TABLE source_folders (
      id INTEGER PRIMARY KEY,
      project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
      path TEXT NOT NULL,
      labels_from_subfolders INTEGER NOT NULL DEFAULT 0,
      last_scanned_at TEXT,
      UNIQUE (project_id, path)
    );

    CREATE TABLE images (
      id INTEGER PRIMARY KEY,
      project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
      folder_id INTEGER NOT NULL REFERENCES source_folders(id) ON DELETE CASCADE,
      rel_path TEXT NOT NULL,
      size_bytes INTEGER NOT NULL,
      mtime_ms INTEGER NOT NULL,
      content_hash TEXT,
      width INTEGER,
      height INTEGER,
      status TEXT NOT NULL CHECK (status IN ('ok', 'unreadable', 'missing', 'duplicate')),
      error_code TEXT,
      error TEXT,
      duplicate_of INTEGER REFERENCES images(id) ON DELETE SET NULL,
      added_at TEXT NOT NULL,
      UNIQUE (folder_id, rel_path)
    );
    CREATE INDEX images_project_status ON images(project_id, status);
    CREATE INDEX images_project_hash ON images(project_id, content_hash);

    CREATE TABLE classes (
      id INTEGER PRIMARY KEY,
      project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
      name TEXT NOT NULL COLLATE NOCASE,
      colour TEXT NOT NULL,
      shortcut TEXT,
      sort_order INTEGER NOT NULL,
      UNIQUE (project_id, name)
    );

    CREATE TABLE labels (
      image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
      class_id INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
      origin TEXT NOT NULL CHECK (origin IN ('user', 'folder-name', 'suggested')),
      labelled_at TEXT NOT NULL
    );
    CREATE INDEX labels_class ON labels(class_id);

    -- One row per image whose label an action changed; rows of one action share batch_id.
    CREATE TABLE label_changes (
      id INTEGER PRIMARY KEY,
      project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
      batch_id INTEGER NOT NULL,
      image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
      old_class_id INTEGER,
      old_origin TEXT,
      new_class_id INTEGER,
      undone INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX label_changes_batch ON label_changes(project_id, batch_id);

    CREATE TABLE splits (
      image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
      split TEXT NOT NULL CHECK (split IN ('train', 'val', 'test')),
      origin TEXT NOT NULL CHECK (origin IN ('auto', 'user'))
    );

    CREATE TABLE split_settings (
      project_id INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
      seed INTEGER NOT NULL,
      train REAL NOT NULL,
      val REAL NOT NULL,
      test REAL NOT NULL
    );

    CREATE TABLE jobs (
      id INTEGER PRIMARY KEY,
      project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
      folder_id INTEGER REFERENCES source_folders(id) ON DELETE CASCADE,
      kind TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'cancelled', 'failed', 'interrupted')),
      started_at TEXT NOT NULL,
      finished_at TEXT,
      summary TEXT,
      error TEXT
    );

    CREATE TABLE settings (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL
    );
  `,
};
