import type { Migration } from '../migration';

/**
 * The Library lists a project's photos by status in folder and path order (ImageService.list).
 * With only (project_id, status) indexed, SQLite sorted every listing in a temporary B-tree:
 * about a fifth of the list query's time at 20,000 photos (`npm run bench -- scale`). This index
 * yields the rows already in that order; it starts with (project_id, status), so it also serves
 * every lookup the narrower index served, which it replaces.
 */
export const migration0008: Migration = {
  version: 8,
  name: 'library-order-index',
  sql: `
    CREATE INDEX images_project_status_order ON images(project_id, status, folder_id, rel_path);
    DROP INDEX images_project_status;
  `,
};
