// The label-suggestion calls of the fake Graft. The fake runs no model: tests seed each
// project's suggestions (by photo and class name), and accepting one labels the photo through
// the fake's own labels:assign, as the real service labels through the label history.

import type { Events, Id, LabelChangeResult } from '../../../../common/contract';
import type { LabelSuggestion } from '../../../../common/suggestions';
import type { FakeHandlers } from './fake-training';

type SuggestionCall = 'suggestions:compute' | 'suggestions:cancel' | 'suggestions:list' | 'suggestions:accept';

/** A seeded suggestion: the photo's file name, the class's name, and its confidence 0-1. */
export interface FakeSuggestionSeed {
  image: string;
  className: string;
  confidence: number;
}

export interface FakeSuggestionDeps {
  /** Seeded suggestions by project name. */
  suggestions: Record<string, FakeSuggestionSeed[]>;
  projectName: (projectId: Id) => string;
  projectOfExperiment: (experimentId: Id) => Id;
  /** The project's photos and classes as the fake holds them. */
  images: (projectId: Id) => { id: Id; name: string; classId: Id | null }[];
  classes: (projectId: Id) => { id: Id; name: string }[];
  assign: (projectId: Id, imageIds: Id[], classId: Id) => LabelChangeResult;
  dispatch: <E extends keyof Events>(event: E, payload: Events[E]) => void;
  newId: () => Id;
}

export function createFakeSuggestions(deps: FakeSuggestionDeps): FakeHandlers<SuggestionCall> {
  const list = (projectId: Id): LabelSuggestion[] => {
    const images = deps.images(projectId);
    const classes = deps.classes(projectId);
    return (deps.suggestions[deps.projectName(projectId)] ?? []).flatMap((s) => {
      const image = images.find((i) => i.name === s.image && i.classId === null);
      const cls = classes.find((c) => c.name === s.className);
      if (!image || !cls) return [];
      return [
        {
          imageId: image.id,
          classId: cls.id,
          confidence: s.confidence,
          uncertainty: 1 - s.confidence,
          experimentId: 0,
        },
      ];
    });
  };
  return {
    'suggestions:compute': ({ experimentId }) => {
      const projectId = deps.projectOfExperiment(experimentId);
      const jobId = deps.newId();
      const suggested = list(projectId).length;
      queueMicrotask(() =>
        deps.dispatch('suggestions:finished', {
          jobId,
          projectId,
          experimentId,
          status: 'finished',
          suggested,
          skipped: [],
          error: null,
        }),
      );
      return { jobId };
    },
    'suggestions:cancel': () => ({ cancelling: false }),
    'suggestions:list': ({ projectId }) => list(projectId).sort((a, b) => b.uncertainty - a.uncertainty),
    'suggestions:accept': ({ projectId, imageIds }) => {
      const wanted = new Set(imageIds);
      let last: LabelChangeResult = { changed: 0, canUndo: false, canRedo: false };
      let changed = 0;
      for (const s of list(projectId).filter((x) => wanted.has(x.imageId))) {
        last = deps.assign(projectId, [s.imageId], s.classId);
        changed += last.changed;
      }
      return { ...last, changed };
    },
  };
}
