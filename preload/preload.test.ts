import { describe, expect, it, vi } from 'vitest';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../common/transport';

const exposed = new Map<string, unknown>();
const invoked: unknown[][] = [];
const listeners = new Map<string, (...args: unknown[]) => void>();
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
  ipcRenderer: {
    invoke: (...args: unknown[]) => {
      invoked.push(args);
      return Promise.resolve({ ok: true, value: null });
    },
    on: (channel: string, fn: (...args: unknown[]) => void) => listeners.set(channel, fn),
    removeListener: (channel: string) => listeners.delete(channel),
  },
}));

await import('./index');

describe('preload bridge', () => {
  it('exposes exactly call and subscribe, as functions, and never ipcRenderer', () => {
    expect([...exposed.keys()]).toEqual(['graftBridge']);
    const bridge = exposed.get('graftBridge') as Record<string, unknown>;
    expect(Object.keys(bridge).sort()).toEqual(['call', 'subscribe']);
    for (const value of Object.values(bridge)) expect(typeof value).toBe('function');
  });

  it('sends calls on the one channel and strips the IPC event from pushed events', async () => {
    const bridge = exposed.get('graftBridge') as import('../common/transport').GraftBridge;
    await bridge.call('projects:list', {});
    expect(invoked).toEqual([[IPC_CALL_CHANNEL, 'projects:list', {}]]);
    const seen: unknown[] = [];
    const off = bridge.subscribe((event, payload) => seen.push([event, payload]));
    listeners.get(IPC_EVENT_CHANNEL)!({ sender: 'ipc-event' }, 'projects:changed', {});
    expect(seen).toEqual([['projects:changed', {}]]);
    off();
    expect(listeners.has(IPC_EVENT_CHANNEL)).toBe(false);
  });
});
