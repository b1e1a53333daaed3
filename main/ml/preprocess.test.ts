import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { seededArray } from './onnx/parity-support';
import {
  channelAffine,
  decodeCrop,
  flipHorizontally,
  ImageDecodeError,
  type Preprocessing,
  writeInputRow,
} from './preprocess';

const RED = { r: 255, g: 0, b: 0 };
const GREEN = { r: 0, g: 255, b: 0 };
const BLUE = { r: 0, g: 0, b: 255 };

/** Vertical colour bands, left to right. */
async function bands(width: number, height: number, colours: { r: number; g: number; b: number }[]): Promise<Sharp> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const c = colours[Math.floor((x * colours.length) / width)];
      raw.set([c.r, c.g, c.b], (y * width + x) * 3);
    }
  return sharp(raw, { raw: { width, height, channels: 3 } });
}

function pixel(rgb: Uint8Array, size: number, x: number, y: number): number[] {
  const i = (y * size + x) * 3;
  return [rgb[i], rgb[i + 1], rgb[i + 2]];
}

function dominant(p: number[]): 'red' | 'green' | 'blue' | 'white' | 'other' {
  if (p.every((v) => v > 200)) return 'white';
  const [r, g, b] = p;
  if (r > 180 && g < 80 && b < 80) return 'red';
  if (g > 180 && r < 80 && b < 80) return 'green';
  if (b > 180 && r < 80 && g < 80) return 'blue';
  return 'other';
}

const pre = (size: number, shortSide = size): Preprocessing => ({
  inputSize: size,
  resizeShortSide: shortSide,
  layout: 'NCHW',
  normalisation: { kind: 'range', min: 0, max: 1 },
});

describe('decodeCrop', () => {
  it('resizes the short side and crops the centre of a wide photo', async () => {
    const png = await (await bands(300, 200, [RED, GREEN, BLUE])).png().toBuffer();
    const rgb = await decodeCrop(png, pre(20));
    expect(rgb.length).toBe(20 * 20 * 3);
    // Resized to 30x20, the 20 px centre crop keeps 5 px of red, all green, 5 px of blue.
    expect(dominant(pixel(rgb, 20, 1, 10))).toBe('red');
    expect(dominant(pixel(rgb, 20, 10, 10))).toBe('green');
    expect(dominant(pixel(rgb, 20, 18, 10))).toBe('blue');
  });

  it('keeps a margin when the short side is resized larger than the crop', async () => {
    const png = await (await bands(200, 200, [RED, GREEN, GREEN, BLUE])).png().toBuffer();
    const rgb = await decodeCrop(png, pre(20, 40));
    // 40x40 with a centre 20x20 crop: only the two green bands are left.
    expect(dominant(pixel(rgb, 20, 0, 10))).toBe('green');
    expect(dominant(pixel(rgb, 20, 19, 10))).toBe('green');
  });

  it('applies EXIF orientation before cropping', async () => {
    const jpeg = await (await bands(200, 100, [RED, BLUE]))
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const rgb = await decodeCrop(jpeg, pre(10));
    // Orientation 6 turns the picture a quarter clockwise: the left (red) half becomes the top.
    expect(dominant(pixel(rgb, 10, 5, 0))).toBe('red');
    expect(dominant(pixel(rgb, 10, 5, 9))).toBe('blue');
  });

  it('composites transparency on white and turns greyscale into RGB', async () => {
    const transparent = await sharp({
      create: { width: 16, height: 16, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    expect(dominant(pixel(await decodeCrop(transparent, pre(8)), 8, 4, 4))).toBe('white');
    const grey = await sharp({ create: { width: 16, height: 12, channels: 3, background: { r: 90, g: 90, b: 90 } } })
      .greyscale()
      .jpeg()
      .toBuffer();
    const rgb = await decodeCrop(grey, pre(8));
    expect(rgb.length).toBe(8 * 8 * 3);
    expect(Math.abs(rgb[0] - 90)).toBeLessThan(4);
  });

  it('reads GIF and WebP', async () => {
    const base = await bands(40, 30, [GREEN]);
    for (const bytes of [await base.clone().gif().toBuffer(), await base.clone().webp().toBuffer()]) {
      expect(dominant(pixel(await decodeCrop(bytes, pre(8)), 8, 4, 4))).toBe('green');
    }
  });

  it('fails with IMAGE_UNREADABLE on garbage and on a truncated JPEG', async () => {
    const garbage = Buffer.from('definitely not a photo');
    await expect(decodeCrop(garbage, pre(8))).rejects.toMatchObject({ code: 'IMAGE_UNREADABLE' });
    const noise = Buffer.from(seededArray(64 * 64 * 3, 1, 0, 255).map(Math.floor));
    const jpeg = await sharp(noise, { raw: { width: 64, height: 64, channels: 3 } })
      .jpeg()
      .toBuffer();
    const err = await decodeCrop(jpeg.subarray(0, Math.floor(jpeg.length / 2)), pre(8)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect((err as ImageDecodeError).message).toMatch(/truncated|damaged/);
  });
});

describe('tensor layout and normalisation', () => {
  const size = 2;
  const rgb = Uint8Array.from([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110]);

  it('mirrors a crop left to right', () => {
    expect(Array.from(flipHorizontally(rgb, size))).toEqual([30, 40, 50, 0, 10, 20, 90, 100, 110, 60, 70, 80]);
  });

  it('writes NCHW planes with ImageNet mean/std', () => {
    const p: Preprocessing = {
      inputSize: size,
      resizeShortSide: size,
      layout: 'NCHW',
      normalisation: { kind: 'mean-std', scale: 1 / 255, mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.5] },
    };
    const out = new Float32Array(2 * 12);
    writeInputRow(rgb, p, out, 1);
    expect(out.subarray(0, 12).every((v) => v === 0)).toBe(true);
    expect(out[12 + 1]).toBeCloseTo((30 / 255 - 0.5) / 0.2, 5);
    expect(out[12 + 4 + 3]).toBeCloseTo((100 / 255 - 0.4) / 0.25, 5);
    expect(out[12 + 8 + 2]).toBeCloseTo((80 / 255 - 0.3) / 0.5, 5);
  });

  it('writes NHWC rows mapped onto a range', () => {
    const p: Preprocessing = {
      inputSize: size,
      resizeShortSide: size,
      layout: 'NHWC',
      normalisation: { kind: 'range', min: -1, max: 1 },
    };
    const out = new Float32Array(12);
    writeInputRow(rgb, p, out, 0);
    expect(out[0]).toBeCloseTo(-1, 6);
    expect(out[5]).toBeCloseTo((50 / 255) * 2 - 1, 6);
    expect(channelAffine({ kind: 'range', min: 0, max: 255 })).toEqual({ a: [1, 1, 1], b: [0, 0, 0] });
  });
});
