// sharp's prebuilt libvips has no BMP loader, so uncompressed BMPs (the kind cameras,
// scanners and Windows Paint write) are decoded here into raw RGB for sharp.

export interface RawRgb {
  data: Buffer;
  width: number;
  height: number;
  channels: 3;
}

export class BmpError extends Error {}

const MAX_SIDE = 30000;

export function isBmp(buf: Buffer): boolean {
  return buf.length >= 26 && buf[0] === 0x42 && buf[1] === 0x4d;
}

export function readBmpSize(buf: Buffer): { width: number; height: number } {
  if (!isBmp(buf)) throw new BmpError('not a BMP file');
  return { width: Math.abs(buf.readInt32LE(18)), height: Math.abs(buf.readInt32LE(22)) };
}

export function decodeBmp(buf: Buffer): RawRgb {
  if (buf.length < 54 || !isBmp(buf)) throw new BmpError('not a BMP file');
  const pixelOffset = buf.readUInt32LE(10);
  const dibSize = buf.readUInt32LE(14);
  const width = buf.readInt32LE(18);
  const rawHeight = buf.readInt32LE(22);
  const bpp = buf.readUInt16LE(28);
  const compression = buf.readUInt32LE(30);
  const height = Math.abs(rawHeight);
  const topDown = rawHeight < 0;
  if (width <= 0 || height === 0 || width > MAX_SIDE || height > MAX_SIDE) {
    throw new BmpError(`BMP has unusable dimensions ${width}×${height}`);
  }
  if (compression !== 0 || ![1, 4, 8, 24, 32].includes(bpp)) {
    throw new BmpError(`compressed or ${bpp}-bit BMP files are not supported`);
  }
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  if (pixelOffset + stride * height > buf.length) throw new BmpError('BMP file is truncated');

  let palette: Buffer | null = null;
  if (bpp <= 8) {
    const declared = buf.readUInt32LE(46);
    const entries = declared || 1 << bpp;
    palette = buf.subarray(14 + dibSize, 14 + dibSize + entries * 4);
  }

  const out = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = pixelOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      if (palette) {
        const bitPos = x * bpp;
        const byte = buf[row + (bitPos >> 3)];
        const index = (byte >> (8 - bpp - (bitPos & 7))) & ((1 << bpp) - 1);
        const p = index * 4;
        out[o] = palette[p + 2] ?? 0;
        out[o + 1] = palette[p + 1] ?? 0;
        out[o + 2] = palette[p] ?? 0;
      } else {
        const p = row + x * (bpp / 8);
        out[o] = buf[p + 2];
        out[o + 1] = buf[p + 1];
        out[o + 2] = buf[p];
      }
    }
  }
  return { data: out, width, height, channels: 3 };
}
