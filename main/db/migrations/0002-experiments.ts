import type { Migration } from '../migration';

export const migration0002: Migration = {
  version: 2,
  name: 'experiments',
  sql: `
    -- Backbones the user imported; bundled ones come from installed packages, not from here.
    CREATE TABLE backbones (
      id TEXT PRIMARY KEY,
      spec TEXT NOT NULL,
      imported_at TEXT NOT NULL
    );

    -- Frozen work, done once: one vector per (photo content, backbone, preprocessing, view).
    CREATE TABLE embeddings (
      content_hash TEXT NOT NULL,
      backbone_id TEXT NOT NULL,
      preprocess_version TEXT NOT NULL,
      view TEXT NOT NULL,
      vector BLOB NOT NULL,
      PRIMARY KEY (content_hash, backbone_id, preprocess_version, view)
    ) WITHOUT ROWID;

    CREATE TABLE experiments (
      id INTEGER PRIMARY KEY,
      project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      note TEXT NOT NULL DEFAULT '',
      status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'cancelled', 'interrupted')),
      backbone_id TEXT NOT NULL,
      technique TEXT NOT NULL,
      config TEXT NOT NULL,
      snapshot TEXT NOT NULL,
      metrics TEXT,
      artefact_dir TEXT,
      started_at TEXT NOT NULL,
      finished_at TEXT,
      duration_s REAL,
      error TEXT
    );
    CREATE INDEX experiments_project ON experiments(project_id, id);

    CREATE TABLE experiment_epochs (
      experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
      epoch INTEGER NOT NULL,
      metrics TEXT NOT NULL,
      PRIMARY KEY (experiment_id, epoch)
    );

    -- The photos a run saw, with the label and split they had then. image_id may later
    -- disappear (folder removed), so the run keeps the name and content hash too.
    CREATE TABLE experiment_items (
      experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
      image_id INTEGER REFERENCES images(id) ON DELETE SET NULL,
      content_hash TEXT NOT NULL,
      name TEXT NOT NULL,
      class_id INTEGER NOT NULL,
      split TEXT NOT NULL,
      predicted_class_id INTEGER,
      confidence REAL,
      probabilities TEXT,
      PRIMARY KEY (experiment_id, content_hash)
    );
  `,
};
