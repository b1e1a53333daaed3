import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { throttle } from './throttle';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('throttle', () => {
  it('runs at once, then at most once per interval while calls keep coming, then once after the last', () => {
    const fn = vi.fn();
    const run = throttle(fn, 100);
    run();
    expect(fn).toHaveBeenCalledTimes(1);
    // A steady stream for 450 ms (a debounce would not fire at all until it stops).
    for (let t = 0; t < 450; t += 10) {
      run();
      vi.advanceTimersByTime(10);
    }
    expect(fn.mock.calls.length).toBeGreaterThanOrEqual(4);
    expect(fn.mock.calls.length).toBeLessThanOrEqual(6);
    const before = fn.mock.calls.length;
    vi.advanceTimersByTime(1000);
    expect(fn).toHaveBeenCalledTimes(before + 1);
    vi.advanceTimersByTime(1000);
    expect(fn).toHaveBeenCalledTimes(before + 1);
  });

  it('does nothing more once cancelled', () => {
    const fn = vi.fn();
    const run = throttle(fn, 100);
    run();
    run();
    run.cancel();
    vi.advanceTimersByTime(1000);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
