import { afterEach, beforeEach } from 'vitest';
import type { GraftApp } from './graft-app';
import { tempGraftApp } from './test-app';

/**
 * For a test file: a fresh tempGraftApp before each test, closed and deleted after it. The
 * returned object reads the current test's app and temporary folder.
 */
export function eachTestGraftApp(): { readonly app: GraftApp; readonly dir: string } {
  let env: ReturnType<typeof tempGraftApp> | undefined;
  beforeEach(() => {
    env = tempGraftApp();
  });
  afterEach(() => env?.cleanup());
  const current = () => {
    if (!env) throw new Error('eachTestGraftApp is read outside a test.');
    return env;
  };
  return {
    get app() {
      return current().app;
    },
    get dir() {
      return current().dir;
    },
  };
}
