import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { classPhotoPixels } from '../e2e/fixtures/photo-corpus';

const DISTINCT_PICTURES = 40;

/** Inserts a JPEG comment segment after SOI: same pixels, different bytes (and content hash). */
function withComment(jpeg: Buffer, text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const segment = Buffer.alloc(4);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), segment, body, jpeg.subarray(2)]);
}

/**
 * A folder of `count` camera-sized JPEGs (width×height), generated once and kept in the temp
 * folder for later runs. 40 distinct pictures, each file with its own bytes, so every file is
 * decoded and thumbnailed (none is a duplicate).
 */
export async function cameraPhotoSet(count: number, width: number, height: number): Promise<string> {
  const dir = path.join(os.tmpdir(), `graft-bench-${count}-${width}x${height}`);
  const done = path.join(dir, '.complete');
  try {
    await fs.access(done);
    return dir;
  } catch {
    await fs.rm(dir, { recursive: true, force: true });
  }
  await fs.mkdir(dir, { recursive: true });
  console.log(`Generating ${count} photos of ${width}×${height} in ${dir} (once)…`);
  const pictures: Buffer[] = [];
  for (let i = 0; i < DISTINCT_PICTURES; i++) {
    const small = classPhotoPixels(i % 4, i, 400, 300);
    pictures.push(
      await sharp(small, { raw: { width: 400, height: 300, channels: 3 } })
        .resize(width, height, { kernel: 'cubic' })
        .jpeg({ quality: 92 })
        .toBuffer(),
    );
  }
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, `class-${i % 4}`, `IMG_${String(i).padStart(5, '0')}.jpg`);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, withComment(pictures[i % DISTINCT_PICTURES], `graft bench photo ${i}`));
  }
  await fs.writeFile(done, '');
  return dir;
}
