#!/usr/bin/env node
const path = require('node:path');
const fs = require('node:fs');

const cli = path.join(__dirname, '..', 'dist', 'main', 'cli.cjs');
if (!fs.existsSync(cli)) {
  console.error('graft: the app is not built yet. Run `npm run build` first.');
  process.exit(1);
}
// run() prints any failure itself, once, with control characters escaped.
require(cli)
  .run(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
