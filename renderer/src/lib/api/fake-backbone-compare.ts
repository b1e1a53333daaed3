// The "Compare backbones" calls of the fake Graft. The fake has no embeddings, so each backbone's
// accuracy is a fixed function of its feature size (the larger, the better) and the comparison
// finishes on the next tick; the refusals are the real service's.

import type { BackboneComparison, BackboneComparisonRow } from '../../../../common/backbone-compare';
import type { Events, Id } from '../../../../common/contract';
import { GraftError } from '../../../../common/errors';
import type { BackboneInfo } from '../../../../common/training';
import type { FakeHandlers } from './fake-training';

type CompareCall = 'backbones:compare' | 'backbones:compareCancel' | 'backbones:lastComparison';

export interface FakeCompareDeps {
  requireProject: (projectId: Id) => unknown;
  backbones: () => BackboneInfo[];
  /** Class id of each labelled photo of the project. */
  labelledClasses: (projectId: Id) => Id[];
  dispatch: <E extends keyof Events>(event: E, payload: Events[E]) => void;
  now: () => string;
  newId: () => Id;
}

function row(b: BackboneInfo): BackboneComparisonRow {
  return {
    backboneId: b.id,
    name: b.name,
    source: b.source,
    featureDim: b.featureDim,
    isDefault: b.isDefault,
    status: 'ok',
    accuracy: Math.min(0.99, 0.7 + b.featureDim / 10_000),
    spread: 0.03,
    photosPerSecond: 50_000 / b.featureDim,
    cached: 0,
    failed: 0,
    reason: null,
  };
}

export function createFakeBackboneCompare(deps: FakeCompareDeps): FakeHandlers<CompareCall> {
  const last = new Map<Id, BackboneComparison>();
  const running = new Map<Id, Id>();
  return {
    'backbones:compare': ({ projectId, backboneIds }) => {
      deps.requireProject(projectId);
      const labels = deps.labelledClasses(projectId);
      const counts = new Map<Id, number>();
      for (const c of labels) counts.set(c, (counts.get(c) ?? 0) + 1);
      if (counts.size < 2)
        throw new GraftError('TOO_FEW_PHOTOS', 'Label photos of at least two classes to compare backbones.');
      const smallest = Math.min(...counts.values());
      if (smallest < 2) {
        throw new GraftError(
          'TOO_FEW_PHOTOS',
          'Every class needs at least 2 labelled photos to compare backbones (cross-validation holds some out); label more.',
        );
      }
      if ([...running.values()].includes(projectId))
        throw new GraftError('JOB_RUNNING', 'Backbones are already being compared for this project.');
      const chosen = deps.backbones().filter((b) => !backboneIds || backboneIds.includes(b.id));
      const jobId = deps.newId();
      running.set(jobId, projectId);
      setTimeout(() => {
        if (!running.delete(jobId)) {
          deps.dispatch('backbones:compareFinished', {
            jobId,
            projectId,
            status: 'cancelled',
            error: null,
            comparison: null,
          });
          return;
        }
        for (const [i, b] of chosen.entries()) {
          deps.dispatch('backbones:compareProgress', {
            jobId,
            projectId,
            backboneId: b.id,
            backboneName: b.name,
            backboneIndex: i + 1,
            backboneCount: chosen.length,
            phase: 'probing',
            done: 1,
            total: 1,
          });
        }
        const folds = Math.min(5, smallest);
        const comparison: BackboneComparison = {
          projectId,
          photos: labels.length,
          classes: counts.size,
          folds,
          foldsNote: folds < 5 ? `${folds}-fold, not 5-fold: the smallest class has only ${folds} photos.` : null,
          smallestClass: smallest,
          seed: 42,
          rows: chosen.map(row).sort((a, b) => (b.accuracy ?? 0) - (a.accuracy ?? 0)),
          seconds: 0.1,
          finishedAt: deps.now(),
        };
        last.set(projectId, comparison);
        deps.dispatch('backbones:compareFinished', { jobId, projectId, status: 'finished', error: null, comparison });
      }, 0);
      return { jobId };
    },
    'backbones:compareCancel': ({ jobId }) => ({ cancelling: running.has(jobId) && running.delete(jobId) }),
    'backbones:lastComparison': ({ projectId }) => {
      deps.requireProject(projectId);
      return last.get(projectId) ?? null;
    },
  };
}
