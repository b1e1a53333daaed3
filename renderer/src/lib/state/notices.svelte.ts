import { GraftError } from '../../../../common/errors';

export interface Notice {
  id: number;
  message: string;
  code: string | null;
}

/** Errors the user should see, from any call a view makes on their behalf. */
export class Notices {
  items = $state<Notice[]>([]);
  private nextId = 1;

  report(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const code = err instanceof GraftError ? err.code : null;
    if (this.items.some((n) => n.message === message)) return;
    this.items = [...this.items, { id: this.nextId++, message, code }];
  }

  dismiss(id: number): void {
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
}
