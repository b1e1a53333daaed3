// The dataset health and dataset export calls of the fake Graft. The fake holds no photo
// content, so it finds nothing itself: tests seed the findings, and keep/exclude remove them as
// the real service's next report would.

import type { Events, Id } from '../../../../common/contract';
import { GraftError } from '../../../../common/errors';
import type { HealthFinding } from '../../../../common/health';
import type { FakeHandlers } from './fake-training';

type HealthCall =
  | 'health:report'
  | 'health:check'
  | 'health:cancel'
  | 'health:keep'
  | 'health:exclude'
  | 'dataset:export';

export interface FakeHealthDeps {
  /** Seeded findings by project name. */
  findings: Record<string, HealthFinding[]>;
  projectName: (projectId: Id) => string;
  labelledCount: (projectId: Id) => number;
  dispatch: <E extends keyof Events>(event: E, payload: Events[E]) => void;
  newId: () => Id;
}

export function createFakeHealth(deps: FakeHealthDeps): FakeHandlers<HealthCall> {
  const kept = new Set<string>();
  const excluded = new Set<Id>();
  /** Projects whose photos a check has hashed and embedded: before that, none is checked. */
  const checked = new Set<Id>();
  const listed = (projectId: Id) =>
    (deps.findings[deps.projectName(projectId)] ?? []).filter(
      (f) => !kept.has(f.key) && !f.photos.some((p) => excluded.has(p.imageId)),
    );
  return {
    'health:report': ({ projectId, backboneId }) => ({
      projectId,
      backboneId: backboneId ?? 'mobilenet-v3-small',
      photos: deps.labelledCount(projectId),
      missing: checked.has(projectId) ? 0 : deps.labelledCount(projectId),
      excluded: excluded.size,
      kept: kept.size,
      findings: listed(projectId),
      seconds: 0,
    }),
    'health:check': ({ projectId }) => {
      const jobId = deps.newId();
      queueMicrotask(() => {
        checked.add(projectId);
        deps.dispatch('health:finished', { jobId, projectId, status: 'finished', error: null });
      });
      return { jobId };
    },
    'health:cancel': () => ({ cancelling: false }),
    'health:keep': ({ findingKey }) => {
      kept.add(findingKey);
      return { kept: true };
    },
    'health:exclude': ({ imageIds, excluded: out }) => {
      let changed = 0;
      for (const id of imageIds) {
        if (out !== excluded.has(id)) changed++;
        if (out) excluded.add(id);
        else excluded.delete(id);
      }
      return { changed };
    },
    'dataset:export': () => {
      throw new GraftError('BAD_REQUEST', 'The fake Graft has no photo files to export.');
    },
  };
}
