import type { Migration } from '../migration';

export const migration0003: Migration = {
  version: 3,
  name: 'exports',
  sql: `
    CREATE TABLE exports (
      id INTEGER PRIMARY KEY,
      experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
      format TEXT NOT NULL CHECK (format IN ('onnx', 'tfjs')),
      path TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('running', 'passed', 'failed', 'interrupted')),
      size_bytes INTEGER,
      parity TEXT,
      error TEXT,
      created_at TEXT NOT NULL
    );
    CREATE INDEX exports_experiment ON exports(experiment_id, id);
  `,
};
