import { getContext, setContext, untrack } from 'svelte';
import type { GraftApi, Id, ProjectSummary } from '../../../common/contract';
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

/** What a view of the open project works with. */
export interface ProjectScope extends AppContext {
  projectId: Id;
}

/**
 * For a view of the open project, given as `() => session.project`: App re-creates the view when
 * another project opens, so the id read now holds for the view's lifetime.
 */
export function useProjectScope(openProject: () => ProjectSummary | null): ProjectScope {
  return { ...appContext(), projectId: untrack(() => openProject()?.id ?? -1) };
}
