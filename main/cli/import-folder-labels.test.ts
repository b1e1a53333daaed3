import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeLabelledFolder } from '../../e2e/fixtures/photo-corpus';
import { eachTestGraftApp } from '../services/test-app-hooks';
import { importCommand } from './commands';

const env = eachTestGraftApp();

describe('graft import --labels-from-folders', () => {
  it('prints the classes and the split folders it found', async () => {
    const root = path.join(env.dir, 'photos');
    await writeLabelledFolder(path.join(root, 'train'), { red: 3, blue: 2 });
    const lines: string[] = [];
    const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(line) };

    await importCommand(env.app, io, { project: 'Found', folder: root, labelsFromFolders: true });

    expect(lines).toContain('  classes: blue (2), red (3)');
    expect(lines).toContain('  splits from folder names: 5 train, 0 val, 0 test');
  });

  it('says how many photos sit in more than one class folder and why photos got no class', async () => {
    const root = path.join(env.dir, 'photos');
    await writeLabelledFolder(root, { red: 2, blue: 2 });
    fs.copyFileSync(path.join(root, 'red', 'red-0000.jpg'), path.join(root, 'blue', 'copy.jpg'));
    fs.copyFileSync(path.join(root, 'red', 'red-0001.jpg'), path.join(root, 'loose.jpg'));
    const lines: string[] = [];
    const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(line) };

    const summary = await importCommand(env.app, io, { project: 'Cli', folder: root, labelsFromFolders: true });

    expect(summary.conflicts).toBe(1);
    expect(lines).toContain(
      '  ! 1 photo appears in more than one class folder: left out of training until you choose its class in the app’s Health view (Label conflicts); graft health lists them.',
    );
    expect(lines.filter((l) => l.includes('copy.jpg') || l.includes('red-0000.jpg'))).toEqual([]);
    expect(
      lines.some((l) => l.startsWith('  ! 1 photo got no class: some photos sit directly in the chosen folder')),
    ).toBe(true);
  });
});
