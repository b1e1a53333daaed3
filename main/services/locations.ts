import { randomUUID } from 'node:crypto';
import { GraftError } from '../../common/errors';

/**
 * Folders the user chose for reading or writing, by token. The renderer holds tokens; only
 * main knows the paths, so no call ever takes a file-system path from the renderer.
 */
export class LocationRegistry {
  private readonly paths = new Map<string, string>();

  register(dir: string): string {
    const token = randomUUID();
    this.paths.set(token, dir);
    return token;
  }

  resolve(token: unknown): string {
    const dir = typeof token === 'string' ? this.paths.get(token) : undefined;
    if (!dir) throw new GraftError('PICKER_EXPIRED', 'Choose the folder again: this choice has expired.');
    return dir;
  }
}
