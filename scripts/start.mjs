// `npm start`: build, then open the Electron window when Electron's binary is present;
// otherwise try Electron's own installer once, and fall back to the headless host.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));

function run(command, args, options = {}) {
  return spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options }).status ?? 1;
}

function electronBinary() {
  try {
    delete require.cache[require.resolve('electron')];
    return require('electron');
  } catch {
    return null;
  }
}

if (run('npm', ['run', '--silent', 'build']) !== 0) process.exit(1);

let electron = electronBinary();
if (!electron) {
  console.log('Electron binary not found; trying its installer once (needs the internet)…');
  const status = run(process.execPath, [require.resolve('electron/install.js')], { timeout: 120_000, stdio: 'pipe' });
  electron = electronBinary();
  if (!electron) console.log(`Electron's installer could not fetch the binary (exit ${status}; no internet?).`);
}

const hasDisplay = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
if (electron && hasDisplay) {
  const child = spawn(electron, ['.'], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log(
    electron
      ? 'No display found: starting the headless host instead.'
      : 'Electron is not available here: starting the headless host.',
  );
  const child = spawn(
    process.execPath,
    [path.join(root, 'bin', 'graft.cjs'), 'serve', '--open', ...process.argv.slice(2)],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  const stop = () => child.kill('SIGTERM');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  child.on('exit', (code) => process.exit(code ?? 0));
}
