import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { GraftError, isDiskFull } from '../../common/errors';
import type { Migration } from './migration';
import { MIGRATIONS } from './migrations';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the database with WAL, foreign keys and a busy timeout,
 * then brings its schema up to date. A database written by a newer Graft is refused,
 * never downgraded.
 */
export function openDatabase(file: string, migrations: readonly Migration[] = MIGRATIONS): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    migrate(db, migrations);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** The data's database and whether it could only be opened because the disk is full (see startDatabase). */
export interface StartedDatabase {
  db: Db;
  diskFull: boolean;
}

/** Below this much free space a failure to open is taken for a full disk (SQLite's WAL index alone needs 32 KiB). */
const FULL_DISK_BYTES = 1024 * 1024;

function freeBytes(dir: string): number {
  const stats = fs.statfsSync(dir);
  return stats.bavail * stats.bsize;
}

/**
 * openDatabase, and when that fails on a full disk (free space under 1 MiB), the database opened
 * so the person can still see their data: with 0 bytes free SQLite cannot size the shared WAL
 * index and every open fails as "disk I/O error" (SQLITE_IOERR_SHMSIZE), read-only included.
 * In exclusive locking mode SQLite keeps the WAL index in memory (https://sqlite.org/wal.html,
 * "Use of WAL Without Shared-Memory"), so the data opens; writes then fail with SQLITE_FULL,
 * which the transports report as DISK_FULL. Throws GraftError DISK_FULL when even that fails or
 * the schema needs a migration (which needs room), SCHEMA_TOO_NEW as openDatabase.
 */
export function startDatabase(file: string, migrations: readonly Migration[] = MIGRATIONS): StartedDatabase {
  try {
    const db = openDatabase(file, migrations);
    keepReserve(file);
    return { db, diskFull: false };
  } catch (err) {
    if (err instanceof GraftError || freeBytes(path.dirname(file)) >= FULL_DISK_BYTES) throw err;
  }
  const fullDisk = new GraftError(
    'DISK_FULL',
    `The disk holding Graft's data (${path.dirname(file)}) is full, so Graft cannot open it. Free some space and start Graft again.`,
  );
  let db: Db;
  try {
    db = new Database(file, { fileMustExist: true });
  } catch {
    throw fullDisk;
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('foreign_keys = ON');
    migrate(db, migrations);
    return { db, diskFull: true };
  } catch (err) {
    db.close();
    throw err instanceof GraftError ? err : fullDisk;
  }
}

/**
 * Room set aside beside the database (`graft.sqlite.reserve`, 1 MiB of zeros) so that a job
 * stopped by a full disk can still record that it failed: recordDespiteFullDisk gives it up.
 * Made again at the next start with room for it twice over.
 */
const RESERVE_BYTES = 1024 * 1024;

function reservePath(databaseFile: string): string {
  return `${databaseFile}.reserve`;
}

function keepReserve(databaseFile: string): void {
  const reserve = reservePath(databaseFile);
  if (fs.existsSync(reserve) || freeBytes(path.dirname(databaseFile)) < 2 * RESERVE_BYTES) return;
  try {
    fs.writeFileSync(reserve, Buffer.alloc(RESERVE_BYTES));
  } catch {
    fs.rmSync(reserve, { force: true });
  }
}

/**
 * Runs `write` (the statement that records how a job ended); if the disk is full it frees the
 * reserve and runs it once more, so a job stopped by a full disk never stays `running`.
 * Errors: whatever `write` throws the second time, or its first non-disk-full error.
 */
export function recordDespiteFullDisk<T>(db: Db, write: () => T): T {
  try {
    return write();
  } catch (err) {
    if (!isDiskFull(err)) throw err;
    fs.rmSync(reservePath(db.name), { force: true });
    return write();
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: Db, migrations: readonly Migration[]): void {
  const latest = migrations.at(-1)?.version ?? 0;
  const current = schemaVersion(db);
  if (current > latest) {
    throw new GraftError(
      'SCHEMA_TOO_NEW',
      `This data was written by a newer version of Graft (schema ${current}; this version knows up to ${latest}). Update Graft to open it.`,
    );
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}
