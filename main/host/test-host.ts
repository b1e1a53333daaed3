import fs from 'node:fs';
import path from 'node:path';
import { tempGraftApp } from '../services/test-app';
import { type RunningHost, startHost } from './host-server';

/**
 * For tests: the real host over a fresh temp data directory, serving a one-page renderer from
 * `<dir>/renderer`. `close()` stops the host and removes the directory.
 */
export async function startTestHost(): Promise<{
  host: RunningHost;
  env: ReturnType<typeof tempGraftApp>;
  close(): Promise<void>;
}> {
  const env = tempGraftApp();
  const rendererDir = path.join(env.dir, 'renderer');
  fs.mkdirSync(rendererDir);
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Graft</title>');
  const host = await startHost({ app: env.app, rendererDir });
  return {
    host,
    env,
    close: async () => {
      await host.close();
      env.cleanup();
    },
  };
}
