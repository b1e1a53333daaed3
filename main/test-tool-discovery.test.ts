// `npm test` on a machine that is not Debian: the browser for the end-to-end specs and the
// Python for the ONNX reference check are found, in a stated order, wherever they are.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findBrowser } from '../scripts/find-browser';
import { findOnnxPython } from './ml/export/onnx-python';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-tools-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** An executable shell script in `dir` that exits with `status`. */
function fakeTool(name: string, status = 0): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\nexit ${status}\n`, { mode: 0o755 });
  return file;
}

describe.skipIf(process.platform === 'win32')('test tool discovery', () => {
  it('takes GRAFT_CHROMIUM first, then a browser on PATH in the stated order', () => {
    expect(findBrowser({ GRAFT_CHROMIUM: '/opt/my/chromium', PATH: dir })).toMatchObject({
      executablePath: '/opt/my/chromium',
    });
    const chrome = fakeTool('google-chrome');
    expect(findBrowser({ PATH: dir })).toEqual({ executablePath: chrome, source: 'google-chrome on PATH' });
    const chromium = fakeTool('chromium');
    expect(findBrowser({ PATH: dir })).toEqual({ executablePath: chromium, source: 'chromium on PATH' });
  });

  it('takes the first Python that can import onnx, GRAFT_PYTHON first', () => {
    const broken = fakeTool('python-without-onnx', 1);
    const good = fakeTool('python-with-onnx', 0);
    expect(findOnnxPython({ GRAFT_PYTHON: good, PATH: dir })).toEqual({ python: good });
    const fallback = findOnnxPython({ GRAFT_PYTHON: broken, PATH: dir });
    expect(fallback.python).not.toBe(broken);
  });
});
