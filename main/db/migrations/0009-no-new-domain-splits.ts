import type { Migration } from '../migration';

/**
 * New-domain (target) photos never carry a split (issue 8), but `splits:set` used to accept them
 * (user trial 2: a cartoon moved to train made the Library count dog train = 15 while the run used
 * 14). This drops every split such a photo still holds; SplitService.set now refuses new ones.
 */
export const migration0009: Migration = {
  version: 9,
  name: 'no-new-domain-splits',
  sql: `
    DELETE FROM splits WHERE image_id IN (
      SELECT i.id FROM images i JOIN source_folders f ON f.id = i.folder_id WHERE f.domain = 'target'
    );
  `,
};
