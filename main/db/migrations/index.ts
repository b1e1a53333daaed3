import type { Migration } from '../migration';
import { migration0001 } from './0001-initial';
import { migration0002 } from './0002-experiments';
import { migration0003 } from './0003-exports';
import { migration0004 } from './0004-folder-labels';
import { migration0005 } from './0005-dataset-health';
import { migration0006 } from './0006-domains';
import { migration0007 } from './0007-label-suggestions';
import { migration0008 } from './0008-library-order-index';
import { migration0009 } from './0009-no-new-domain-splits';

/** Every migration in order; a new schema change is a new numbered file added here. */
export const MIGRATIONS: readonly Migration[] = [
  migration0001,
  migration0002,
  migration0003,
  migration0004,
  migration0005,
  migration0006,
  migration0007,
  migration0008,
  migration0009,
];
