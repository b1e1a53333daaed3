import path from 'node:path';
import { BrowserWindow, app as electronApp, session } from 'electron';
import { defaultDataDir } from './data-dir';
import { nativeFolderChooser } from './electron/folder-dialog';
import { registerIpc } from './electron/ipc-adapter';
import { handleProtocols, registerSchemes } from './electron/protocols';
import { denyPermissions, guardWebContents } from './electron/web-contents-guards';
import { APP_ORIGIN, windowOptions } from './electron/window-options';
import { GraftApp } from './services/graft-app';
import { createHandlers } from './services/handlers';

// Electron entry: lifecycle and wiring only.
registerSchemes();
let mainWindow: BrowserWindow | null = null;

electronApp.on('web-contents-created', (_event, contents) => guardWebContents(contents));

electronApp.whenReady().then(() => {
  denyPermissions(session.defaultSession);
  const dataDir = process.env.GRAFT_DATA_DIR ? defaultDataDir() : electronApp.getPath('userData');
  const graft = new GraftApp({ dataDir });
  const root = path.join(__dirname, '..');
  handleProtocols(graft, path.join(root, 'renderer'));
  const handlers = createHandlers(graft, {
    transport: 'electron',
    chooseFolder: nativeFolderChooser(graft, () => mainWindow),
  });
  registerIpc(handlers, graft.ctx.events, () => mainWindow?.webContents ?? null);

  mainWindow = new BrowserWindow(windowOptions(path.join(root, 'preload', 'index.cjs'), path.join(root, 'icon.png')));
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
  void mainWindow.loadURL(`${APP_ORIGIN}/index.html`);

  electronApp.on('window-all-closed', () => {
    graft.close();
    electronApp.quit();
  });
});
