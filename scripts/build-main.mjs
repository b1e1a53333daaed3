// Bundles the node side (Electron main, preload, CLI) with esbuild; npm packages stay external.
import { copyFileSync } from 'node:fs';
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
};

await Promise.all([
  build({ ...common, entryPoints: ['main/index.ts'], outfile: 'dist/main/electron-main.cjs', packages: 'external' }),
  build({ ...common, entryPoints: ['main/cli/index.ts'], outfile: 'dist/main/cli.cjs', packages: 'external' }),
  ...['head-trainer-worker', 'inference-worker', 'heic-worker', 'fine-tune-worker'].map((name) =>
    build({
      ...common,
      entryPoints: [`main/workers/${name}.ts`],
      outfile: `dist/main/workers/${name}.cjs`,
      packages: 'external',
    }),
  ),
  // The sandboxed preload may require only 'electron': everything else is bundled in.
  build({ ...common, entryPoints: ['preload/index.ts'], outfile: 'dist/preload/index.cjs', external: ['electron'] }),
]);

// The window's icon, beside the bundles (electron-builder packs dist/ only; installers take theirs from resources/).
copyFileSync('resources/icon.png', 'dist/icon.png');
