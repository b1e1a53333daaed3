import { GraftError } from '../../../../common/errors';

/** `error`: something failed; it stays until dismissed. `info`: news that fades by itself. */
export type NoticeLevel = 'error' | 'info';

export interface Notice {
  id: number;
  level: NoticeLevel;
  message: string;
  code: string | null;
}

/** How long an info notice stays, in milliseconds: long enough to read two lines. */
export const INFO_NOTICE_MS = 6000;
/** More errors than this fold the oldest away, so the bar never grows over the view. */
export const MAX_NOTICES = 3;

/** What the user should see about calls a view makes on their behalf: failures and news. */
export class Notices {
  items = $state.raw<Notice[]>([]);
  private nextId = 1;
  private readonly timers = new Map<number, ReturnType<typeof setTimeout>>();

  report(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const code = err instanceof GraftError ? err.code : null;
    this.add('error', message, code);
  }

  /** A short message that fades after INFO_NOTICE_MS. */
  info(message: string): void {
    const id = this.add('info', message, null);
    if (id !== null)
      this.timers.set(
        id,
        setTimeout(() => this.dismiss(id), INFO_NOTICE_MS),
      );
  }

  dismiss(id: number): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    this.items = this.items.filter((n) => n.id !== id);
  }

  /** Runs a user action; a failure becomes a notice and the result is undefined. */
  async guard<T>(action: () => Promise<T>): Promise<T | undefined> {
    try {
      return await action();
    } catch (err) {
      this.report(err);
      return undefined;
    }
  }

  private add(level: NoticeLevel, message: string, code: string | null): number | null {
    if (this.items.some((n) => n.message === message)) return null;
    const id = this.nextId++;
    this.items = [...this.items, { id, level, message, code }];
    for (const old of this.items.slice(0, Math.max(0, this.items.length - MAX_NOTICES))) this.dismiss(old.id);
    return id;
  }
}
