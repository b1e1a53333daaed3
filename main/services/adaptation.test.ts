import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { techniqueLabel } from '../../common/technique';
import { unlikePhoto, writeLabelledFolder } from '../../e2e/fixtures/photo-corpus';
import { adaptCommand } from '../cli/adapt-command';
import { predictCommand } from '../cli/export-predict-commands';
import type { CliIo } from '../cli/terminal-text';
import { readRunArtefacts } from './experiment-artefacts';
import { GraftApp } from './graft-app';
import { ExperimentModel } from './predictor';

// Source: generated photos of three colour classes. Target: the same kind of photos with a
// brightness and colour cast, in a folder marked as the new domain, labelled only to measure.
let dir: string;
let app: GraftApp;
let projectId: number;
let targetFolderId: number;
let sourceRunId: number;

async function castFolder(from: string, to: string): Promise<void> {
  for (const cls of fs.readdirSync(from)) {
    fs.mkdirSync(path.join(to, cls), { recursive: true });
    for (const name of fs.readdirSync(path.join(from, cls))) {
      await sharp(path.join(from, cls, name))
        .modulate({ brightness: 0.6 })
        .tint({ r: 200, g: 150, b: 60 })
        .jpeg()
        .toFile(path.join(to, cls, name));
    }
  }
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-adapt-'));
  app = new GraftApp({ dataDir: path.join(dir, 'data') });
  await writeLabelledFolder(path.join(dir, 'photos'), { red: 20, blue: 20, green: 20 });
  await writeLabelledFolder(path.join(dir, 'plain'), { red: 8, blue: 8, green: 8 }, { startIndex: 100 });
  await castFolder(path.join(dir, 'plain'), path.join(dir, 'cast'));
  projectId = app.projects.create('Colours').id;
  const source = app.folders.add(projectId, path.join(dir, 'photos'), true);
  await app.importer.start(source.id).done;
  const target = app.folders.add(projectId, path.join(dir, 'cast'), true);
  await app.importer.start(target.id).done;
  targetFolderId = target.id;
  app.domains.setFolderDomain(targetFolderId, 'target');
  const run = app.training.start(projectId, { seed: 3, maxEpochs: 30 });
  await run.done;
  sourceRunId = run.experimentId;
}, 240_000);
afterAll(() => {
  app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('domains', () => {
  it('counts each domain, and target photos get no split and never enter a training run', () => {
    expect(app.domains.counts(projectId)).toEqual([
      { domain: 'source', folderIds: [1], folders: 1, photos: 60, labelled: 60 },
      { domain: 'target', folderIds: [targetFolderId], folders: 1, photos: 24, labelled: 24 },
    ]);
    const target = new Set(app.domains.targetPhotos(projectId).map((p) => p.contentHash));
    expect(target.size).toBe(24);
    const items = app.ctx.db
      .prepare('SELECT content_hash AS h FROM experiment_items WHERE experiment_id = ?')
      .all(sourceRunId) as { h: string }[];
    expect(items).toHaveLength(60);
    expect(items.some((i) => target.has(i.h))).toBe(false);
    const split = app.ctx.db
      .prepare('SELECT COUNT(*) AS n FROM splits s JOIN images i ON i.id = s.image_id WHERE i.folder_id = ?')
      .get(targetFolderId) as { n: number };
    expect(split.n).toBe(0);
    expect(app.splits.summary(projectId).unassigned).toBe(0);
  });

  it('refuses an unknown folder', () => {
    expect(() => app.domains.setFolderDomain(9999, 'target')).toThrow(/not in the project/);
  });
});

describe('adaptation', () => {
  it('makes a new run linked to the source run, which stays as it was, with before/after measures', async () => {
    const sourceBefore = app.experiments.get(sourceRunId);
    const sourceDir = app.experiments.artefactDir(sourceRunId)!;
    const headBefore = fs.readFileSync(path.join(sourceDir, 'head.weights.bin'));
    const adapted = app.adaptation.start(sourceRunId, { method: 'standardise' });
    await adapted.done;
    const detail = app.experiments.get(adapted.experimentId);
    expect(detail.error).toBeNull();
    expect(detail.status).toBe('finished');
    const link = app.ctx.db
      .prepare('SELECT source_experiment_id AS s FROM experiments WHERE id = ?')
      .get(adapted.experimentId);
    expect(link).toEqual({ s: sourceRunId });
    expect(app.experiments.get(sourceRunId)).toEqual(sourceBefore);
    expect(fs.readFileSync(path.join(sourceDir, 'head.weights.bin')).equals(headBefore)).toBe(true);

    const report = await app.adaptation.report(adapted.experimentId);
    expect(report.targetSnapshot).toMatchObject({ count: 24, labelled: 24 });
    expect(report.before.targetTest?.count).toBe(24);
    expect(report.after.target.classProportions.reduce((a, b) => a + b, 0)).toBeCloseTo(1);
    expect(report.after.domainDistance).toBeLessThan(report.before.domainDistance);
    // The cast photos lie far from every training photo; the validation photos mostly do not.
    expect(report.unfamiliar.targetShare).toBeGreaterThan(0.5);
    expect(report.unfamiliar.sourceValShare).toBeLessThanOrEqual(0.1);
    const artefacts = await readRunArtefacts(app.experiments.artefactDir(adapted.experimentId)!);
    expect(Buffer.from(artefacts.head.weightData).equals(headBefore)).toBe(false);
    // Every list names the run as an adaptation and shows its new-domain accuracy, not only source validation.
    const summary = app.experiments.list(projectId).find((r) => r.id === adapted.experimentId)!;
    expect(summary.adaptation).toEqual({
      sourceExperimentId: sourceRunId,
      sourceName: sourceBefore.name,
      method: 'standardise',
      targetTest: { accuracy: report.after.targetTest!.accuracy, count: 24 },
    });
    expect(techniqueLabel(summary)).toBe(`Domain adaptation (feature standardising) of ${sourceBefore.name}`);
    expect(app.experiments.get(sourceRunId).adaptation).toBeNull();

    // The alignment lives in the head, so the ordinary export writes it and proves it.
    const exported = await app.exports.start(adapted.experimentId, {
      format: 'onnx',
      location: app.locations.resolve(app.locations.register(dir)),
      folderName: 'adapted-onnx',
      rawInput: false,
      overwrite: false,
    }).done;
    expect(exported.error).toBeNull();
    expect(exported.status).toBe('passed');
    expect(exported.parity!.agreement).toBe(1);
    expect(exported.parity!.maxProbabilityDifference).toBeLessThanOrEqual(1e-4);
    const card = fs.readFileSync(path.join(exported.path, 'MODEL_CARD.md'), 'utf8');
    expect(card).toContain(
      `- Adapted from experiment ${sourceRunId} to 24 unlabelled new-domain photos (method \`${report.method}\`; 24 of them labelled, used only to measure, never to train)`,
    );
    // It is for photos like the new-domain folder's, with the training-domain validation as a caution.
    expect(card).toMatch(
      /Sorting photos like the new-domain \(target\) photos it was adapted to \(`[^`]*cast`\) into:/,
    );
    expect(card).toContain(
      `Caution: on photos like the training photos it scored ${(report.after.sourceVal!.accuracy * 100).toFixed(1)}% (validation)`,
    );
  }, 120_000);

  it('an adapted run keeps its own out-of-distribution statistics: its new-domain photos are familiar, noise is not', async () => {
    const adapted = app.adaptation.start(sourceRunId, { method: 'standardise' });
    await adapted.done;
    expect(fs.existsSync(path.join(app.experiments.artefactDir(adapted.experimentId)!, 'ood.json'))).toBe(true);
    const cast = fs
      .readdirSync(path.join(dir, 'cast'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => ({ name: e.name, read: async () => fs.readFileSync(path.join(e.parentPath, e.name)) }));
    const strange = await unlikePhoto();
    const photos = [...cast, { name: 'strange.png', read: async () => strange }];
    const unlikeShare = async (experimentId: number) => {
      const model = await ExperimentModel.open(app.experiments, app.backbones, experimentId);
      const { results } = await model.predict(photos);
      await model.close();
      expect(results.at(-1)?.unlikeTraining).toBe(true);
      return results.slice(0, -1).filter((r) => r.unlikeTraining).length / cast.length;
    };
    // The source run finds most cast photos unlike its training photos; the run adapted to them does not.
    expect(await unlikeShare(sourceRunId)).toBeGreaterThan(0.5);
    expect(await unlikeShare(adapted.experimentId)).toBeLessThanOrEqual(0.1);
  }, 120_000);

  it('graft predict marks a photo unlike the training photos in the terminal, and says how many', async () => {
    const strange = path.join(dir, 'strange.png');
    fs.writeFileSync(strange, await unlikePhoto());
    const lines: (string | readonly string[])[] = [];
    const io: CliIo = { out: (l) => lines.push(l), err: (l) => lines.push(l) };
    expect(await predictCommand(app, io, { model: String(sourceRunId), inputs: [strange], topK: 1 })).toBe(0);
    expect(lines[0]).toEqual([strange, expect.any(String), expect.any(String), 'UNLIKE TRAINING PHOTOS']);
    expect(lines[1]).toMatch(/^1 of 1 photos are unlike the training photos \(marked UNLIKE TRAINING PHOTOS;/);
  }, 60_000);

  it('self-training never learns from the target photos’ labels: other labels, same model', async () => {
    const weights = async () => {
      const run = app.adaptation.start(sourceRunId, { method: 'self-train' });
      await run.done;
      expect(app.experiments.get(run.experimentId).status).toBe('finished');
      return Buffer.from((await readRunArtefacts(app.experiments.artefactDir(run.experimentId)!)).head.weightData);
    };
    const first = await weights();
    // Every target photo moves to the next class: labels that would change any supervised result.
    const classes = app.classes.list(projectId).map((c) => c.id);
    const relabel = app.ctx.db.prepare('UPDATE labels SET class_id = ? WHERE image_id = ?');
    const targets = app.domains.targetPhotos(projectId);
    for (const p of targets) relabel.run(classes[(classes.indexOf(p.classId!) + 1) % classes.length], p.imageId);
    try {
      expect((await weights()).equals(first)).toBe(true);
    } finally {
      // The later tests measure target accuracy against these photos' real labels.
      for (const p of targets) relabel.run(p.classId, p.imageId);
    }
  }, 120_000);

  it('adabn makes a run with its own re-estimated backbone that Predict and export use', async () => {
    const run = app.adaptation.start(sourceRunId, { method: 'adabn' });
    await run.done;
    const detail = app.experiments.get(run.experimentId);
    expect(detail.error).toBeNull();
    expect(detail.status).toBe('finished');
    const runDir = app.experiments.artefactDir(run.experimentId)!;
    const source = await readRunArtefacts(app.experiments.artefactDir(sourceRunId)!);
    const artefacts = await readRunArtefacts(runDir);
    // The head is the source run's (AdaBN alone); the backbone is the run's own file.
    expect(Buffer.from(artefacts.head.weightData).equals(Buffer.from(source.head.weightData))).toBe(true);
    expect(artefacts.backbone.id).toBe(`${source.backbone.id}-adabn-${run.experimentId}`);
    expect(artefacts.backbone.source).toMatchObject({ kind: 'imported', path: path.join(runDir, 'backbone.onnx') });
    expect(fs.existsSync(path.join(runDir, 'backbone.onnx'))).toBe(true);
    // Its embeddings are cached under its own key, never mixed with the source backbone's.
    const cached = (id: string) =>
      (app.ctx.db.prepare('SELECT COUNT(*) AS n FROM embeddings WHERE backbone_id = ?').get(id) as { n: number }).n;
    expect(cached(`${artefacts.backbone.id}@${artefacts.backbone.version}`)).toBeGreaterThanOrEqual(84);
    expect(cached(`${source.backbone.id}@${source.backbone.version}`)).toBeGreaterThanOrEqual(84);

    const report = await app.adaptation.report(run.experimentId);
    expect(report.method).toBe('adabn');
    expect(report.after.targetTest!.accuracy).toBeGreaterThanOrEqual(report.before.targetTest!.accuracy);
    // Measured against the embeddings the head learnt from, the new domain has come closer.
    expect(report.after.domainDistance).toBeLessThan(report.before.domainDistance);

    // Predict runs the adapted backbone: its answers on the target photos are the report's.
    const cast = fs
      .readdirSync(path.join(dir, 'cast'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => ({
        name: e.name,
        cls: path.basename(e.parentPath),
        read: async () => fs.readFileSync(path.join(e.parentPath, e.name)),
      }));
    const model = await ExperimentModel.open(app.experiments, app.backbones, run.experimentId);
    const { results } = await model.predict(cast);
    await model.close();
    const right = results.filter((r, i) => r.top[0]?.className === cast[i].cls).length;
    expect(right / cast.length).toBeCloseTo(report.after.targetTest!.accuracy, 5);

    const exported = await app.exports.start(run.experimentId, {
      format: 'onnx',
      location: app.locations.resolve(app.locations.register(dir)),
      folderName: 'adabn-onnx',
      rawInput: false,
      overwrite: false,
    }).done;
    expect(exported.error).toBeNull();
    expect(exported.status).toBe('passed');
    expect(exported.parity!.maxProbabilityDifference).toBeLessThanOrEqual(1e-4);
    const card = fs.readFileSync(path.join(exported.path, 'MODEL_CARD.md'), 'utf8');
    expect(card).toContain('(method `adabn`;');
    expect(card).toContain(`- Backbone: ${artefacts.backbone.name} (\`${artefacts.backbone.id}\`)`);
    expect(artefacts.backbone.name).toContain(`, AdaBN (run ${run.experimentId})`);
  }, 240_000);

  it('can be cancelled, and refuses without enough target photos', async () => {
    const run = app.adaptation.start(sourceRunId, { method: 'coral' });
    expect(app.adaptation.cancel(run.experimentId)).toBe(true);
    await run.done;
    expect(app.experiments.get(run.experimentId).status).toBe('cancelled');

    app.domains.setFolderDomain(targetFolderId, 'source');
    expect(() => app.adaptation.start(sourceRunId)).toThrow(/at least 10 new-domain photos/);
    app.domains.setFolderDomain(targetFolderId, 'target');
  });

  it('graft adapt reuses the folder already marked, adapts and prints source-only vs adapted', async () => {
    const lines: string[] = [];
    const io: CliIo = { out: (l) => lines.push(String(l)), err: (l) => lines.push(l) };
    const code = await adaptCommand(app, io, {
      experimentId: sourceRunId,
      target: path.join(dir, 'cast'),
      method: 'standardise',
      labelsFromFolders: true,
    });
    expect(code).toBe(0);
    expect(lines.join('\n')).toMatch(
      /^\[id \d+\] “Run 1 adapted \(feature standardising\)( #\d+)?”: feature standardising on 24 new-domain photos \(24 labelled, used only to measure\)/m,
    );
    // The same verdict as the Adapt view, judged on the labelled new-domain photos.
    expect(lines).toContainEqual(
      expect.stringMatching(/^Verdict: The adapted run is (better|worse|no better) on the new photos/),
    );
    // Adapting the same run with the same method again gets a name of its own.
    const names = app.experiments.list(projectId).map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    expect(lines.some((l) => l.trim().startsWith('source-only'))).toBe(true);
    expect(lines.some((l) => l.trim().startsWith('adapted'))).toBe(true);
    await expect(
      adaptCommand(app, io, { experimentId: sourceRunId, target: dir, method: 'magic', labelsFromFolders: false }),
    ).rejects.toThrow(/--method must be one of/);
  }, 120_000);
});
