// npm run icons: renders resources/icon.svg (the one source drawing) into every icon file the
// window and the installers use. sharp rasterises the drawing at each size; png2icons packs
// macOS's .icns and Windows' .ico from the 1024 px rendering. Commit what it writes.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import png2icons from 'png2icons';
import sharp from 'sharp';

const resources = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'resources');
/** Linux's hicolor sizes; electron-builder takes resources/icons/<n>x<n>.png for the AppImage and deb. */
const SIZES = [16, 32, 48, 64, 128, 256, 512, 1024];

const svg = await fs.readFile(path.join(resources, 'icon.svg'));
const render = (size) =>
  sharp(svg, { density: Math.ceil((72 * size) / 1024) * 2 })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toBuffer();

await fs.mkdir(path.join(resources, 'icons'), { recursive: true });
for (const size of SIZES) {
  await fs.writeFile(path.join(resources, 'icons', `${size}x${size}.png`), await render(size));
}
const large = await render(1024);
// The window's icon (Linux and Windows show it in the title bar and task bar).
await fs.writeFile(path.join(resources, 'icon.png'), await render(512));
const icns = png2icons.createICNS(large, png2icons.BICUBIC, 0);
const ico = png2icons.createICO(large, png2icons.BICUBIC, 0, false, true);
if (!icns || !ico) throw new Error('png2icons could not encode the icon');
await fs.writeFile(path.join(resources, 'icon.icns'), icns);
await fs.writeFile(path.join(resources, 'icon.ico'), ico);
console.log(`Wrote resources/icon.png, icon.icns, icon.ico and icons/{${SIZES.join(',')}}.png from icon.svg`);
