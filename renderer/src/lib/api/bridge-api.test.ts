import { describe, expect, it, vi } from 'vitest';
import type { EventName, Events } from '../../../../common/contract';
import type { GraftBridge } from '../../../../common/transport';
import { createBridgeApi } from './bridge-api';

describe('Electron bridge transport', () => {
  it('unwraps envelopes, rebuilds errors, subscribes once and serves media by id', async () => {
    let push: (<E extends EventName>(event: E, payload: Events[E]) => void) | undefined;
    const bridge: GraftBridge = {
      call: vi.fn(async (name) =>
        name === 'projects:list'
          ? { ok: true as const, value: [] }
          : { ok: false as const, error: { code: 'PROJECT_NOT_FOUND' as const, message: 'Project 9 does not exist.' } },
      ),
      subscribe: vi.fn((listener) => {
        push = listener;
        return () => {};
      }),
    };
    const api = createBridgeApi(bridge);

    await expect(api.call('projects:list', {})).resolves.toEqual([]);
    await expect(api.call('projects:open', { projectId: 9 })).rejects.toMatchObject({ code: 'PROJECT_NOT_FOUND' });

    const seen: number[] = [];
    api.on('labels:changed', (p) => seen.push(p.projectId));
    api.on('classes:changed', (p) => seen.push(-p.projectId));
    push?.('labels:changed', { projectId: 1 });
    push?.('classes:changed', { projectId: 2 });
    expect(seen).toEqual([1, -2]);
    expect(bridge.subscribe).toHaveBeenCalledTimes(1);

    expect(api.mediaUrl(5, 'thumb')).toBe('graft-media://image/5/thumb');
  });
});
