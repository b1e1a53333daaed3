import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBorderlinePhoto } from '../../e2e/fixtures/borderline-photo';
import { writeLabelledFolder } from '../../e2e/fixtures/photo-corpus';
import { appProbabilities } from '../ml/export/app-reference';
import { checkOnnxFile } from '../ml/export/onnx-check';
import { GraftApp } from './graft-app';
import { ExperimentModel } from './predictor';

let dir: string;
let app: GraftApp;
let projectId: number;
let experimentId: number;
let out: string;

function location(): string {
  return app.locations.register(out);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-export-'));
  out = path.join(dir, 'out');
  fs.mkdirSync(out);
  app = new GraftApp({ dataDir: path.join(dir, 'data') });
  await writeLabelledFolder(path.join(dir, 'photos'), { red: 60, blue: 60, green: 60 });
  projectId = app.projects.create('Export').id;
  const folder = app.folders.add(projectId, path.join(dir, 'photos'), true);
  await app.importer.start(folder.id).done;
  app.splits.generate(projectId, 1, { train: 0.6, val: 0.3, test: 0.1 });
  const run = app.training.start(projectId);
  await run.done;
  experimentId = run.experimentId;
  expect(app.experiments.get(experimentId).status).toBe('finished');
});
afterAll(() => {
  app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('ONNX export', () => {
  it('writes the whole model, proves it against the app on ≥ 50 validation photos, and passes the reference checker', async () => {
    const { done } = app.exports.start(experimentId, {
      format: 'onnx',
      location: app.locations.resolve(location()),
      folderName: 'colours-onnx',
      rawInput: false,
      overwrite: false,
    });
    const record = await done;
    expect(record.error).toBeNull();
    expect(record.status).toBe('passed');
    expect(record.parity!.photos).toBeGreaterThanOrEqual(50);
    expect(record.parity!.agreement).toBe(1);
    expect(record.parity!.maxProbabilityDifference).toBeLessThanOrEqual(1e-4);
    expect(fs.readdirSync(record.path).sort()).toEqual([
      '.graft-export',
      'MODEL_CARD.md',
      'labels.json',
      'model.onnx',
      'ood.json',
    ]);
    const ood = JSON.parse(fs.readFileSync(path.join(record.path, 'ood.json'), 'utf8'));
    expect(ood.classMeans).toHaveLength(3);
    expect(JSON.parse(fs.readFileSync(path.join(record.path, 'labels.json'), 'utf8'))).toEqual([
      'blue',
      'green',
      'red',
    ]);
    const card = fs.readFileSync(path.join(record.path, 'MODEL_CARD.md'), 'utf8');
    expect(card).toContain('Backbone licence');
    expect(card).toContain('Test-time averaging: the model mirrors each photo');
    expect(card).toContain(app.experiments.get(experimentId).snapshot.hash);
    expect(card).toContain(`above \`threshold\` (${ood.threshold.toFixed(3)}, the 95th percentile`);

    const check = await checkOnnxFile(path.join(record.path, 'model.onnx'));
    if (!check.available) console.warn(`Reference ONNX checker skipped: ${check.reason}`);
    else expect(check).toMatchObject({ ok: true });
  });

  it('runs in onnxruntime-node from the model card’s script with the app’s top-1 on the validation photos', async () => {
    const [record] = app.exports.list(experimentId).filter((e) => e.status === 'passed' && e.format === 'onnx');
    const card = fs.readFileSync(path.join(record.path, 'MODEL_CARD.md'), 'utf8');
    const script = /```js\n([\s\S]*?)```/.exec(card)![1];
    expect(script.split('\n').length).toBeLessThanOrEqual(20);
    fs.writeFileSync(path.join(record.path, 'classify.js'), script);
    const predictions = app.experiments.predictions(experimentId, { split: 'val' }).slice(0, 12);
    const classNames = app.experiments.get(experimentId).snapshot.classes;
    const nodeModules = path.resolve(__dirname, '..', '..', 'node_modules');
    for (const p of predictions) {
      const printed = execFileSync(process.execPath, ['classify.js', app.images.absolutePath(p.imageId!)], {
        cwd: record.path,
        env: { ...process.env, NODE_PATH: nodeModules },
      }).toString();
      expect(printed.split(' ')[0]).toBe(classNames.find((c) => c.id === p.predictedClassId)!.name);
    }
  });

  it('with raw 0–255 input inside the graph, still matches the app', async () => {
    const record = await app.exports.start(experimentId, {
      format: 'onnx',
      location: out,
      folderName: 'colours-raw',
      rawInput: true,
      overwrite: false,
    }).done;
    expect(record).toMatchObject({ status: 'passed', parity: { agreement: 1 } });
  });

  it('gives the Predict view’s numbers on borderline photos, where one view alone would not', async () => {
    const record = app.exports.list(experimentId).find((e) => e.path.endsWith('colours-onnx'))!;
    const model = await ExperimentModel.open(app.experiments, app.backbones, experimentId);
    const prepared = await app.backbones.prepareSpec(model.artefacts.backbone);
    expect(model.artefacts.config.flipTestTime).toBe(true);
    await model.close();
    const k = 3;
    let borderline = 0;
    for (const share of [0.3, 0.4, 0.5, 0.6, 0.7]) {
      const file = path.join(dir, `borderline-${share}.jpg`);
      await writeBorderlinePhoto(file, 0, 1, share);
      const photo = { name: path.basename(file), dataBase64: fs.readFileSync(file).toString('base64') };
      const [shown] = await app.prediction.photos({ kind: 'experiment', experimentId }, [photo], k);
      const [exported] = await app.prediction.photos({ kind: 'export', exportId: record.id }, [photo], k);
      const single = await appProbabilities(prepared, model.artefacts.head, [fs.readFileSync(file)]);
      const classNames = model.classNames;
      for (const guess of shown.top) {
        const fromFile = exported.top.find((t) => t.className === guess.className)!.probability;
        expect(Math.abs(fromFile - guess.probability)).toBeLessThanOrEqual(1e-4);
        const oneView = single.probabilities[classNames.indexOf(guess.className)];
        if (Math.abs(oneView - guess.probability) > 1e-2) borderline++;
      }
    }
    expect(borderline).toBeGreaterThan(0);
  });

  it('predicts with the export as with the app, and reports a damaged export clearly', async () => {
    const record = app.exports.list(experimentId).find((e) => e.path.endsWith('colours-onnx'))!;
    const photo = app.images.list(projectId, { kind: 'all' })[0];
    const bytes = fs.readFileSync(app.images.absolutePath(photo.id)).toString('base64');
    const viaExport = await app.prediction.photos({ kind: 'export', exportId: record.id }, [
      { name: 'x.jpg', dataBase64: bytes },
    ]);
    const viaApp = await app.prediction.photos({ kind: 'experiment', experimentId }, [
      { name: 'x.jpg', dataBase64: bytes },
    ]);
    expect(viaExport[0].top[0].className).toBe(viaApp[0].top[0].className);

    const file = path.join(record.path, 'model.onnx');
    fs.truncateSync(file, Math.floor(fs.statSync(file).size * 0.6));
    await expect(
      app.prediction.photos({ kind: 'export', exportId: record.id }, [{ name: 'x.jpg', dataBase64: bytes }]),
    ).rejects.toThrow(/damaged|cannot load/);
  });

  it('re-exporting into the same folder replaces its history row, so Predict lists the model once', async () => {
    // The folder of the first test's export (its file was damaged by the test above).
    const first = app.exports.list(experimentId).find((e) => e.path.endsWith('colours-onnx'))!;
    const options = { format: 'onnx' as const, location: out, folderName: 'colours-onnx', rawInput: true };
    // The model card's script the test above saved there is not Graft's: replacing is refused and it stays.
    expect(() => app.exports.start(experimentId, { ...options, overwrite: true })).toThrow(
      expect.objectContaining({ code: 'EXPORT_DESTINATION_REFUSED', message: expect.stringContaining('classify.js') }),
    );
    expect(fs.existsSync(path.join(first.path, 'classify.js'))).toBe(true);
    fs.rmSync(path.join(first.path, 'classify.js'));
    expect(() => app.exports.start(experimentId, { ...options, overwrite: false })).toThrow(/already exists/);
    const second = await app.exports.start(experimentId, { ...options, overwrite: true }).done;
    expect(second.status).toBe('passed');
    const rows = app.exports.list(experimentId).filter((e) => e.path === second.path);
    expect(rows.map((e) => e.id)).toEqual([second.id]);
    expect(() => app.exports.get(first.id)).toThrow(/does not exist/);
    // What the folder holds is the second export (raw input), and it still predicts.
    const meta = fs.readFileSync(path.join(second.path, 'model.onnx')).toString('latin1');
    expect(meta).toContain('"name":"image"');
    const photo = app.images.list(projectId, { kind: 'all' })[0];
    const bytes = fs.readFileSync(app.images.absolutePath(photo.id)).toString('base64');
    const [result] = await app.prediction.photos({ kind: 'export', exportId: second.id }, [
      { name: 'x.jpg', dataBase64: bytes },
    ]);
    expect(result.error).toBeNull();
  }, 180_000);

  it('never replaces a photo folder, the data folder or a folder that is not an earlier export', () => {
    const photos = path.join(dir, 'photos');
    const before = fs.readdirSync(photos).sort();
    const foreign = path.join(out, 'holiday');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'notes.txt'), 'mine');
    const destinations = [
      { location: dir, folderName: 'photos' },
      { location: photos, folderName: 'red' },
      { location: photos, folderName: 'new-inside' },
      { location: path.dirname(app.ctx.paths.root), folderName: path.basename(app.ctx.paths.root) },
      { location: app.ctx.paths.root, folderName: 'inside' },
      { location: path.dirname(dir), folderName: path.basename(dir) },
      { location: out, folderName: 'holiday' },
    ];
    for (const where of destinations) {
      for (const overwrite of [false, true]) {
        expect(() => app.exports.start(experimentId, { format: 'onnx', rawInput: false, overwrite, ...where })).toThrow(
          expect.objectContaining({ code: 'EXPORT_DESTINATION_REFUSED' }),
        );
      }
    }
    expect(fs.readdirSync(photos).sort()).toEqual(before);
    expect(fs.existsSync(app.ctx.paths.database)).toBe(true);
    expect(fs.readFileSync(path.join(foreign, 'notes.txt'), 'utf8')).toBe('mine');
    expect(fs.existsSync(path.join(photos, 'new-inside'))).toBe(false);
  });

  it('refuses to overwrite without confirmation, and an unwritable destination leaves nothing behind', async () => {
    expect(() =>
      app.exports.start(experimentId, {
        format: 'onnx',
        location: out,
        folderName: 'colours-raw',
        rawInput: false,
        overwrite: false,
      }),
    ).toThrow(/already exists/);
    fs.writeFileSync(path.join(out, 'a-file'), 'not a folder');
    for (const overwrite of [false, true]) {
      const onFile = () =>
        app.exports.start(experimentId, {
          format: 'onnx',
          location: out,
          folderName: 'a-file',
          rawInput: false,
          overwrite,
        });
      expect(onFile).toThrow(
        expect.objectContaining({ code: 'CONFLICT', message: expect.stringContaining('is a file') }),
      );
    }
    expect(fs.readFileSync(path.join(out, 'a-file'), 'utf8')).toBe('not a folder');
    const blocker = path.join(dir, 'not-a-folder');
    fs.writeFileSync(blocker, 'a file where a folder should be');
    const record = await app.exports.start(experimentId, {
      format: 'onnx',
      location: blocker,
      folderName: 'x',
      rawInput: false,
      overwrite: false,
    }).done;
    expect(record.status).toBe('failed');
    expect(record.error).toMatch(/is a file, not a folder: nothing was written \((ENOTDIR|EEXIST)\)/);
    expect(record.error).not.toMatch(/mkdir|ENOTDIR:|EEXIST:/);
    expect(fs.readdirSync(dir).filter((n) => n.includes('graft-partial'))).toEqual([]);
    expect(fs.readFileSync(blocker, 'utf8')).toBe('a file where a folder should be');
  });

  it('marks an export cut off by a crash as interrupted and removes its half-written folder', () => {
    const info = app.ctx.db
      .prepare(
        `INSERT INTO exports (experiment_id, format, path, status, created_at) VALUES (?, 'onnx', ?, 'running', 'now')`,
      )
      .run(experimentId, path.join(out, 'crashed'));
    fs.mkdirSync(path.join(out, 'crashed.graft-partial-abcd'));
    fs.writeFileSync(path.join(out, 'crashed.graft-partial-abcd', 'model.onnx'), 'half');
    const dataDir = app.ctx.paths.root;
    app.close();
    app = new GraftApp({ dataDir });
    expect(app.exports.get(Number(info.lastInsertRowid))).toMatchObject({ status: 'interrupted' });
    expect(fs.readdirSync(out).filter((n) => n.startsWith('crashed'))).toEqual([]);
  });

  it('lists exports whose files were deleted as missing', () => {
    const record = app.exports.list(experimentId).find((e) => e.path.endsWith('colours-raw'))!;
    fs.rmSync(record.path, { recursive: true });
    expect(app.exports.list(experimentId).find((e) => e.id === record.id)!.missing).toBe(true);
  });
});

describe('TF.js export', () => {
  it('is refused with a reason for a GraphModel backbone and matches the app for a LayersModel one', async () => {
    const support = await app.exports.support(experimentId);
    expect(support.find((s) => s.format === 'tfjs')).toMatchObject({ supported: false });
    const run = app.training.start(projectId, { backboneId: 'nsfwjs-mobilenet-v2' });
    await run.done;
    const record = await app.exports.start(run.experimentId, {
      format: 'tfjs',
      location: out,
      folderName: 'colours-tfjs',
      rawInput: false,
      overwrite: false,
    }).done;
    expect(record.error).toBeNull();
    expect(record).toMatchObject({ status: 'passed', parity: { agreement: 1 } });
    expect(record.parity!.photos).toBeGreaterThanOrEqual(50);
    expect(record.parity!.maxProbabilityDifference).toBeLessThanOrEqual(1e-4);
    expect(fs.readdirSync(record.path)).toContain('model.json');
    // A training run and an export that runs two views per photo: minutes on a busy 2-vCPU machine.
  }, 240_000);
});

describe('batch predict', () => {
  it('predicts a folder to a CSV with one row per photo', async () => {
    const source = path.join(dir, 'photos', 'red');
    const { done } = app.prediction.startBatch({ kind: 'experiment', experimentId }, source, out, 2);
    const summary = await done;
    expect(summary).toMatchObject({ status: 'finished', predicted: 60, unreadable: 0 });
    const lines = fs.readFileSync(summary.csvPath!, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('path,top1,confidence,top_k,error,unlike_training,ood_score');
    expect(lines).toHaveLength(61);
    expect(lines.slice(1).filter((l) => l.split(',')[1] === 'red').length).toBeGreaterThanOrEqual(57);
    // Photos like the training photos: the unlike-training column is filled and mostly `no`.
    const unlike = lines.slice(1).map((l) => l.split(',')[5]);
    expect(unlike.every((v) => v === 'yes' || v === 'no')).toBe(true);
    expect(unlike.filter((v) => v === 'yes').length).toBeLessThanOrEqual(12);
    expect(summary.unlikeTraining).toBe(unlike.filter((v) => v === 'yes').length);
  });
});
