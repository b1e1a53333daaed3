// What the import reads from disk: anything that is not a regular file, directly or through
// links, is refused before it is read and listed with its reason; nothing blocks or grows memory.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SkippedEntry } from '../../common/contract';
import { writeClassPhoto } from '../../e2e/fixtures/photo-corpus';
import { readRegularFile } from '../imaging/regular-file';
import { walkPhotoFolder } from './folder-walk';
import { eachTestGraftApp } from './test-app-hooks';

const env = eachTestGraftApp();

const posix = process.platform !== 'win32';

function codes(skipped: SkippedEntry[]): Record<string, string> {
  return Object.fromEntries(skipped.map((s) => [s.relPath, s.code]));
}

/** Rejects when `promise` has not settled within `ms`: a hang becomes a failure, not a stuck run. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * real.jpg and x.jpg/inside.jpg are photos; every other entry is hostile or not a photo:
 * links to /dev/zero and /dev/urandom, a FIFO and five photo-named links to it (more than
 * libuv's four pool threads), a link loop, a dangling link, a text file and a hidden photo.
 */
async function writeHostileFolder(dir: string): Promise<void> {
  await writeClassPhoto(path.join(dir, 'real.jpg'), 0, 1);
  await writeClassPhoto(path.join(dir, 'x.jpg', 'inside.jpg'), 1, 2);
  await writeClassPhoto(path.join(dir, '.hidden.jpg'), 1, 3);
  fs.symlinkSync('/dev/zero', path.join(dir, 'zero.jpg'));
  fs.symlinkSync('/dev/urandom', path.join(dir, 'random.png'));
  execFileSync('mkfifo', [path.join(dir, 'fifo.jpg')]);
  for (let i = 1; i <= 5; i++) fs.symlinkSync('fifo.jpg', path.join(dir, `a-pipe-${i}.jpg`));
  fs.symlinkSync('loop.jpg', path.join(dir, 'loop.jpg'));
  fs.symlinkSync('nowhere.jpg', path.join(dir, 'dangling.jpg'));
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a photo');
}

const EXPECTED_SKIPS = {
  'a-pipe-1.jpg': 'NOT_REGULAR_FILE',
  'a-pipe-2.jpg': 'NOT_REGULAR_FILE',
  'a-pipe-3.jpg': 'NOT_REGULAR_FILE',
  'a-pipe-4.jpg': 'NOT_REGULAR_FILE',
  'a-pipe-5.jpg': 'NOT_REGULAR_FILE',
  'dangling.jpg': 'DANGLING_LINK',
  'fifo.jpg': 'NOT_REGULAR_FILE',
  'loop.jpg': 'LINK_LOOP',
  'notes.txt': 'UNSUPPORTED_EXTENSION',
  'random.png': 'NOT_REGULAR_FILE',
  'x.jpg': 'FOLDER_NAMED_LIKE_PHOTO',
  'zero.jpg': 'NOT_REGULAR_FILE',
};

describe.skipIf(!posix)('an import of a folder with devices, FIFOs and odd links', () => {
  it('finishes promptly, imports the real photos and lists every other entry with its reason', async () => {
    const dir = path.join(env.dir, 'hostile');
    await writeHostileFolder(dir);
    const project = env.app.projects.create('Hostile');
    const folder = env.app.folders.add(project.id, dir, false);
    const rssBefore = process.memoryUsage().rss;

    const summary = await within(20_000, env.app.importer.start(folder.id).done);

    expect(summary.status).toBe('finished');
    expect(summary.added).toBe(2);
    expect(summary.unreadable).toBe(0);
    expect(
      env.app.images
        .list(project.id, { kind: 'all' })
        .map((r) => r.name)
        .sort(),
    ).toEqual(['inside.jpg', 'real.jpg']);
    expect(codes(summary.skipped)).toEqual(EXPECTED_SKIPS);
    expect(summary.skippedTotal).toBe(Object.keys(EXPECTED_SKIPS).length);
    expect(summary.hidden).toBe(1);
    const byPath = new Map(summary.skipped.map((s) => [s.relPath, s.message]));
    expect(byPath.get('zero.jpg')).toMatch(/link leads to a device, not a regular file/);
    expect(byPath.get('fifo.jpg')).toMatch(/named pipe \(FIFO\), not a regular file/);
    expect(byPath.get('dangling.jpg')).toMatch(/does not exist/);
    expect(byPath.get('dangling.jpg')).not.toMatch(/disappeared/);
    // /dev/zero was never read into memory (an unbounded read grows by hundreds of MB a second).
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 ** 2);
    // No pool thread is left parked on a FIFO: ordinary file reads still answer at once.
    await within(2_000, fs.promises.readFile(path.join(dir, 'real.jpg')));
    expect(env.app.importer.last(folder.id)).toMatchObject({ status: 'finished', skippedTotal: summary.skippedTotal });
    const running = env.app.ctx.db.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE status = 'running'`).get() as {
      n: number;
    };
    expect(running.n).toBe(0);
  });

  it('can be cancelled while FIFO links come first, and the job does not stay running', async () => {
    const dir = path.join(env.dir, 'pipes-first');
    execFileSync('mkfifo', [path.join(dir, '..', 'shared-fifo')]);
    fs.mkdirSync(dir);
    for (let i = 0; i < 6; i++) fs.symlinkSync('../shared-fifo', path.join(dir, `0-pipe-${i}.jpg`));
    for (let i = 0; i < 30; i++) await writeClassPhoto(path.join(dir, `photo-${i}.jpg`), i % 2, i);
    const project = env.app.projects.create('Pipes');
    const folder = env.app.folders.add(project.id, dir, false);

    const run = env.app.importer.start(folder.id);
    await new Promise((r) => setTimeout(r, 50));
    env.app.importer.cancel(run.jobId);
    const summary = await within(10_000, run.done);

    expect(['cancelled', 'finished']).toContain(summary.status);
    const job = env.app.ctx.db.prepare('SELECT status FROM jobs WHERE id = ?').get(run.jobId) as { status: string };
    expect(job.status).toBe(summary.status);
  });

  it('shows no preview of a photo whose file became a link to a device, and reads nothing from it', async () => {
    const dir = path.join(env.dir, 'swapped');
    await writeClassPhoto(path.join(dir, 'a.jpg'), 0, 1);
    const project = env.app.projects.create('Swapped');
    await env.app.importer.start(env.app.folders.add(project.id, dir, false).id).done;
    const [image] = env.app.images.list(project.id, { kind: 'all' });
    fs.rmSync(path.join(dir, 'a.jpg'));
    fs.symlinkSync('/dev/zero', path.join(dir, 'a.jpg'));

    await expect(within(5_000, env.app.images.preview(image.id))).rejects.toMatchObject({
      code: 'IMAGE_UNREADABLE',
      message: expect.stringMatching(/device, not a regular file/),
    });
  });
});

describe.skipIf(!posix)('readRegularFile: the one opener every photo read goes through', () => {
  it('reads a regular file, directly and through a link', async () => {
    const file = path.join(env.dir, 'plain.bin');
    fs.writeFileSync(file, Buffer.from([1, 2, 3, 4]));
    fs.symlinkSync(file, path.join(env.dir, 'link.bin'));
    for (const p of [file, path.join(env.dir, 'link.bin')]) {
      const { buffer, mtimeMs } = await readRegularFile(p);
      expect([...buffer]).toEqual([1, 2, 3, 4]);
      expect(mtimeMs).toBeCloseTo(fs.statSync(file).mtimeMs, 0);
    }
  });

  it('refuses devices, FIFOs, folders, loops and dangling links with their own codes, without blocking', async () => {
    const d = env.dir;
    fs.symlinkSync('/dev/zero', path.join(d, 'zero.jpg'));
    fs.symlinkSync('/dev/urandom', path.join(d, 'random.jpg'));
    execFileSync('mkfifo', [path.join(d, 'fifo.jpg')]);
    fs.symlinkSync('fifo.jpg', path.join(d, 'pipe.jpg'));
    fs.symlinkSync('loop.jpg', path.join(d, 'loop.jpg'));
    fs.symlinkSync('gone.jpg', path.join(d, 'dangling.jpg'));
    fs.mkdirSync(path.join(d, 'folder.jpg'));
    const expected: Record<string, string> = {
      'zero.jpg': 'NOT_REGULAR_FILE',
      'random.jpg': 'NOT_REGULAR_FILE',
      'fifo.jpg': 'NOT_REGULAR_FILE',
      'pipe.jpg': 'NOT_REGULAR_FILE',
      'loop.jpg': 'LINK_LOOP',
      'dangling.jpg': 'DANGLING_LINK',
      'folder.jpg': 'IS_FOLDER',
      'absent.jpg': 'VANISHED',
    };
    for (const [name, code] of Object.entries(expected)) {
      await expect(within(2_000, readRegularFile(path.join(d, name))), name).rejects.toMatchObject({ code });
    }
  });

  it('refuses a file above the size cap before reading it', async () => {
    const file = path.join(env.dir, 'big.jpg');
    fs.writeFileSync(file, Buffer.alloc(4096));
    await expect(readRegularFile(file, 1024)).rejects.toMatchObject({
      code: 'FILE_TOO_BIG',
      message: expect.stringMatching(/more than/),
    });
  });
});

describe.skipIf(!posix)('walkPhotoFolder', () => {
  it('opens nothing: a folder of FIFO links is walked at once, each listed with its reason', async () => {
    const dir = path.join(env.dir, 'walk');
    await writeHostileFolder(dir);
    const result = await within(5_000, walkPhotoFolder(dir));
    expect(result.files.map((f) => f.relPath)).toEqual(['real.jpg', 'x.jpg/inside.jpg']);
    expect(codes(result.skipped)).toEqual(EXPECTED_SKIPS);
    expect(result.hidden).toBe(1);
  });
});

describe.skipIf(!posix)('names that are not UTF-8', () => {
  it('are listed as NAME_NOT_UTF8 with “rename it”, never as disappeared, and the other photos import', async () => {
    const root = path.join(env.dir, 'latin1');
    await writeClassPhoto(path.join(root, 'normal.jpg'), 0, 1);
    // “café” and “été.jpg” in Latin-1: é is the single byte 0xE9, not valid UTF-8.
    const latin1 = (name: string) => Buffer.concat([Buffer.from(`${root}/`), Buffer.from(name, 'latin1')]);
    fs.mkdirSync(latin1('café'));
    fs.copyFileSync(path.join(root, 'normal.jpg'), Buffer.concat([latin1('café'), Buffer.from('/p0.jpg')]));
    fs.copyFileSync(path.join(root, 'normal.jpg'), latin1('été.jpg'));
    const result = await walkPhotoFolder(root);
    expect(result.files.map((f) => f.relPath)).toEqual(['normal.jpg']);
    expect(result.skipped.map((s) => s.code)).toEqual(['NAME_NOT_UTF8', 'NAME_NOT_UTF8']);
    expect(result.skipped.every((s) => s.message.includes('rename it'))).toBe(true);
    const project = env.app.projects.create('Latin-1');
    const summary = await within(20_000, env.app.importer.start(env.app.folders.add(project.id, root, false).id).done);
    expect(summary).toMatchObject({ status: 'finished', added: 1 });
    expect(JSON.stringify(summary)).not.toMatch(/disappeared|ENOENT/);
  });
});

describe.skipIf(!posix)('folders reached through symbolic links', () => {
  /**
   * photos/cats/a.jpg is real; photos/linked-dogs -> elsewhere/dogs (outside the chosen folder)
   * holds b.jpg and a link back to itself; the other links repeat a folder, loop, enter /dev
   * or point nowhere.
   */
  async function writeLinkedLayout(): Promise<string> {
    const root = path.join(env.dir, 'photos');
    const elsewhere = path.join(env.dir, 'elsewhere');
    await writeClassPhoto(path.join(root, 'cats', 'a.jpg'), 0, 1);
    await writeClassPhoto(path.join(elsewhere, 'dogs', 'b.jpg'), 1, 2);
    fs.symlinkSync(path.join(elsewhere, 'dogs'), path.join(root, 'linked-dogs'));
    fs.symlinkSync('../dogs', path.join(elsewhere, 'dogs', 'round-again'));
    fs.symlinkSync('cats', path.join(root, 'cats-again'));
    fs.symlinkSync('.', path.join(root, 'here'));
    fs.symlinkSync('..', path.join(root, 'cats', 'up'));
    fs.symlinkSync('/dev', path.join(root, 'devices'));
    fs.symlinkSync('/proc/self', path.join(root, 'process'));
    fs.symlinkSync(path.join(env.dir, 'nope'), path.join(root, 'gone'));
    return root;
  }

  it('are followed once each: loops, repeats, system folders and dangling links are listed with reasons', async () => {
    const root = await writeLinkedLayout();
    const result = await within(10_000, walkPhotoFolder(root));
    expect(result.files.map((f) => f.relPath)).toEqual(['cats/a.jpg', 'linked-dogs/b.jpg']);
    expect(codes(result.skipped)).toEqual({
      'cats-again': 'ALREADY_SCANNED',
      'cats/up': 'LINK_LOOP',
      devices: 'SYSTEM_FOLDER',
      gone: 'DANGLING_LINK',
      here: 'LINK_LOOP',
      'linked-dogs/round-again': 'LINK_LOOP',
      process: 'SYSTEM_FOLDER',
    });
    expect(result.skipped.find((s) => s.relPath === 'devices')?.message).toMatch(/\/dev, a system folder/);
  });

  it('count in the import: the linked photos are imported and the refused links are in the summary', async () => {
    const root = await writeLinkedLayout();
    const project = env.app.projects.create('Linked');
    const summary = await within(20_000, env.app.importer.start(env.app.folders.add(project.id, root, false).id).done);
    expect(summary).toMatchObject({ status: 'finished', added: 2, skippedTotal: 7 });
    expect(
      env.app.images
        .list(project.id, { kind: 'all' })
        .map((r) => r.name)
        .sort(),
    ).toEqual(['a.jpg', 'b.jpg']);
  });
});
