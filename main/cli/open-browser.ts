import { spawn } from 'node:child_process';

/** Opens a URL in the default browser where the desktop has one; silently does nothing otherwise. */
export function openInBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(command, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // No desktop browser: the printed URL is enough.
  }
}
