import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { writeGraftLikeExport } from './cli-fixtures';
import { run } from './index';
import { printable } from './terminal-text';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-escape-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Any character a terminal may obey rather than show. */
const RAW_CONTROL = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** Runs the command line with stdout and stderr captured. */
async function capture(argv: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const error = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    const code = await run([...argv, '--data-dir', path.join(dir, 'data')]);
    return { code, stdout: log.mock.calls.map((c) => String(c[0])), stderr: error.mock.calls.map((c) => String(c[0])) };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('printable', () => {
  it('writes every C0, DEL and C1 control and every reordering mark as a visible escape', () => {
    for (let c = 0; c <= 0x9f; c++) {
      if (c >= 0x20 && c < 0x7f) continue;
      const out = printable(`a${String.fromCharCode(c)}b`);
      expect(out, c.toString(16)).not.toMatch(RAW_CONTROL);
      expect(out.length, c.toString(16)).toBeGreaterThan(3);
    }
    expect(printable('\u001b[2J\u001b]0;owned\u0007x\u009b31m\r\n\t')).toBe('\\e[2J\\e]0;owned\\x07x\\x9b31m\\r\\n\\t');
    expect(printable('evil\u202egpj.exe')).toBe('evil\\u202egpj.exe');
    expect(printable('Bienen “café” 🐝 \\ ok')).toBe('Bienen “café” 🐝 \\ ok');
  });
});

describe('what graft prints', () => {
  const hostile = 'x\u001b[31mred\u001b]0;owned\u0007\u009b2J.jpg';

  it('escapes control characters in photo names, class names and errors, and prints an error once', async () => {
    const model = path.join(dir, 'model.onnx');
    writeGraftLikeExport(model, ['cat\u001b[8m', 'dog', 'bird']);
    const photo = path.join(dir, hostile);
    await sharp({ create: { width: 12, height: 10, channels: 3, background: { r: 250, g: 10, b: 10 } } })
      .jpeg()
      .toFile(photo);
    const predicted = await capture(['predict', '--model', model, photo]);
    expect(predicted.code).toBe(0);
    // One row, then the note that a model file cannot check for photos unlike the training photos.
    expect(predicted.stdout).toHaveLength(2);
    expect(predicted.stdout[1]).toMatch(/^Not checked for photos unlike the training photos: an ONNX model file gives/);
    const fields = predicted.stdout[0].split('\t');
    expect(fields.slice(0, 2)).toEqual([`${dir}/x\\e[31mred\\e]0;owned\\x07\\x9b2J.jpg`, 'cat\\e[8m']);
    for (const field of fields) expect(field).not.toMatch(RAW_CONTROL);

    const missing = await capture(['predict', '--model', path.join(dir, 'gone\u001b[2J.onnx'), photo]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toHaveLength(1);
    expect(missing.stderr[0]).toContain('gone\\e[2J.onnx');
    expect(missing.stderr[0]).not.toMatch(RAW_CONTROL);
  });

  it('escapes the names of unreadable photos in the import summary', async () => {
    const folder = path.join(dir, 'photos');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, `broken${hostile}`), 'not a photo');
    const imported = await capture(['import', '--project', 'Escapes', folder]);
    expect(imported.stdout.join('\n')).toContain('brokenx\\e[31mred');
    for (const line of imported.stdout) expect(line).not.toMatch(RAW_CONTROL);
  });
});
