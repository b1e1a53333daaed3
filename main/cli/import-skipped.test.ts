import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeClassPhoto } from '../../e2e/fixtures/photo-corpus';
import { eachTestGraftApp } from '../services/test-app-hooks';
import { importCommand } from './commands';

const env = eachTestGraftApp();

describe.skipIf(process.platform === 'win32')('graft import', () => {
  it('names each entry it did not read as a photo, with the reason, and counts hidden files', async () => {
    const folder = path.join(env.dir, 'photos');
    await writeClassPhoto(path.join(folder, 'real.jpg'), 0, 1);
    await writeClassPhoto(path.join(folder, '.hidden.jpg'), 0, 2);
    fs.symlinkSync('/dev/zero', path.join(folder, 'zero.jpg'));
    fs.writeFileSync(path.join(folder, 'notes.txt'), 'not a photo');
    const lines: string[] = [];
    const io = { out: (line: string | readonly string[]) => lines.push(String(line)), err: () => {} };

    const summary = await importCommand(env.app, io, { project: 'Cli', folder, labelsFromFolders: false });

    expect(summary.added).toBe(1);
    expect(lines).toContain('  - notes.txt: ' + summary.skipped.find((s) => s.relPath === 'notes.txt')?.message);
    expect(lines.find((l) => l.startsWith('  - zero.jpg: '))).toMatch(/device, not a regular file/);
    expect(lines).toContain('  (1 hidden file left out)');
  });
});
