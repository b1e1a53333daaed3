import type { Migration } from '../migration';

/**
 * Label suggestions: a finished run's prediction for each photo that had no label when the
 * suggestions were computed, with its confidence (top probability) and uncertainty (see
 * common/uncertainty.ts). Kept apart from `labels`, so a suggestion is never counted, trained on
 * or split as a label until a person accepts it (it then becomes a label with origin 'suggested').
 */
export const migration0007: Migration = {
  version: 7,
  name: 'label-suggestions',
  sql: `
    CREATE TABLE label_suggestions (
      image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
      experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
      class_id INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
      confidence REAL NOT NULL,
      uncertainty REAL NOT NULL,
      computed_at TEXT NOT NULL
    );
    CREATE INDEX label_suggestions_experiment ON label_suggestions(experiment_id);
  `,
};
