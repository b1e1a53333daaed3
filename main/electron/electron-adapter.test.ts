import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CALL_NAMES } from '../../common/contract';
import { IPC_CALL_CHANNEL } from '../../common/transport';
import { createHandlers } from '../services/handlers';
import { tempGraftApp } from '../services/test-app';
import { windowOptions } from './window-options';

// Electron's binary cannot run here, so its main-process API is replaced by a recorder:
// the adapter code under test is the real one.
const registered = new Map<string, (...args: unknown[]) => Promise<unknown>>();
vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, fn: (...args: unknown[]) => Promise<unknown>) => registered.set(channel, fn),
    removeHandler: (channel: string) => registered.delete(channel),
  },
}));

const { registerIpc } = await import('./ipc-adapter');

let env: ReturnType<typeof tempGraftApp>;
beforeEach(() => {
  env = tempGraftApp();
});
afterEach(() => env.cleanup());

const fromApp = { senderFrame: { url: 'graft-app://app/index.html', parent: null } };

describe('Electron IPC adapter', () => {
  it('exposes every contract call through the one handle() wrapper', async () => {
    const dispose = registerIpc(createHandlers(env.app, { transport: 'electron' }), env.app.ctx.events, () => null);
    const invoke = registered.get(IPC_CALL_CHANNEL)!;
    for (const name of CALL_NAMES) {
      const envelope = (await invoke(fromApp, name, {})) as { ok: boolean; error?: { code: string } };
      expect(['UNKNOWN_CALL', 'UNAUTHORISED'], name).not.toContain(envelope.error?.code);
    }
    expect(await invoke(fromApp, 'projects:create', { name: 'Via IPC' })).toMatchObject({
      ok: true,
      value: { name: 'Via IPC' },
    });
    expect(await invoke(fromApp, 'shell:exec', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CALL' } });
    dispose();
    expect(registered.has(IPC_CALL_CHANNEL)).toBe(false);
  });

  it('refuses senders that are not our page’s main frame', async () => {
    registerIpc(createHandlers(env.app, { transport: 'electron' }), env.app.ctx.events, () => null);
    const invoke = registered.get(IPC_CALL_CHANNEL)!;
    const foreign = { senderFrame: { url: 'https://example.com/', parent: null } };
    const subframe = { senderFrame: { url: 'graft-app://app/index.html', parent: {} } };
    const fileUrl = { senderFrame: { url: 'file:///etc/passwd', parent: null } };
    for (const event of [foreign, subframe, fileUrl, { senderFrame: null }]) {
      expect(await invoke(event, 'projects:list', {})).toMatchObject({ ok: false, error: { code: 'UNAUTHORISED' } });
    }
  });
});

describe('window options', () => {
  it('follow the Electron security checklist', () => {
    const prefs = windowOptions('/app/preload.cjs').webPreferences!;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      preload: '/app/preload.cjs',
    });
  });
});
