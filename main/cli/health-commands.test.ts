import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { distinctPhoto, nearCopy, RED, writePhoto, writeTwoClassSplits } from '../../e2e/fixtures/health-corpus';
import { graftRunner } from './cli-fixtures';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-cli-health-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const graft = graftRunner(path.join(dir, 'data'));

describe('graft health and graft dataset-export', () => {
  it('prints a planted leak with its photos, exits 1 on it, and exports the labelled set', async () => {
    const photos = path.join(dir, 'photos');
    await writeTwoClassSplits(photos, { train: 5, val: 1 });
    await writePhoto(photos, 'val/red/r-copy.jpg', await nearCopy(await distinctPhoto(1, RED), 'reencode'));
    expect((await graft('import', '--project', 'Colours', photos, '--labels-from-folders')).code).toBe(0);

    const health = await graft('health', '--project', 'Colours');
    const text = health.stdout.join('\n');
    expect(health.code).toBe(1);
    expect(text).toMatch(/^Dataset health of “Colours”: 13 labelled photos/m);
    expect(text).toMatch(/\[error\] leakage: 2 near copies in training and val/);
    expect(text).toContain('- train/red/red-0.jpg  (red, train');
    expect(text).toContain('- val/red/r-copy.jpg  (red, val');

    const out = path.join(dir, 'exported');
    const exported = await graft('dataset-export', '--project', 'Colours', '--out', out);
    expect(exported.code).toBe(0);
    expect(exported.stdout[0]).toMatch(/^Exported 13 photos of “Colours” to .*exported \(13 hard links, 0 copies\)/);
    expect(fs.readdirSync(path.join(out, 'val')).sort()).toEqual(['blue', 'red']);

    const missing = await graft('health', '--project', 'Nope');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.join('\n')).toMatch(/no project named “Nope”/);
  });
});
