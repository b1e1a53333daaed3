import type { Migration } from '../migration';

/**
 * Domains (issue 8): each source folder belongs to a domain — `source` (the photos a model
 * learns from, the default) or `target` (new-domain photos a model is adapted to; never in a
 * training split, their labels only measure). An adaptation run names the run it adapts in
 * `experiments.source_experiment_id`; the source run itself is never changed.
 */
export const migration0006: Migration = {
  version: 6,
  name: 'domains',
  sql: `
    ALTER TABLE source_folders ADD COLUMN domain TEXT NOT NULL DEFAULT 'source'
      CHECK (domain IN ('source', 'target'));
    ALTER TABLE experiments ADD COLUMN source_experiment_id INTEGER
      REFERENCES experiments(id) ON DELETE SET NULL;
  `,
};
