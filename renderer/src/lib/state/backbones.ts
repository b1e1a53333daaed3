import type { BackboneInfo } from '../../../../common/training';
import type { ProjectScope } from '../context';
import { LiveQuery } from './live-query.svelte';

/** The backbones to train with, bundled and imported. No event changes them: an import reloads the list itself. */
export function backbonesQuery(scope: ProjectScope): LiveQuery<BackboneInfo[]> {
  return new LiveQuery({ ...scope, initial: [], fetch: () => scope.api.call('backbones:list', {}), staleOn: [] });
}
