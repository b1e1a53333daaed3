import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GraftError } from '../../../../common/errors';
import { INFO_NOTICE_MS, MAX_NOTICES, Notices } from './notices.svelte';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('Notices', () => {
  it('lets an info notice fade after a few seconds and keeps an error until dismissed', () => {
    const notices = new Notices();
    notices.info('Split generated.');
    notices.report(new GraftError('NAME_TAKEN', 'A class named “cat” already exists.'));
    expect(notices.items.map((n) => n.level)).toEqual(['info', 'error']);

    vi.advanceTimersByTime(INFO_NOTICE_MS - 1);
    expect(notices.items).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(notices.items.map((n) => n.code)).toEqual(['NAME_TAKEN']);

    vi.advanceTimersByTime(10 * 60_000);
    expect(notices.items).toHaveLength(1);
    notices.dismiss(notices.items[0].id);
    expect(notices.items).toHaveLength(0);
  });

  it('never piles up more than a few notices: the oldest fold away', () => {
    const notices = new Notices();
    for (let i = 0; i < MAX_NOTICES + 2; i++) notices.report(new Error(`failure ${i}`));
    expect(notices.items.map((n) => n.message)).toEqual(
      Array.from({ length: MAX_NOTICES }, (_, i) => `failure ${i + 2}`),
    );
  });
});
