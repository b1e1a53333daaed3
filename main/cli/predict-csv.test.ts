import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import sharp from 'sharp';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { writeGraftLikeExport } from './cli-fixtures';
import { main } from './index';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-csv-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Class names a person could type; each would run as a formula if a spreadsheet met it bare. */
const CLASSES = ['=HYPERLINK("http://example.invalid","x")', '+cmd|" /C calc"!A0', '@SUM(1,2)'];

/** Photo file name -> the path cell a spreadsheet must show as text. */
const PHOTOS: Record<string, string> = {
  '=1+2.jpg': "'=1+2.jpg",
  '+sum.jpg': "'+sum.jpg",
  '-minus.jpg': "'-minus.jpg",
  '@at.jpg': "'@at.jpg",
  '\ttab.jpg': "'\ttab.jpg",
  '\rcr.jpg': "'\rcr.jpg",
  'carriage\rreturn.jpg': 'carriage\rreturn.jpg',
  'line\nfeed.jpg': 'line\nfeed.jpg',
  'comma, "quoted".jpg': 'comma, "quoted".jpg',
  'plain.jpg': 'plain.jpg',
};

describe('graft predict --csv', () => {
  it('writes hostile photo and class names so that a CSV parser reads back every cell and no cell is a formula', async () => {
    const model = path.join(dir, 'hostile.onnx');
    writeGraftLikeExport(model, CLASSES);
    const photos = path.join(dir, 'photos');
    fs.mkdirSync(photos);
    let shade = 0;
    for (const name of Object.keys(PHOTOS)) {
      shade += 20;
      await sharp({ create: { width: 12, height: 10, channels: 3, background: { r: shade, g: 255 - shade, b: 90 } } })
        .jpeg()
        .toFile(path.join(photos, name));
    }
    fs.writeFileSync(path.join(photos, '-broken.jpg'), 'not a photo');
    const out = path.join(dir, 'predictions.csv');
    const cwd = process.cwd();
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    process.chdir(photos);
    try {
      const names = [...Object.keys(PHOTOS), '-broken.jpg'];
      expect(
        await main(['predict', '--model', model, '--csv', out, '--data-dir', path.join(dir, 'data'), '--', ...names]),
      ).toBe(1);
    } finally {
      process.chdir(cwd);
      log.mockRestore();
    }

    const records = parse(fs.readFileSync(out, 'utf8')) as string[][];
    expect(records[0]).toEqual(['path', 'top1', 'confidence', 'top_k', 'error', 'unlike_training', 'ood_score']);
    const rows = new Map(records.slice(1).map((r) => [r[0], r]));
    expect(records.length).toBe(Object.keys(PHOTOS).length + 2);
    const neutralisedClasses = CLASSES.map((c) => `'${c}`);
    for (const cell of Object.values(PHOTOS)) {
      const row = rows.get(cell);
      expect(row, JSON.stringify(cell)).toBeDefined();
      const [, top1, confidence, topK, error] = row as string[];
      expect(neutralisedClasses).toContain(top1);
      expect(Number(confidence)).toBeGreaterThan(0);
      expect(confidence).toMatch(/^\d\.\d{6}$/);
      expect(topK.startsWith("'")).toBe(true);
      expect(CLASSES.every((c) => topK.includes(c))).toBe(true);
      expect(error).toBe('');
    }
    const broken = rows.get("'-broken.jpg") as string[];
    expect(broken.slice(1, 4)).toEqual(['', '', '']);
    expect(broken[4]).not.toBe('');
    for (const cell of records.flat()) expect(cell, JSON.stringify(cell)).not.toMatch(/^[=+\-@\t\r]/);
  });
});
