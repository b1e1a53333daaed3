import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { int64Tensor } from '../ml/onnx/onnx-graph-builder';
import { decodeModel, encodeModel } from '../ml/onnx/onnx-proto';
import { writeGraftLikeExport } from './cli-fixtures';
import { main } from './index';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-cli-'));
const data = ['--data-dir', path.join(dir, 'data')];
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('graft command line', () => {
  it('answers bad usage with exit code 2 and the usage line', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await main(['export', '--format', 'zip', ...data])).toBe(2);
    expect(await main(['predict', ...data])).toBe(2);
    expect(await main(['train', ...data])).toBe(2);
    expect(await main(['frobnicate', ...data])).toBe(2);
    expect(log.mock.calls.flat().join('\n')).toMatch(/Usage: graft export/);
    log.mockRestore();
  });

  it('fails with a clear message on a missing experiment, model or photo', async () => {
    await expect(
      main(['export', '--experiment', '42', '--format', 'onnx', '--out', path.join(dir, 'x'), ...data]),
    ).rejects.toThrow(/Experiment 42 does not exist/);
    await expect(main(['predict', '--model', '42', path.join(dir, 'nope.jpg'), ...data])).rejects.toThrow(
      /does not exist/,
    );
    fs.writeFileSync(path.join(dir, 'photo.jpg'), 'not a photo');
    await expect(
      main(['predict', '--model', path.join(dir, 'missing.onnx'), path.join(dir, 'photo.jpg'), ...data]),
    ).rejects.toThrow(/missing/);
    await expect(main(['train', '--project', 'Nope', ...data])).rejects.toThrow(/no project named/);
  });

  it('refuses an ONNX model declaring a huge input before running it, naming the model', async () => {
    const file = path.join(dir, 'giant.onnx');
    writeGraftLikeExport(file, ['a', 'b', 'c'], 100000);
    await sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } })
      .jpeg()
      .toFile(path.join(dir, 'red.jpg'));
    await expect(main(['predict', '--model', file, path.join(dir, 'red.jpg'), ...data])).rejects.toMatchObject({
      code: 'MODEL_INPUT_TOO_LARGE',
      message: expect.stringMatching(/“giant\.onnx” asks for 100000×100000-pixel photos/),
    });
  });

  it('predicts the other photos when one is a link loop, naming its reason in its row', async () => {
    const model = path.join(dir, 'loop-model.onnx');
    writeGraftLikeExport(model, ['a', 'b', 'c']);
    const good = path.join(dir, 'good.jpg');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: 'blue' } })
      .jpeg()
      .toFile(good);
    fs.symlinkSync(path.join(dir, 'loop2.jpg'), path.join(dir, 'loop1.jpg'));
    fs.symlinkSync(path.join(dir, 'loop1.jpg'), path.join(dir, 'loop2.jpg'));
    fs.symlinkSync(path.join(dir, 'nowhere.jpg'), path.join(dir, 'dangling.jpg'));
    const csv = path.join(dir, 'loop.csv');
    const inputs = ['loop1.jpg', 'good.jpg', 'dangling.jpg'].map((n) => path.join(dir, n));
    expect(await main(['predict', '--model', model, '--csv', csv, ...inputs, ...data])).toBe(1);
    const rows = fs.readFileSync(csv, 'utf8').trim().split('\n').slice(1);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/loop1\.jpg,,,,.*loop/i);
    expect(rows[1]).toMatch(/good\.jpg,c,/);
    expect(rows[2]).toMatch(/dangling\.jpg,,,,.*does not exist/);
  });

  it('never writes the prediction CSV over Graft’s own data or over a photo being predicted', async () => {
    const model = path.join(dir, 'csv-model.onnx');
    writeGraftLikeExport(model, ['a', 'b', 'c']);
    const photo = path.join(dir, 'csv-photo.jpg');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: 'green' } })
      .jpeg()
      .toFile(photo);
    expect(await main(['projects', ...data])).toBe(0);
    const database = path.join(dir, 'data', 'graft.sqlite');
    const before = fs.readFileSync(database);
    await expect(main(['predict', '--model', model, '--csv', database, photo, ...data])).rejects.toMatchObject({
      code: 'EXPORT_DESTINATION_REFUSED',
    });
    expect(fs.readFileSync(database).equals(before)).toBe(true);
    await expect(main(['predict', '--model', model, '--csv', photo, photo, ...data])).rejects.toMatchObject({
      code: 'EXPORT_DESTINATION_REFUSED',
    });
    expect((await sharp(photo).metadata()).format).toBe('jpeg');
  });

  it('refuses an exported model that grows a huge tensor inside before running it', async () => {
    const file = path.join(dir, 'grower.onnx');
    writeGraftLikeExport(file, ['a', 'b', 'c']);
    const model = decodeModel(fs.readFileSync(file));
    model.graph!.initializer!.push(int64Tensor('big_shape', [4], [1, 3, 12000, 12000]));
    model.graph!.node!.push({ opType: 'Expand', input: ['input', 'big_shape'], output: ['big'] });
    fs.writeFileSync(file, encodeModel(model));
    const photo = path.join(dir, 'grower-photo.jpg');
    fs.writeFileSync(photo, 'not read: the model is refused first');
    await expect(main(['predict', '--model', file, photo, ...data])).rejects.toMatchObject({
      code: 'MODEL_INPUT_TOO_LARGE',
      message: expect.stringContaining('“grower.onnx” makes a tensor of at least 432,000,000 values'),
    });
  });

  it('refuses a model that is a FIFO or a link out of its folder, without blocking', async () => {
    const models = path.join(dir, 'models');
    fs.mkdirSync(models);
    execFileSync('mkfifo', [path.join(models, 'pipe.onnx')]);
    const real = path.join(dir, 'real-model.onnx');
    writeGraftLikeExport(real, ['a', 'b', 'c']);
    fs.symlinkSync(real, path.join(models, 'linked.onnx'));
    const photo = path.join(dir, 'photo.jpg');
    fs.writeFileSync(photo, 'not read: the model is refused first');
    for (const name of ['pipe.onnx', 'linked.onnx']) {
      await expect(main(['predict', '--model', path.join(models, name), photo, ...data])).rejects.toMatchObject({
        code: 'MODEL_FILE_REFUSED',
        message: expect.stringContaining(name),
      });
    }
  });
});
