import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeLabelledFolder } from '../../e2e/fixtures/photo-corpus';
import { eachTestGraftApp } from './test-app-hooks';
import { collectTrainingData } from './training-data';

const env = eachTestGraftApp();

/** red/ and blue/ with 6 photos each; `copies` are [from, to] relative paths copied byte for byte. */
async function importWithCopies(copies: [string, string][]) {
  const root = path.join(env.dir, 'photos');
  await writeLabelledFolder(root, { red: 6, blue: 6 });
  for (const [from, to] of copies) {
    fs.mkdirSync(path.dirname(path.join(root, to)), { recursive: true });
    fs.copyFileSync(path.join(root, from), path.join(root, to));
  }
  const projectId = env.app.projects.create('Copies').id;
  const folder = env.app.folders.add(projectId, root, true);
  const summary = await env.app.importer.start(folder.id).done;
  const classId = (name: string) => env.app.classes.list(projectId).find((c) => c.name === name)!.id;
  return { projectId, folder, summary, classId };
}

const sortedCopies = (c: { copies: { relPath: string; className: string }[] }) =>
  c.copies.map((k) => [k.relPath, k.className]).sort((a, b) => a[0].localeCompare(b[0]));

describe('the same photo in folders of different classes', () => {
  it('counts as a problem on the project card and in the Library’s problem list until resolved', async () => {
    const { projectId, classId } = await importWithCopies([['red/red-0000.jpg', 'blue/copy.jpg']]);
    const card = () => env.app.projects.list().find((p) => p.id === projectId)!;
    expect(card().problemCount).toBe(1);
    const [problem] = env.app.images.problems(projectId);
    expect(problem).toMatchObject({
      errorCode: 'LABEL_CONFLICT',
      error: expect.stringMatching(/blue and red|red and blue/),
    });
    expect(problem.error).toContain('Health');
    expect(env.app.images.list(projectId, { kind: 'problems' }).map((p) => p.id)).toEqual([problem.id]);

    const [conflict] = env.app.sameContent.conflicts(projectId);
    expect(problem.id).toBe(conflict.imageId);
    env.app.sameContent.resolve(conflict.id, classId('red'));
    expect(card().problemCount).toBe(0);
    expect(env.app.images.problems(projectId)).toEqual([]);
  });

  it('is a label conflict, reported with both paths and classes, never a silently dropped label', async () => {
    const { projectId, summary } = await importWithCopies([
      ['red/red-0000.jpg', 'blue/copy.jpg'],
      ['red/red-0001.jpg', 'blue/copy-2.jpg'],
      ['blue/blue-0000.jpg', 'blue/same-class-copy.jpg'],
    ]);

    expect(summary).toMatchObject({ added: 12, conflicts: 2, duplicates: 1 });
    const conflicts = env.app.sameContent.conflicts(projectId);
    expect(conflicts.map((c) => c.status)).toEqual(['open', 'open']);
    expect(conflicts.map(sortedCopies).sort()).toEqual([
      [
        ['blue/copy-2.jpg', 'blue'],
        ['red/red-0001.jpg', 'red'],
      ],
      [
        ['blue/copy.jpg', 'blue'],
        ['red/red-0000.jpg', 'red'],
      ],
    ]);
    // A copy within one class is a plain duplicate, named with the photo it copies.
    expect(env.app.sameContent.duplicates(projectId)).toEqual([
      expect.objectContaining({
        relPath: expect.stringMatching(/^blue\/(blue-0000|same-class-copy)\.jpg$/),
        copyOf: expect.objectContaining({ relPath: expect.stringMatching(/^blue\/(blue-0000|same-class-copy)\.jpg$/) }),
      }),
    ]);
  });

  it('keeps conflicted photos out of training until resolved, and preflight names them', async () => {
    const { projectId, classId } = await importWithCopies([
      ['red/red-0000.jpg', 'blue/copy.jpg'],
      ['red/red-0001.jpg', 'blue/copy-2.jpg'],
    ]);
    const preflight = await env.app.training.preflight(projectId);
    const warning = preflight.warnings.find((w) => w.code === 'LABEL_CONFLICT');
    expect(warning?.message).toMatch(/^2 photos appear in more than one class folder/);
    expect(warning?.photos?.map((p) => p.reason)).toEqual([
      'Copies of it are in folders of “blue” and “red”.',
      'Copies of it are in folders of “blue” and “red”.',
    ]);
    env.app.splits.assignMissing(projectId, 1);
    expect(collectTrainingData(env.app.ctx, projectId).conflicted).toHaveLength(2);
    const used = () => new Set(collectTrainingData(env.app.ctx, projectId).items.map((i) => i.imageId));
    const [first, second] = env.app.sameContent.conflicts(projectId);
    expect(used().has(first.imageId)).toBe(false);
    expect(used().has(second.imageId)).toBe(false);
    expect(used().size).toBe(10);

    const left = env.app.sameContent.resolve(first.id, classId('blue'));
    expect(left.map((c) => c.id)).toEqual([second.id]);
    expect(env.app.images.get(first.imageId).classId).toBe(classId('blue'));
    expect(used().has(first.imageId)).toBe(true);

    const excluded = env.app.sameContent.resolve(second.id, null);
    expect(excluded).toEqual([expect.objectContaining({ id: second.id, status: 'excluded' })]);
    expect(used().has(second.imageId)).toBe(false);
    expect((await env.app.training.preflight(projectId)).warnings.map((w) => w.code)).not.toContain('LABEL_CONFLICT');
    expect(() => env.app.sameContent.resolve(first.id, null)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('a re-scan finds no new conflict; a copy in a new class folder reopens none silently', async () => {
    const { projectId, folder, summary } = await importWithCopies([['red/red-0002.jpg', 'blue/copy.jpg']]);
    expect(summary.conflicts).toBe(1);
    const again = await env.app.importer.start(folder.id).done;
    expect(again).toMatchObject({ conflicts: 0, unchanged: 13 });
    fs.mkdirSync(path.join(folder.path, 'green'));
    fs.copyFileSync(path.join(folder.path, 'red', 'red-0002.jpg'), path.join(folder.path, 'green', 'third.jpg'));
    const third = await env.app.importer.start(folder.id).done;
    expect(third.conflicts).toBe(1);
    const [conflict] = env.app.sameContent.conflicts(projectId);
    expect(conflict.copies.map((c) => c.className).sort()).toEqual(['blue', 'green', 'red']);
  });

  it('gives an unlabelled photo the class of its copy in a class folder', async () => {
    const root = path.join(env.dir, 'photos');
    await writeLabelledFolder(root, { red: 2 });
    fs.copyFileSync(path.join(root, 'red', 'red-0000.jpg'), path.join(root, 'loose.jpg'));
    const projectId = env.app.projects.create('Loose').id;
    const summary = await env.app.importer.start(env.app.folders.add(projectId, root, true).id).done;
    expect(summary).toMatchObject({ added: 2, duplicates: 1, conflicts: 0 });
    expect(env.app.classes.list(projectId).map((c) => [c.name, c.count])).toEqual([['red', 2]]);
  });

  it('ends when one of its classes is merged away or deleted, and never lists an empty conflict', async () => {
    const { projectId, classId } = await importWithCopies([
      ['red/red-0000.jpg', 'blue/copy.jpg'],
      ['red/red-0001.jpg', 'blue/copy-2.jpg'],
    ]);
    const [first, second] = env.app.sameContent.conflicts(projectId);
    env.app.sameContent.resolve(second.id, null);
    const green = env.app.classes.create(projectId, 'green');
    env.app.classes.merge(classId('blue'), green.id);
    // Both copies now name red and green: still a conflict, under the merged class's name.
    expect(
      env.app.sameContent
        .conflicts(projectId)
        .find((c) => c.id === first.id)
        ?.copies.map((c) => c.className),
    ).toEqual(expect.arrayContaining(['red', 'green']));
    // Merging the two classes makes the copies agree: the open conflict ends; the excluded one stays excluded.
    env.app.classes.merge(green.id, classId('red'));
    expect(env.app.sameContent.conflicts(projectId).map((c) => [c.id, c.status])).toEqual([[second.id, 'excluded']]);
    env.app.classes.delete(classId('red'));
    expect(env.app.sameContent.conflicts(projectId)).toEqual([]);
  });
});
