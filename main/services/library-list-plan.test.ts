import type { Statement } from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import type { ImageFilter } from '../../common/contract';
import { eachTestGraftApp } from './test-app-hooks';

const env = eachTestGraftApp();

/** The query plan of each statement `run` prepares, as SQLite's EXPLAIN QUERY PLAN details. */
function plansOf(run: () => unknown): string[][] {
  const db = env.app.ctx.db;
  const prepared: { sql: string; statement: Statement }[] = [];
  const prepare = db.prepare.bind(db);
  const spy = vi.spyOn(db, 'prepare').mockImplementation((sql: string) => {
    const statement = prepare(sql);
    prepared.push({ sql, statement });
    return statement;
  });
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return prepared
    .filter(({ statement }) => statement.reader)
    .map(({ sql }) => {
      const params = (sql.match(/\?/g) ?? []).map(() => 1);
      return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail);
    });
}

describe('the Library photo list at scale', () => {
  it('comes from an index in folder and path order: no temporary sort of every photo', () => {
    const project = env.app.projects.create('Plan');
    const filters: ImageFilter[] = [{ kind: 'all' }, { kind: 'all', split: 'val' }, { kind: 'unlabelled' }];
    for (const filter of filters) {
      const plans = plansOf(() => env.app.images.list(project.id, filter));
      const list = plans.find((plan) => plan.some((step) => step.includes('SEARCH i')));
      expect(list, JSON.stringify(plans)).toBeDefined();
      expect(list!.join('\n')).toContain('images_project_status_order');
      expect(list!.join('\n')).not.toMatch(/TEMP B-TREE/);
    }
  });
});
