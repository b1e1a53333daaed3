import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeClassPhoto } from '../../e2e/fixtures/photo-corpus';
import { FolderPicker, PHOTO_COUNT_LIMIT } from './folder-picker';
import { GraftApp } from './graft-app';
import { RecentFolders } from './recent-folders';

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

  it('keeps its time cap when many folders link to one folder of many photo-named links', async () => {
    // 100 links to one folder holding 4,000 links named like photos: 400,000 stat calls uncapped.
    const many = path.join(dir, 'many');
    fs.mkdirSync(many);
    fs.writeFileSync(path.join(dir, 'one.jpg'), '');
    for (let i = 0; i < 4_000; i++) fs.symlinkSync(path.join(dir, 'one.jpg'), path.join(many, `p${i}.jpg`));
    const top = path.join(dir, 'top');
    fs.mkdirSync(top);
    for (let i = 0; i < 100; i++) fs.symlinkSync(many, path.join(top, `l${String(i).padStart(3, '0')}`));
    const started = Date.now();
    const view = await new FolderPicker(top, 300).open({ kind: 'location' });
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(view.folders).toHaveLength(100);
    expect(view.imagesHereComplete).toBe(false);
    expect(view.folders.some((f) => (f.imageCount ?? 0) > 0)).toBe(true);
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

  it('opens a typed path, absolute, relative or from ~, the way browsing would', async () => {
    await writeClassPhoto(path.join(dir, 'photos', 'pets', 'cats', 'c.jpg'), 0, 1);
    const picker = new FolderPicker(path.join(dir, 'photos'));
    const { pickerId } = await picker.open({ kind: 'location' });
    expect((await picker.go(pickerId, `  ${path.join(dir, 'photos', 'pets')}  `)).path).toBe(
      path.join(dir, 'photos', 'pets'),
    );
    const cats = await picker.go(pickerId, 'cats');
    expect([cats.path, cats.imagesHere]).toEqual([path.join(dir, 'photos', 'pets', 'cats'), 1]);
    expect((await picker.go(pickerId, '../..')).path).toBe(path.join(dir, 'photos'));
    expect((await picker.go(pickerId, '~')).path).toBe(path.resolve(os.homedir()));
  });

  it('refuses a typed path that is not a folder, saying what it is, and stays where it was', async () => {
    fs.mkdirSync(path.join(dir, 'photos'));
    fs.writeFileSync(path.join(dir, 'photos', 'notes.txt'), 'text');
    execFileSync('mkfifo', [path.join(dir, 'photos', 'pipe')]);
    fs.symlinkSync('/dev/zero', path.join(dir, 'photos', 'zero'));
    const picker = new FolderPicker(path.join(dir, 'photos'));
    const { pickerId } = await picker.open({ kind: 'location' });
    const refusal = (typed: string) =>
      picker.go(pickerId, typed).then(
        () => null,
        (err) => [err.code, err.message],
      );
    expect(await refusal('notes.txt')).toEqual([
      'BAD_REQUEST',
      `${path.join(dir, 'photos', 'notes.txt')} is a file, not a folder.`,
    ]);
    expect(await refusal('pipe')).toEqual([
      'BAD_REQUEST',
      `${path.join(dir, 'photos', 'pipe')} is a named pipe, not a folder.`,
    ]);
    expect(await refusal('zero')).toEqual([
      'BAD_REQUEST',
      `${path.join(dir, 'photos', 'zero')} is a device, not a folder.`,
    ]);
    expect((await refusal('nowhere'))?.[0]).toBe('FOLDER_NOT_FOUND');
    expect((await refusal('notes.txt/inside'))?.[0]).toBe('FOLDER_NOT_FOUND');
    expect((await refusal('   '))?.[0]).toBe('BAD_REQUEST');
    expect((await picker.up(pickerId)).path).toBe(dir);
  });

  it('reaches no folder by typing that browsing would not list: hidden folders stay out', async () => {
    await writeClassPhoto(path.join(dir, 'photos', '.secret', 'inner', 'a.jpg'), 0, 1);
    const picker = new FolderPicker(path.join(dir, 'photos'));
    const { pickerId } = await picker.open({ kind: 'location' });
    for (const typed of ['.secret', '.secret/inner', path.join(dir, 'photos', '.secret', 'inner'), 'x/../.secret']) {
      await expect(picker.go(pickerId, typed)).rejects.toMatchObject({ code: 'FOLDER_NOT_FOUND' });
    }
    await expect(picker.enter(pickerId, '.secret')).rejects.toMatchObject({ code: 'FOLDER_NOT_FOUND' });
  });

  it('goes home', async () => {
    fs.mkdirSync(path.join(dir, 'start'));
    const picker = new FolderPicker(path.join(dir, 'start'));
    const { pickerId } = await picker.open({ kind: 'location' });
    expect((await picker.home(pickerId)).path).toBe(path.resolve(os.homedir()));
  });

  it('remembers chosen folders, most recent first, and lists those that still exist', async () => {
    for (const name of ['a', 'b', 'gone']) fs.mkdirSync(path.join(dir, 'disk', name), { recursive: true });
    const recent = new RecentFolders(path.join(dir, 'data', 'recent-folders.json'));
    const picker = new FolderPicker(path.join(dir, 'disk'), undefined, recent);
    for (const name of ['a', 'gone', 'b', 'a']) {
      const { pickerId } = await picker.open({ kind: 'location' });
      await picker.enter(pickerId, name);
      await picker.choose(pickerId);
    }
    fs.rmdirSync(path.join(dir, 'disk', 'gone'));
    // A later start reads them back from the data folder.
    const later = new FolderPicker(
      path.join(dir, 'disk'),
      undefined,
      new RecentFolders(path.join(dir, 'data', 'recent-folders.json')),
    );
    const view = await later.open({ kind: 'location' });
    expect(view.recent).toEqual([path.join(dir, 'disk', 'a'), path.join(dir, 'disk', 'b')]);
    expect((await later.go(view.pickerId, view.recent[1])).path).toBe(path.join(dir, 'disk', 'b'));
  });

  it('keeps recent folders in the data folder across app starts', async () => {
    fs.mkdirSync(path.join(dir, 'disk', 'out'), { recursive: true });
    const options = { dataDir: path.join(dir, 'data'), pickerStartDir: path.join(dir, 'disk') };
    const first = new GraftApp(options);
    const { pickerId } = await first.picker.open({ kind: 'location' });
    await first.picker.enter(pickerId, 'out');
    await first.picker.choose(pickerId);
    first.close();
    const second = new GraftApp(options);
    try {
      expect((await second.picker.open({ kind: 'location' })).recent).toEqual([path.join(dir, 'disk', 'out')]);
    } finally {
      second.close();
    }
  });

  it('reads a damaged recent-folders file as none', async () => {
    fs.mkdirSync(path.join(dir, 'disk'));
    fs.writeFileSync(path.join(dir, 'recent.json'), '{"folders": [1, "relative", null');
    const picker = new FolderPicker(
      path.join(dir, 'disk'),
      undefined,
      new RecentFolders(path.join(dir, 'recent.json')),
    );
    expect((await picker.open({ kind: 'location' })).recent).toEqual([]);
    fs.writeFileSync(
      path.join(dir, 'recent.json'),
      JSON.stringify({ folders: [1, 'relative', path.join(dir, 'disk')] }),
    );
    expect((await picker.open({ kind: 'location' })).recent).toEqual([path.join(dir, 'disk')]);
  });

  it('makes a new folder where it will save and opens it; never when adding photos', async () => {
    fs.mkdirSync(path.join(dir, 'out'));
    fs.writeFileSync(path.join(dir, 'out', 'taken'), '');
    const picker = new FolderPicker(path.join(dir, 'out'));
    const { pickerId } = await picker.open({ kind: 'location' });
    const made = await picker.newFolder(pickerId, 'Exports 2026');
    expect(made.path).toBe(path.join(dir, 'out', 'Exports 2026'));
    expect(fs.statSync(made.path).isDirectory()).toBe(true);
    await picker.up(pickerId);
    await expect(picker.newFolder(pickerId, 'taken')).rejects.toMatchObject({ code: 'NAME_TAKEN' });
    for (const bad of ['', '..', 'a/b', '.hidden']) {
      await expect(picker.newFolder(pickerId, bad)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    }
    const source = await picker.open({ kind: 'source', projectId: 1, labelsFromSubfolders: true });
    await expect(picker.newFolder(source.pickerId, 'new')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(fs.existsSync(path.join(dir, 'out', 'new'))).toBe(false);
  });
});
