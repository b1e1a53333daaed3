// The domain and adaptation calls of the fake Graft. Domains are kept per folder as the real
// service keeps them; the fake has no embeddings, so it cannot adapt a model and says so.

import type { DomainCount } from '../../../../common/adaptation';
import type { Id } from '../../../../common/contract';
import { GraftError } from '../../../../common/errors';
import type { FakeHandlers } from './fake-training';

type AdaptationCall =
  | 'domains:counts'
  | 'domains:setFolder'
  | 'adaptation:start'
  | 'adaptation:cancel'
  | 'adaptation:report';

export interface FakeAdaptationDeps {
  /** The project of a folder; throws for an unknown one. */
  folderProject: (folderId: Id) => Id;
  images: (projectId: Id) => { folderId: Id; status: string; classId: Id | null }[];
  /** The folders marked as the new domain; kept by the caller, whose photo list filters by it. */
  targets: Set<Id>;
}

export function createFakeAdaptation(deps: FakeAdaptationDeps): FakeHandlers<AdaptationCall> {
  const { targets } = deps;
  return {
    'domains:counts': ({ projectId }) =>
      (['source', 'target'] as const).map((domain): DomainCount => {
        const photos = deps
          .images(projectId)
          .filter((i) => i.status === 'ok' && targets.has(i.folderId) === (domain === 'target'));
        const folderIds = [...new Set(photos.map((p) => p.folderId))].sort((a, b) => a - b);
        return {
          domain,
          folderIds,
          folders: folderIds.length,
          photos: photos.length,
          labelled: photos.filter((p) => p.classId !== null).length,
        };
      }),
    'domains:setFolder': ({ folderId, domain }) => {
      deps.folderProject(folderId);
      if (domain === 'target') targets.add(folderId);
      else targets.delete(folderId);
      return { domain };
    },
    'adaptation:start': () => {
      throw new GraftError('BAD_REQUEST', 'The fake Graft has no embeddings to adapt a model with.');
    },
    'adaptation:cancel': () => ({ cancelling: false }),
    'adaptation:report': () => {
      throw new GraftError('NOT_FOUND', 'That run is not a finished adaptation.');
    },
  };
}
