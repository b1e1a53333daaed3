import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, schemaVersion } from './connection';
import { MIGRATIONS } from './migrations';

const dirs: string[] = [];
function tempFile() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-db-'));
  dirs.push(dir);
  return path.join(dir, 'graft.sqlite');
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('database connection', () => {
  it('opens with WAL and foreign keys and migrates to the latest schema', () => {
    const db = openDatabase(tempFile());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
    db.close();
  });

  it('migrates an older database forward, step by step', () => {
    const file = tempFile();
    openDatabase(file, MIGRATIONS.slice(0, 1)).close();
    const next = { version: MIGRATIONS.at(-1)!.version + 1, name: 'extra', sql: 'CREATE TABLE extra (x INTEGER);' };
    const db = openDatabase(file, [...MIGRATIONS, next]);
    expect(schemaVersion(db)).toBe(next.version);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'extra'").get()).toBeTruthy();
    db.close();
  });

  it('refuses a database written by a newer Graft, leaving it untouched', () => {
    const file = tempFile();
    const db = openDatabase(file);
    db.pragma('user_version = 999');
    db.close();
    expect(() => openDatabase(file)).toThrow(/newer version of Graft/);
    const again = openDatabase(file, [...MIGRATIONS, { version: 999, name: 'future', sql: '' }]);
    expect(schemaVersion(again)).toBe(999);
    again.close();
  });

  it('rolls back a failing migration completely', () => {
    const file = tempFile();
    const broken = {
      version: MIGRATIONS.at(-1)!.version + 1,
      name: 'broken',
      sql: 'CREATE TABLE ok (x); SELECT * FROM nope;',
    };
    expect(() => openDatabase(file, [...MIGRATIONS, broken])).toThrow();
    const db = openDatabase(file);
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'ok'").get()).toBeUndefined();
    db.close();
  });
});
