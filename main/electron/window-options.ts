import type { BrowserWindowConstructorOptions } from 'electron';

/** The renderer's origin under Electron: our own scheme, never file://. */
export const APP_SCHEME = 'graft-app';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

/**
 * Window settings per the Electron security checklist (CONVENTIONS §5). Pure, so a unit test can
 * read them. `iconPath`: the app's PNG icon (resources/icon.png, copied to dist/ by the build),
 * shown in the title bar and task bar on Linux and Windows.
 */
export function windowOptions(preloadPath: string, iconPath: string): BrowserWindowConstructorOptions {
  return {
    icon: iconPath,
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'Graft',
    show: false,
    backgroundColor: '#f7f7f5',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  };
}

/** Only our own app origin may navigate or talk to main. */
export function isTrustedUrl(url: string): boolean {
  try {
    // Node's URL gives custom schemes an opaque origin ("null"), so compare scheme and host.
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === 'app';
  } catch {
    return false;
  }
}
