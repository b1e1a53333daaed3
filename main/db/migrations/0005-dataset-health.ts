import type { Migration } from '../migration';

/**
 * Dataset health: photos a person left out of training (`training_exclusions`), findings they
 * chose to keep and stop being warned about (`health_kept`, keyed by the finding's stable key,
 * e.g. `near-duplicate:12,45`), and each photo's perceptual hash (hex digits; its form is
 * main/ml/health/perceptual-hash.ts's), cached by content like embeddings.
 */
export const migration0005: Migration = {
  version: 5,
  name: 'dataset-health',
  sql: `
    CREATE TABLE training_exclusions (
      image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
      excluded_at TEXT NOT NULL
    );

    CREATE TABLE health_kept (
      project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
      finding_key TEXT NOT NULL,
      kept_at TEXT NOT NULL,
      PRIMARY KEY (project_id, finding_key)
    ) WITHOUT ROWID;

    CREATE TABLE perceptual_hashes (
      content_hash TEXT PRIMARY KEY,
      dhash TEXT NOT NULL
    ) WITHOUT ROWID;
  `,
};
