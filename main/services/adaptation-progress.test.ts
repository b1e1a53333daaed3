import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AdaptationProgress } from '../../common/adaptation';
import { adaptCommand } from '../cli/adapt-command';
import { trainedColourRun } from './test-adaptation';

// An adaptation reports its phase, photo counts and time left as events, and graft adapt prints them.
let env: Awaited<ReturnType<typeof trainedColourRun>>;

beforeAll(async () => {
  env = await trainedColourRun(4);
}, 240_000);
afterAll(() => env.cleanup());

it('an AdaBN adaptation reports each phase with photo counts and time left, and graft adapt prints them', async () => {
  const events: AdaptationProgress[] = [];
  const unsubscribe = env.app.ctx.events.subscribe((event, payload) => {
    if (event === 'adaptation:progress') events.push(payload as AdaptationProgress);
  });
  const lines: string[] = [];
  const code = await adaptCommand(
    env.app,
    { out: (l) => lines.push(String(l)), err: (l) => lines.push(l) },
    { experimentId: env.sourceRunId, target: path.join(env.dir, 'new'), method: 'adabn', labelsFromFolders: true },
  );
  unsubscribe();
  expect(code).toBe(0);
  const phases = events.map((e) => e.phase).filter((p, i, all) => p !== all[i - 1]);
  expect(phases).toEqual(['embedding', 'adabn', 'embedding adapted', 'measuring']);
  const items = env.app.ctx.db
    .prepare(`SELECT COUNT(*) AS n FROM experiment_items WHERE experiment_id = ? AND split IN ('train', 'val')`)
    .get(env.sourceRunId) as { n: number };
  for (const phase of ['embedding', 'embedding adapted'] as const) {
    const counts = events.filter((e) => e.phase === phase);
    expect(counts.every((e) => e.total === items.n + 12)).toBe(true);
    expect(counts.at(-1)!.done).toBe(items.n + 12);
    expect(counts.map((e) => e.done)).toEqual([...counts.map((e) => e.done)].sort((a, b) => a - b));
    // The adapted backbone embeds every photo anew, so its rate and time left are known as it goes.
    if (phase === 'embedding adapted') expect(counts.some((e) => e.etaSeconds !== null && e.etaSeconds > 0)).toBe(true);
  }
  expect(events.at(-1)).toMatchObject({ phase: 'measuring', done: 1, total: 1 });
  expect(lines).toEqual(expect.arrayContaining(['  embedding…', '  adabn…', '  embedding adapted…', '  measuring…']));
}, 240_000);
