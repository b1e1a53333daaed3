import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLabelledFolder } from '../../e2e/fixtures/photo-corpus';
import { GraftApp } from './graft-app';
import { collectTrainingData } from './training-data';

// One app for the file: the bundled backbone is converted once; one run serves every test.
let dir: string;
let app: GraftApp;
let projectId: number;
let experimentId: number;
const CLASSES = { red: 15, blue: 15, green: 15 };

function classOf(imageId: number): string {
  return path.basename(path.dirname(app.images.get(imageId).relPath));
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-suggest-'));
  app = new GraftApp({ dataDir: path.join(dir, 'data') });
  await writeLabelledFolder(path.join(dir, 'labelled'), CLASSES);
  await writeLabelledFolder(path.join(dir, 'new'), { red: 4, blue: 4, green: 4 }, { startIndex: 100 });
  projectId = app.projects.create('Colours').id;
  await app.importer.start(app.folders.add(projectId, path.join(dir, 'labelled'), true).id).done;
  await app.importer.start(app.folders.add(projectId, path.join(dir, 'new'), false).id).done;
  const run = app.training.start(projectId, { seed: 3 });
  await run.done;
  experimentId = run.experimentId;
}, 240_000);
afterAll(() => {
  app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('label suggestions', () => {
  it('suggests the right class for every unlabelled photo and none for labelled ones', async () => {
    const events: string[] = [];
    const off = app.ctx.events.subscribe((event) => {
      if (event.startsWith('suggestions:')) events.push(event);
    });
    const finished = await app.suggestions.start(experimentId).done;
    off();
    expect(finished).toMatchObject({ status: 'finished', suggested: 12, skipped: [], error: null });
    expect(events.at(-1)).toBe('suggestions:finished');
    expect(events).toContain('suggestions:progress');
    const list = app.suggestions.list(projectId);
    const unlabelled = app.images.list(projectId, { kind: 'unlabelled' }).map((r) => r.id);
    expect(list.map((s) => s.imageId).sort((a, b) => a - b)).toEqual(unlabelled.sort((a, b) => a - b));
    const names = new Map(app.classes.list(projectId).map((c) => [c.id, c.name]));
    for (const s of list) {
      expect(names.get(s.classId)).toBe(classOf(s.imageId));
      expect(s.confidence).toBeGreaterThan(1 / 3);
      expect(s.confidence).toBeLessThanOrEqual(1);
      expect(s.experimentId).toBe(experimentId);
    }
    const order = list.map((s) => s.uncertainty);
    expect(order).toEqual([...order].sort((a, b) => b - a));
  }, 120_000);

  it('never counts a suggestion as a label: class counts, training data and unlabelled list stay as they were', () => {
    expect(app.suggestions.list(projectId)).toHaveLength(12);
    expect(app.classes.list(projectId).reduce((n, c) => n + c.count, 0)).toBe(45);
    expect(collectTrainingData(app.ctx, projectId).items).toHaveLength(45);
    expect(app.images.list(projectId, { kind: 'unlabelled' })).toHaveLength(12);
  });

  it('accepting labels the photos with origin "suggested" in one undoable action', () => {
    const [first, second] = app.suggestions.list(projectId);
    const result = app.suggestions.accept(projectId, [first.imageId, second.imageId]);
    expect(result.changed).toBe(2);
    for (const s of [first, second]) {
      const detail = app.images.get(s.imageId);
      expect(detail.classId).toBe(s.classId);
      expect(detail.labelOrigin).toBe('suggested');
    }
    expect(app.suggestions.list(projectId)).toHaveLength(10);
    expect(app.classes.list(projectId).reduce((n, c) => n + c.count, 0)).toBe(47);
    app.labels.undo(projectId);
    expect(app.images.get(first.imageId).classId).toBeNull();
    expect(app.suggestions.list(projectId)).toHaveLength(12);
  });

  it('leaves a photo labelled by hand since alone, and ignores photos without a suggestion', () => {
    const [s] = app.suggestions.list(projectId);
    const other = app.classes.list(projectId).find((c) => c.id !== s.classId)!;
    app.labels.assign(projectId, [s.imageId], other.id);
    const labelled = app.images.list(projectId, { kind: 'class', classId: other.id })[0].id;
    expect(app.suggestions.accept(projectId, [s.imageId, labelled]).changed).toBe(0);
    expect(app.images.get(s.imageId).classId).toBe(other.id);
    app.labels.undo(projectId);
  });

  it("a photo's detail says whether a person left it out of training (the viewer's checkbox)", () => {
    const [s] = app.suggestions.list(projectId);
    expect(app.images.get(s.imageId).excluded).toBe(false);
    app.health.setExcluded(projectId, [s.imageId], true);
    expect(app.images.get(s.imageId).excluded).toBe(true);
    app.health.setExcluded(projectId, [s.imageId], false);
    expect(app.images.get(s.imageId).excluded).toBe(false);
  });

  it('a cancelled job keeps the earlier suggestions', async () => {
    const before = app.suggestions.list(projectId);
    const job = app.suggestions.start(experimentId);
    expect(app.suggestions.cancel(job.jobId)).toBe(true);
    const finished = await job.done;
    expect(finished.status).toBe('cancelled');
    expect(app.suggestions.list(projectId)).toEqual(before);
    expect(app.suggestions.cancel(job.jobId)).toBe(false);
  });
});
