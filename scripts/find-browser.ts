// Which browser the end-to-end specs drive, found on whatever machine runs `npm test`.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from '@playwright/test';

/** Playwright launch options for the browser found, and where it came from (for the log). */
export interface BrowserChoice {
  executablePath?: string;
  channel?: 'chrome';
  source: string;
}

/** The one line `npm test` prints when no browser can be had. */
export const BROWSER_HINT =
  'No Chromium or Chrome found for the end-to-end specs; run `npx playwright install chromium` (or set GRAFT_CHROMIUM to a browser) to include them.';

const ON_PATH = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'];

/** Where Chromium is usually installed, per platform (Chrome's own places are the `chrome` channel's). */
function chromiumPlaces(env: NodeJS.ProcessEnv): string[] {
  switch (process.platform) {
    case 'darwin':
      return ['/Applications/Chromium.app/Contents/MacOS/Chromium'];
    case 'win32':
      return [env.LOCALAPPDATA, env.PROGRAMFILES, env['PROGRAMFILES(X86)']]
        .filter((dir): dir is string => !!dir)
        .map((dir) => path.join(dir, 'Chromium', 'Application', 'chrome.exe'));
    default:
      return ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/snap/bin/chromium'];
  }
}

/** Where Google Chrome installs itself: the places Playwright's `chrome` channel launches from. */
function chromePlaces(env: NodeJS.ProcessEnv): string[] {
  switch (process.platform) {
    case 'darwin':
      return ['/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'];
    case 'win32':
      return [env.LOCALAPPDATA, env.PROGRAMFILES, env['PROGRAMFILES(X86)']]
        .filter((dir): dir is string => !!dir)
        .map((dir) => path.join(dir, 'Google', 'Chrome', 'Application', 'chrome.exe'));
    default:
      return ['/opt/google/chrome/chrome'];
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const extensions = process.platform === 'win32' ? ['.exe', '.cmd', ''] : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const ext of extensions) {
      const file = path.join(dir, name + ext);
      if (isExecutable(file)) return file;
    }
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The first browser of: $GRAFT_CHROMIUM; a Chromium or Chrome on PATH; Chromium in its usual
 * install places; the browsers `npx playwright install chromium` downloaded; Google Chrome
 * (Playwright's `chrome` channel). Null when there is none (print BROWSER_HINT).
 */
export function findBrowser(env: NodeJS.ProcessEnv = process.env): BrowserChoice | null {
  if (env.GRAFT_CHROMIUM) return { executablePath: env.GRAFT_CHROMIUM, source: 'GRAFT_CHROMIUM' };
  for (const name of ON_PATH) {
    const file = onPath(name, env);
    if (file) return { executablePath: file, source: `${name} on PATH` };
  }
  const installed = chromiumPlaces(env).find(isExecutable);
  if (installed) return { executablePath: installed, source: installed };
  if (isExecutable(chromium.executablePath())) return { source: "Playwright's Chromium" };
  const chrome = chromePlaces(env).find(isExecutable);
  if (chrome) return { channel: 'chrome', source: `Google Chrome (${chrome})` };
  return null;
}
