import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GraftApp } from './graft-app';

/** A GraftApp over a fresh data directory in the system temp folder, for tests. */
export function tempGraftApp(): { app: GraftApp; dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-test-'));
  const app = new GraftApp({ dataDir: path.join(dir, 'data'), pickerStartDir: dir });
  return {
    app,
    dir,
    cleanup: () => {
      app.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
