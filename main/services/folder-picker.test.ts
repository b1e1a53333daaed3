import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeClassPhoto } from '../../e2e/fixtures/photo-corpus';
import { FolderPicker, PHOTO_COUNT_LIMIT } from './folder-picker';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-picker-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const posix = process.platform !== 'win32';

describe.skipIf(!posix)('the folder picker', () => {
  it('counts the photos below each folder, regular files only', async () => {
    // photos/pets/{cats: 3, dogs: 2} plus a FIFO and a /dev/zero link named like photos.
    const pets = path.join(dir, 'photos', 'pets');
    for (let i = 0; i < 3; i++) await writeClassPhoto(path.join(pets, 'cats', `c${i}.jpg`), 0, i);
    for (let i = 0; i < 2; i++) await writeClassPhoto(path.join(pets, 'dogs', `d${i}.jpg`), 1, i);
    execFileSync('mkfifo', [path.join(pets, 'cats', 'pipe.jpg')]);
    fs.symlinkSync('/dev/zero', path.join(pets, 'zero.jpg'));
    fs.writeFileSync(path.join(pets, 'notes.txt'), 'not a photo');
    const picker = new FolderPicker(path.join(dir, 'photos'));

    const top = await picker.open({ kind: 'location' });
    expect(top.folders).toEqual([{ name: 'pets', imageCount: 5, imageCountComplete: true }]);
    expect([top.imagesHere, top.imagesHereComplete]).toEqual([5, true]);

    const inside = await picker.enter(top.pickerId, 'pets');
    expect(inside.folders).toEqual([
      { name: 'cats', imageCount: 3, imageCountComplete: true },
      { name: 'dogs', imageCount: 2, imageCountComplete: true },
    ]);
    expect([inside.imagesHere, inside.imagesHereComplete]).toEqual([5, true]);
  });

  it(`stops counting at ${PHOTO_COUNT_LIMIT.toLocaleString('en')} and says the count is not complete`, async () => {
    const big = path.join(dir, 'big', 'all');
    fs.mkdirSync(big, { recursive: true });
    for (let i = 0; i < PHOTO_COUNT_LIMIT + 20; i++) fs.writeFileSync(path.join(big, `${i}.jpg`), '');
    const view = await new FolderPicker(path.join(dir, 'big')).open({ kind: 'location' });
    expect(view.folders).toEqual([{ name: 'all', imageCount: PHOTO_COUNT_LIMIT, imageCountComplete: false }]);
    expect([view.imagesHere, view.imagesHereComplete]).toEqual([PHOTO_COUNT_LIMIT, false]);
  });

  it('stops counting when its time is up and says which counts are not complete', async () => {
    // 40 folders of 10 nested folders each: far more than a 1 ms budget can walk.
    for (let f = 0; f < 40; f++) {
      let nested = path.join(dir, 'slow', `f${f}`);
      for (let d = 0; d < 10; d++) {
        nested = path.join(nested, `d${d}`);
        fs.mkdirSync(nested, { recursive: true });
        fs.writeFileSync(path.join(nested, 'p.jpg'), '');
      }
    }
    const started = Date.now();
    const view = await new FolderPicker(path.join(dir, 'slow'), 1).open({ kind: 'location' });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(view.folders.some((f) => !f.imageCountComplete && (f.imageCount ?? 0) < 10)).toBe(true);
    expect(view.imagesHereComplete).toBe(false);
  });

  it('lists folders reached through links, so a linked photo folder can be chosen', async () => {
    await writeClassPhoto(path.join(dir, 'elsewhere', 'a.jpg'), 0, 1);
    fs.mkdirSync(path.join(dir, 'root'));
    fs.symlinkSync(path.join(dir, 'elsewhere'), path.join(dir, 'root', 'linked'));
    const picker = new FolderPicker(path.join(dir, 'root'));
    const view = await picker.open({ kind: 'location' });
    expect(view.folders).toEqual([{ name: 'linked', imageCount: 1, imageCountComplete: true }]);
    expect((await picker.enter(view.pickerId, 'linked')).imagesHere).toBe(1);
  });
});
