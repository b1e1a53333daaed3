import os from 'node:os';
import path from 'node:path';

/**
 * Where Graft keeps its database, thumbnails and caches. GRAFT_DATA_DIR wins; otherwise the
 * platform's per-user application data folder (the same one Electron's userData uses).
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GRAFT_DATA_DIR) return path.resolve(env.GRAFT_DATA_DIR);
  const home = os.homedir();
  switch (process.platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'Graft');
    case 'win32':
      return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Graft');
    default:
      return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'graft');
  }
}

export interface DataPaths {
  root: string;
  database: string;
  thumbnails: string;
}

export function dataPaths(root: string): DataPaths {
  return {
    root,
    database: path.join(root, 'graft.sqlite'),
    thumbnails: path.join(root, 'thumbnails'),
  };
}
