import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { eachTestGraftApp } from './test-app-hooks';
import { thumbnailPath } from './thumbnails';

const env = eachTestGraftApp();

/** A real HEVC-coded HEIC, left half red, right half blue (see main/imaging/fixtures/README.md). */
const HEIC = fs.readFileSync(path.join(__dirname, '..', 'imaging', 'fixtures', 'red-blue-64x48.heic'));

describe('importing HEIC/HEIF photos', () => {
  it('imports HEVC HEIC and AVIF-in-HEIF, and names an undecodable HEIC as needing conversion', async () => {
    const dir = path.join(env.dir, 'iphone');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'IMG_0001.HEIC'), HEIC);
    fs.writeFileSync(path.join(dir, 'IMG_0002.heic'), HEIC.subarray(0, 300));
    await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 10, g: 200, b: 10 } } })
      .heif({ compression: 'av1' })
      .toFile(path.join(dir, 'green.heif'));
    const project = env.app.projects.create('Phone');

    const summary = await env.app.importer.start(env.app.folders.add(project.id, dir, false).id).done;

    expect(summary).toMatchObject({ status: 'finished', added: 2, unreadable: 1 });
    const byName = new Map(
      env.app.images.list(project.id, { kind: 'all' }).map((r) => [r.name, env.app.images.get(r.id)]),
    );
    const heic = byName.get('IMG_0001.HEIC')!;
    expect(heic).toMatchObject({ width: 64, height: 48 });
    const thumb = await sharp(thumbnailPath(env.app.ctx.paths.thumbnails, heic.contentHash!)).metadata();
    expect([thumb.width, thumb.height]).toEqual([64, 48]);
    const preview = await env.app.images.preview(heic.id);
    expect(preview.contentType).toBe('image/jpeg');
    const [problem] = env.app.images.problems(project.id);
    expect(path.basename(problem.relPath)).toBe('IMG_0002.heic');
    expect(problem.errorCode).toBe('HEIC_NEEDS_CONVERTING');
    expect(problem.error).toMatch(/Convert it to JPEG or PNG/);
    expect(problem.error).not.toMatch(/damaged/i);
  });
});
