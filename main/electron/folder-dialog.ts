import { type BrowserWindow, dialog } from 'electron';
import type { PickResult } from '../../common/contract';
import type { PickPurpose } from '../services/folder-picker';
import type { GraftApp } from '../services/graft-app';

/** Electron's native folder dialog: the chosen path stays in main; the renderer gets the folder record. */
export function nativeFolderChooser(app: GraftApp, window: () => BrowserWindow | null) {
  return async (purpose: PickPurpose): Promise<PickResult> => {
    const parent = window();
    const options = {
      title: purpose.kind === 'source' ? 'Choose a folder of photos' : 'Choose a folder',
      properties: ['openDirectory' as const, 'createDirectory' as const],
    };
    const result = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
    if (result.canceled || result.filePaths.length === 0) return { status: 'cancelled' };
    return app.chosenFolder({ dir: result.filePaths[0], purpose });
  };
}
