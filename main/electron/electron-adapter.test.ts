import fs from 'node:fs';
import path from 'node:path';
import type { Session, WebContents } from 'electron';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sampleArgs } from '../../common/call-samples';
import { CALL_NAMES } from '../../common/contract';
import { IPC_CALL_CHANNEL } from '../../common/transport';
import { createHandlers } from '../services/handlers';
import { tempGraftApp } from '../services/test-app';
import { denyPermissions, guardWebContents } from './web-contents-guards';
import { windowOptions } from './window-options';

// Electron's binary cannot run here, so its main-process API is replaced by a recorder:
// the adapter code under test is the real one.
const registered = new Map<string, (...args: unknown[]) => Promise<unknown>>();
const schemes = new Map<string, (request: Request) => Promise<Response>>();
const openExternal = vi.fn();
vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, fn: (...args: unknown[]) => Promise<unknown>) => registered.set(channel, fn),
    removeHandler: (channel: string) => registered.delete(channel),
  },
  protocol: {
    handle: (scheme: string, fn: (request: Request) => Promise<Response>) => schemes.set(scheme, fn),
    registerSchemesAsPrivileged: () => {},
  },
  net: { fetch: (url: string) => fetch(url) },
  shell: { openExternal },
}));

const { registerIpc } = await import('./ipc-adapter');
const { handleProtocols } = await import('./protocols');

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

  it('refuses wrong-typed arguments of every call with BAD_REQUEST before any service runs', async () => {
    registerIpc(createHandlers(env.app, { transport: 'electron' }), env.app.ctx.events, () => null);
    const invoke = registered.get(IPC_CALL_CHANNEL)!;
    for (const name of CALL_NAMES) {
      const bodies: unknown[] = [null, [], 'text', 7];
      for (const key of Object.keys(sampleArgs(name))) {
        for (const bad of [{ nested: true }, [null], 'a\0b', -1]) bodies.push({ ...sampleArgs(name), [key]: bad });
      }
      for (const body of bodies) {
        const envelope = (await invoke(fromApp, name, body)) as { ok: boolean; error?: { code: string } };
        if (envelope.ok || envelope.error?.code !== 'BAD_REQUEST') {
          // A value of the field's own type (e.g. -1 for a seed) may pass the schema; it must still not be a crash.
          expect(envelope.error?.code, `${name} ${JSON.stringify(body)}`).not.toBe('INTERNAL');
        }
      }
      expect(await invoke(fromApp, name, null), name).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    }
    expect(await invoke(fromApp, 'projects:create', { name: { toString: 'x' } })).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST' },
    });
    expect(env.app.projects.list()).toEqual([]);
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
    const prefs = windowOptions('/app/preload.cjs', '/app/icon.png').webPreferences!;
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

  it('show the app icon the build copies beside the bundle', () => {
    expect(windowOptions('/app/preload.cjs', '/app/icon.png').icon).toBe('/app/icon.png');
  });
});

/** A WebContents stand-in that records what the guards register. */
function recordedContents() {
  const listeners = new Map<string, (...args: unknown[]) => void>();
  let openHandler: ((details: { url: string }) => { action: string }) | null = null;
  const contents = {
    setWindowOpenHandler: (handler: typeof openHandler) => {
      openHandler = handler;
    },
    on: (event: string, listener: (...args: unknown[]) => void) => listeners.set(event, listener),
  };
  guardWebContents(contents as unknown as WebContents);
  const navigate = (event: string, url: string) => {
    const preventDefault = vi.fn();
    listeners.get(event)!({ url, preventDefault }, url);
    return preventDefault.mock.calls.length > 0 ? 'blocked' : 'allowed';
  };
  return { listeners, open: (url: string) => openHandler!({ url }).action, navigate };
}

describe('web contents guards', () => {
  it('deny every new window and never hand a URL to shell.openExternal', () => {
    const contents = recordedContents();
    for (const url of ['https://example.com/', 'http://127.0.0.1:1/', 'file:///etc/passwd', 'graft-app://app/x']) {
      expect(contents.open(url)).toBe('deny');
    }
    expect(openExternal).not.toHaveBeenCalled();
  });

  it('block navigation, redirects and frame navigation away from the app, and webviews', () => {
    const contents = recordedContents();
    for (const event of ['will-navigate', 'will-redirect', 'will-frame-navigate']) {
      expect(contents.navigate(event, 'https://evil.example/'), event).toBe('blocked');
      expect(contents.navigate(event, 'file:///etc/passwd'), event).toBe('blocked');
      expect(contents.navigate(event, 'graft-app://app/index.html#/library'), event).toBe('allowed');
    }
    const preventDefault = vi.fn();
    contents.listeners.get('will-attach-webview')!({ preventDefault });
    expect(preventDefault).toHaveBeenCalled();
  });

  it('refuse every permission request and check', () => {
    const handlers: Record<string, (...args: unknown[]) => unknown> = {};
    const session = {
      setPermissionRequestHandler: (h: (...args: unknown[]) => unknown) => {
        handlers.request = h;
      },
      setPermissionCheckHandler: (h: (...args: unknown[]) => unknown) => {
        handlers.check = h;
      },
      setDevicePermissionHandler: (h: (...args: unknown[]) => unknown) => {
        handlers.device = h;
      },
    };
    denyPermissions(session as unknown as Session);
    for (const permission of ['media', 'notifications', 'clipboard-read', 'geolocation', 'openExternal', 'hid']) {
      const callback = vi.fn();
      handlers.request({}, permission, callback, {});
      expect(callback).toHaveBeenCalledWith(false);
      expect(handlers.check({}, permission, 'graft-app://app', {})).toBe(false);
    }
    expect(handlers.device({ deviceType: 'usb' })).toBe(false);
  });
});

describe('graft-app:// protocol', () => {
  it('serves pages with a CSP that forbids <base> and form posts, and answers a malformed address with 400', async () => {
    const rendererDir = path.join(env.dir, 'renderer');
    fs.mkdirSync(rendererDir);
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Graft</title>');
    handleProtocols(env.app, rendererDir);
    const page = await schemes.get('graft-app')!(new Request('graft-app://app/index.html'));
    const csp = page.headers.get('content-security-policy')!;
    for (const rule of [
      "default-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "object-src 'none'",
      'graft-media:',
    ]) {
      expect(csp).toContain(rule);
    }
    expect((await schemes.get('graft-app')!(new Request('graft-app://app/%'))).status).toBe(400);
  });
});

describe('packaged app fuses', () => {
  it('turn off runAsNode, NODE_OPTIONS, inspect arguments and file:// extra privileges', () => {
    const config = fs.readFileSync(path.join(__dirname, '..', '..', 'electron-builder.yml'), 'utf8');
    const fuses = /^electronFuses:\n((?: {2}.+\n)+)/m.exec(config)?.[1] ?? '';
    for (const fuse of [
      'runAsNode',
      'enableNodeOptionsEnvironmentVariable',
      'enableNodeCliInspectArguments',
      'grantFileProtocolExtraPrivileges',
    ]) {
      expect(fuses, fuse).toMatch(new RegExp(`^  ${fuse}: false$`, 'm'));
    }
  });
});
