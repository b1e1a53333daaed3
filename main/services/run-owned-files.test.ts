import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRunArtefacts } from './experiment-artefacts';
import { GraftApp } from './graft-app';
import { ExperimentModel } from './predictor';
import { trainedColourRun } from './test-adaptation';

// A source run on generated colour photos, a target folder of other generated photos, and runs
// adapted from it: the files each run owns (its folder, its prepared AdaBN backbone) go with it,
// and no run depends on a file another run's deletion removes.
let dir: string;
let dataDir: string;
let app: GraftApp;
let sourceRunId: number;

const preparedOf = (runId: number) =>
  fs.readdirSync(path.join(dataDir, 'backbones')).filter((n) => n.includes(`-adabn-${runId}-`));

async function predictAll(runId: number): Promise<number> {
  const photos = fs
    .readdirSync(path.join(dir, 'new'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => ({ name: e.name, read: async () => fs.readFileSync(path.join(e.parentPath, e.name)) }));
  const model = await ExperimentModel.open(app.experiments, app.backbones, runId);
  try {
    return (await model.predict(photos)).results.filter((r) => r.top.length > 0).length;
  } finally {
    await model.close();
  }
}

beforeAll(async () => {
  const env = await trainedColourRun(5);
  ({ dir, app, sourceRunId } = env);
  dataDir = path.join(dir, 'data');
  const target = app.folders.add(env.projectId, path.join(dir, 'new'), true);
  await app.importer.start(target.id).done;
  app.domains.setFolderDomain(target.id, 'target');
}, 240_000);
// Closes the app the start-up test opened last, whichever it is.
afterAll(() => {
  app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('files a run owns', () => {
  it('a run adapted from an AdaBN run keeps its own backbone file, so deleting the AdaBN run breaks nothing', async () => {
    const adabn = app.adaptation.start(sourceRunId, { method: 'adabn' });
    await adabn.done;
    expect(app.experiments.get(adabn.experimentId).status).toBe('finished');
    const adabnFile = path.join(app.experiments.artefactDir(adabn.experimentId)!, 'backbone.onnx');
    const standardised = app.adaptation.start(adabn.experimentId, { method: 'standardise' });
    await standardised.done;
    expect(app.experiments.get(standardised.experimentId).error).toBeNull();
    const ownDir = app.experiments.artefactDir(standardised.experimentId)!;
    const own = await readRunArtefacts(ownDir);
    expect(own.backbone.source).toMatchObject({ kind: 'imported', path: path.join(ownDir, 'backbone.onnx') });
    // A second name for the same bytes (a hard link on one disk), not a second copy of them.
    expect(fs.statSync(path.join(ownDir, 'backbone.onnx')).ino).toBe(fs.statSync(adabnFile).ino);
    expect(preparedOf(adabn.experimentId)).toHaveLength(1);

    app.experiments.delete(adabn.experimentId);
    expect(fs.existsSync(path.dirname(adabnFile))).toBe(false);
    // The prepared copy is a cache: without it the adapted run prepares its own file again.
    for (const name of preparedOf(adabn.experimentId)) fs.rmSync(path.join(dataDir, 'backbones', name));
    expect(await predictAll(standardised.experimentId)).toBe(12);
    const exported = await app.exports.start(standardised.experimentId, {
      format: 'onnx',
      location: app.locations.resolve(app.locations.register(dir)),
      folderName: 'after-delete',
      rawInput: false,
      overwrite: false,
    }).done;
    expect(exported.error).toBeNull();
    expect(exported.status).toBe('passed');
    // Once no run reads that backbone, its prepared copy goes too.
    expect(preparedOf(adabn.experimentId)).toHaveLength(1);
    app.experiments.delete(standardised.experimentId);
    expect(preparedOf(adabn.experimentId)).toEqual([]);
  }, 240_000);

  it('a run whose backbone file lies in another run folder keeps that run from being deleted, and a missing one is named', async () => {
    const adabn = app.adaptation.start(sourceRunId, { method: 'adabn' });
    await adabn.done;
    const owner = app.experiments.get(adabn.experimentId);
    const dependent = app.adaptation.start(sourceRunId, { method: 'standardise' });
    await dependent.done;
    // As runs adapted before each got its own copy: the spec reads the AdaBN run's file.
    const dependentDir = app.experiments.artefactDir(dependent.experimentId)!;
    const runJson = path.join(dependentDir, 'run.json');
    const run = JSON.parse(fs.readFileSync(runJson, 'utf8'));
    run.backbone = (await readRunArtefacts(app.experiments.artefactDir(adabn.experimentId)!)).backbone;
    fs.writeFileSync(runJson, JSON.stringify(run));
    expect(() => app.experiments.delete(adabn.experimentId)).toThrow(
      expect.objectContaining({
        code: 'CONFLICT',
        message: expect.stringContaining(`(run ${dependent.experimentId}) uses the backbone file`),
      }),
    );
    expect(app.experiments.get(adabn.experimentId)).toEqual(owner);

    // When the file is gone all the same, Predict and export name the run whose folder it was.
    fs.rmSync(app.experiments.artefactDir(adabn.experimentId)!, { recursive: true });
    for (const name of preparedOf(adabn.experimentId)) fs.rmSync(path.join(dataDir, 'backbones', name));
    const missing = expect.objectContaining({
      code: 'NOT_FOUND',
      message: expect.stringContaining(`The backbone file of run ${adabn.experimentId}`),
    });
    await expect(predictAll(dependent.experimentId)).rejects.toThrow(missing);
    const exporting = app.exports.start(dependent.experimentId, {
      format: 'onnx',
      location: app.locations.resolve(app.locations.register(dir)),
      folderName: 'missing-backbone',
      rawInput: false,
      overwrite: false,
    });
    const failed = await exporting.done;
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(new RegExp(`^The backbone file of run ${adabn.experimentId} .* is missing`));
    app.experiments.delete(dependent.experimentId);
    app.experiments.delete(adabn.experimentId);
  }, 240_000);

  it('a cancelled AdaBN run leaves no prepared backbone behind', async () => {
    const run = app.adaptation.start(sourceRunId, { method: 'adabn' });
    // Cancel once its prepared backbone exists: while it embeds the photos with it.
    while (preparedOf(run.experimentId).length === 0 && app.experiments.get(run.experimentId).status === 'running') {
      await new Promise((r) => setTimeout(r, 10));
    }
    app.adaptation.cancel(run.experimentId);
    await run.done;
    expect(app.experiments.get(run.experimentId).status).toBe('cancelled');
    expect(preparedOf(run.experimentId)).toEqual([]);
  }, 240_000);

  it('start-up removes run folders and prepared backbones of runs that are gone or never finished', async () => {
    const adabn = app.adaptation.start(sourceRunId, { method: 'adabn' });
    await adabn.done;
    const kept = [sourceRunId, adabn.experimentId].map((id) => app.experiments.artefactDir(id)!);
    expect(preparedOf(adabn.experimentId)).toHaveLength(1);
    const backbones = path.join(dataDir, 'backbones');
    const orphans = [
      path.join(backbones, 'mobilenet-adabn-990-0123456789abcdef.onnx'),
      path.join(backbones, 'mobilenet-fine-tuned-991-0123456789abcdef.onnx'),
      path.join(dataDir, 'experiments', '992'),
    ];
    fs.writeFileSync(orphans[0], 'killed mid-run');
    fs.writeFileSync(orphans[1], 'its run was deleted');
    fs.mkdirSync(orphans[2]);
    const others = fs.readdirSync(backbones).filter((n) => !orphans.includes(path.join(backbones, n)));
    app.close();
    app = new GraftApp({ dataDir });
    expect(orphans.filter((f) => fs.existsSync(f))).toEqual([]);
    expect(fs.readdirSync(backbones).sort()).toEqual(others.sort());
    expect(kept.filter((d) => fs.existsSync(d))).toEqual(kept);
    expect(preparedOf(adabn.experimentId)).toHaveLength(1);
  }, 120_000);
});
