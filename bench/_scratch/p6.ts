import sharp from 'sharp';
async function main() {
  const grey = await sharp({ create: { width: 40, height: 30, channels: 3, background: {r:128,g:128,b:128} } }).greyscale().png().toBuffer();
  const g16 = await sharp({ create: { width: 40, height: 30, channels: 3, background: {r:10,g:200,b:30} } }).png().toColourspace('rgb16').toBuffer();
  const rgba = await sharp({ create: { width: 40, height: 30, channels: 4, background: {r:10,g:200,b:30, alpha: 0} } }).png().toBuffer();
  for (const b of [grey, g16, rgba]) {
    const img = sharp(b, { failOn: 'truncated' }).rotate();
    const m = await img.metadata();
    const r = await img.resize(20, 20, { fit: 'fill' }).extract({ left: 2, top: 2, width: 16, height: 16 }).flatten({ background: '#ffffff' }).toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    console.log(m.format, m.channels, m.depth, r.info, r.data.slice(0, 6));
  }
  try { await sharp(Buffer.from('garbage'), {failOn:'truncated'}).raw().toBuffer(); } catch (e) { console.log((e as Error).message); }
  const jpg = await sharp({ create: { width: 400, height: 300, channels: 3, background: {r:10,g:200,b:30} } }).jpeg().toBuffer();
  try { await sharp(jpg.subarray(0, 2000), {failOn:'truncated'}).raw().toBuffer(); } catch (e) { console.log((e as Error).message); }
}
main();
