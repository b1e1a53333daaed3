import type { DataPaths } from '../data-dir';
import type { Db } from '../db/connection';
import type { EventBus } from './event-bus';

/** What every service needs: the open database, where files go, and where events go. */
export interface ServiceContext {
  db: Db;
  paths: DataPaths;
  events: EventBus;
  now(): string;
}
