import type { Session, WebContents } from 'electron';
import { isTrustedUrl } from './window-options';

/**
 * Every web contents stays on our own app origin: no new windows (the renderer has no external
 * links, so nothing is handed to shell.openExternal either), no navigation, redirect or frame
 * navigation elsewhere, no <webview>.
 */
export function guardWebContents(contents: Pick<WebContents, 'setWindowOpenHandler' | 'on'>): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  const stayHome = (event: { preventDefault(): void; url: string }) => {
    if (!isTrustedUrl(event.url)) event.preventDefault();
  };
  contents.on('will-navigate', stayHome);
  contents.on('will-redirect', stayHome);
  contents.on('will-frame-navigate', stayHome);
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/**
 * Graft needs no browser permission (camera, notifications, clipboard reads, USB, …): every
 * request is refused, and every check answers "not granted", for all contents of the session.
 */
export function denyPermissions(
  session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler'>,
): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
}
