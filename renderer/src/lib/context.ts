import { getContext, setContext } from 'svelte';
import type { GraftApi } from '../../../common/contract';
import type { Notices } from './state/notices.svelte';

/** What every view and component reaches through Svelte context. */
export interface AppContext {
  api: GraftApi;
  notices: Notices;
}

const KEY = Symbol('graft-app');

export function provideAppContext(context: AppContext): void {
  setContext(KEY, context);
}

/** The same context as a map, for mounting a component on its own (tests). */
export function appContextMap(context: AppContext): Map<symbol, AppContext> {
  return new Map([[KEY, context]]);
}

function appContext(): AppContext {
  const context = getContext<AppContext | undefined>(KEY);
  if (!context) throw new Error('Graft components must be mounted inside the App (or with appContextMap).');
  return context;
}

export const useApi = (): GraftApi => appContext().api;
export const useNotices = (): Notices => appContext().notices;
