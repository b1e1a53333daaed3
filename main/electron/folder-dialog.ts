import { type BrowserWindow, dialog } from 'electron';
import type { PickResult } from '../../common/contract';
import type { GraftApp } from '../services/graft-app';

/** Electron's native folder dialog: the chosen path stays in main; the renderer gets the folder record. */
export function nativeFolderChooser(app: GraftApp, window: () => BrowserWindow | null) {
  return async (projectId: number, labelsFromSubfolders: boolean): Promise<PickResult> => {
    const parent = window();
    const options = { title: 'Choose a folder of photos', properties: ['openDirectory' as const] };
    const result = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
    if (result.canceled || result.filePaths.length === 0) return { status: 'cancelled' };
    return { status: 'chosen', folder: app.folders.add(projectId, result.filePaths[0], labelsFromSubfolders) };
  };
}
