#!/usr/bin/env node
// `graft` from a source checkout builds what it runs on demand: the node side (esbuild, a few
// seconds) when dist/ is missing or older than the sources, and the app's screens (vite) the
// first time `graft serve` needs them. An installed package has no sources and skips this.
const path = require('node:path');
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const cli = path.join(root, 'dist', 'main', 'cli.cjs');
const buildScript = path.join(root, 'scripts', 'build-main.mjs');

/** Newest modification time (ms) of the files the node-side build reads. */
function newestSource() {
  let newest = Math.max(fs.statSync(buildScript).mtimeMs, fs.statSync(path.join(root, 'package.json')).mtimeMs);
  const pending = ['main', 'common', 'preload'].map((d) => path.join(root, d));
  while (pending.length > 0) {
    const dir = pending.pop();
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) pending.push(file);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
        newest = Math.max(newest, fs.statSync(file).mtimeMs);
    }
  }
  return newest;
}

function buildStep(line, args) {
  console.error(`graft: ${line}`);
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) {
    console.error('graft: the build failed (see above). Run `npm install`, then `npm run build`.');
    process.exit(1);
  }
}

if (fs.existsSync(buildScript)) {
  const built = fs.statSync(cli, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (built < newestSource())
    buildStep('building the command line first (node scripts/build-main.mjs)…', [buildScript]);
  const wantsServe = process.argv.slice(2).includes('serve');
  if (wantsServe && !fs.existsSync(path.join(root, 'dist', 'renderer', 'index.html'))) {
    buildStep('building the app’s screens once (vite build)…', [
      path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
    ]);
  }
} else if (!fs.existsSync(cli)) {
  console.error('graft: this copy of Graft has no dist/ and no sources to build it from. Reinstall it.');
  process.exit(1);
}

// `npm run graft -- predict photo.jpg` runs this script from the package's folder; INIT_CWD is the
// folder the person typed it in (npm sets it), so relative paths resolve where they expect.
if (process.env.npm_lifecycle_event === 'graft' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);

// run() prints any failure itself, once, with control characters escaped.
require(cli)
  .run(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
