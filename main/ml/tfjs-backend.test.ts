import { describe, expect, it, vi } from 'vitest';
import { initTfjs } from './tfjs-backend';

describe('initTfjs', () => {
  it('chooses a backend once, silently, without leaving process-wide error handlers', async () => {
    const warn = vi.spyOn(console, 'warn');
    const log = vi.spyOn(console, 'log');
    const handlers = () => [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')];
    const before = handlers();

    const first = await initTfjs();
    // tfjs-node is optional; without it the WebAssembly backend must load from node_modules.
    expect(['tensorflow', 'wasm']).toContain(first.backend);
    expect(first.tf.getBackend()).toBe(first.backend);
    expect(await initTfjs()).toBe(first);

    const sum = first.tf.tidy(() => first.tf.tensor1d([1, 2, 3]).sum().dataSync()[0]);
    expect(sum).toBe(6);
    expect(handlers()).toEqual(before);
    expect(warn).not.toHaveBeenCalled();
    expect(log).not.toHaveBeenCalled();
  });
});
