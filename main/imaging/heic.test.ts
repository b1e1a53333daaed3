import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeCrop } from '../ml/preprocess';
import { isHevcHeif } from './heic';
import { inspectPhoto, orientedPhoto } from './photo-file';

/** A real HEVC-coded HEIC (see fixtures/README.md): left half red, right half blue. */
const HEIC = fs.readFileSync(path.join(__dirname, 'fixtures', 'red-blue-64x48.heic'));
/** The same file cut after its header boxes: a HEIC whose picture data is missing. */
const CUT_HEIC = HEIC.subarray(0, 300);

function solid(width: number, height: number) {
  return sharp({ create: { width, height, channels: 3, background: { r: 90, g: 160, b: 40 } } });
}

describe('HEIC photos', () => {
  it('are recognised by their HEVC brands; AVIF-in-HEIF and JPEG are left to sharp', async () => {
    const avif = await solid(32, 24).heif({ compression: 'av1' }).toBuffer();
    const jpeg = await solid(32, 24).jpeg().toBuffer();
    expect(HEIC.toString('latin1', 4, 12)).toBe('ftypheic');
    expect(isHevcHeif(HEIC)).toBe(true);
    expect(isHevcHeif(CUT_HEIC)).toBe(true);
    expect(isHevcHeif(avif)).toBe(false);
    expect(isHevcHeif(jpeg)).toBe(false);
    // A generic major brand with heic among the compatible ones is HEVC too.
    const mif1 = Buffer.from(HEIC);
    mif1.write('mif1', 8, 'latin1');
    expect(isHevcHeif(mif1)).toBe(true);
  });

  it('are measured and decoded to the right pixels, for thumbnails and for the model', async () => {
    expect(await inspectPhoto(HEIC)).toEqual({ format: 'heif', width: 64, height: 48 });
    const { data, info } = await (await orientedPhoto(HEIC)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([64, 48, 3]);
    const at = (x: number, y: number) => [...data.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3)];
    for (const [actual, expected] of [
      [at(8, 24), [200, 30, 30]],
      [at(56, 24), [30, 30, 200]],
    ]) {
      for (let c = 0; c < 3; c++) expect(Math.abs(actual[c] - expected[c])).toBeLessThan(12);
    }
    const crop = await decodeCrop(HEIC, {
      inputSize: 16,
      resizeShortSide: 16,
      layout: 'NHWC',
      normalisation: { kind: 'range', min: 0, max: 1 },
    });
    expect(crop.length).toBe(16 * 16 * 3);
    expect(crop[0]).toBeGreaterThan(150); // left edge: red
    expect(crop[(16 - 1) * 3 + 2]).toBeGreaterThan(150); // right edge: blue
  });

  it('that cannot be decoded say that HEIC needs converting, never that the photo is damaged', async () => {
    for (const attempt of [() => inspectPhoto(CUT_HEIC), () => orientedPhoto(CUT_HEIC)]) {
      const error = await attempt().then(
        () => null,
        (err: Error & { code?: string }) => err,
      );
      expect(error?.code).toBe('HEIC_NEEDS_CONVERTING');
      expect(error?.message).toMatch(/Convert it to JPEG or PNG/);
      expect(error?.message).not.toMatch(/damaged/i);
    }
  });
});
