import type { GraftApi, Id } from '../../../../common/contract';
import { BatchPredictStore } from './batch-predict.svelte';
import type { Notices } from './notices.svelte';
import { PhotoPredictions } from './photo-predictions.svelte';

/**
 * What the Predict view shows for one project: the chosen model, the photos given to it with
 * their results, and the folder batch. It lives as long as the app, not the view, so leaving
 * Predict and coming back finds everything as it was, and answers that arrive meanwhile land.
 */
export class PredictSession {
  /** The chosen model (`experiment:<id>` or `export:<id>`); null: the newest run's in-app model. */
  modelKey = $state<string | null>(null);
  readonly photos: PhotoPredictions;
  readonly batch: BatchPredictStore;

  constructor(api: GraftApi, notices: Notices) {
    this.photos = new PhotoPredictions(api, notices);
    this.batch = new BatchPredictStore(api, notices);
    // Followed for the app's lifetime: a batch keeps reporting while another view shows.
    this.batch.connect();
  }

  /** Results stand for the model that gave them, so they go when another model (or, null, the default) is chosen. */
  choose(modelKey: string | null): void {
    this.modelKey = modelKey;
    this.photos.clear();
  }
}

// One set per app (per api), so separate app instances, as in tests, never share results.
const sessions = new WeakMap<GraftApi, Map<Id, PredictSession>>();

/** The project's Predict session, created on first use. */
export function predictSessionFor(api: GraftApi, notices: Notices, projectId: Id): PredictSession {
  let byProject = sessions.get(api);
  if (!byProject) {
    byProject = new Map();
    sessions.set(api, byProject);
  }
  let session = byProject.get(projectId);
  if (!session) {
    session = new PredictSession(api, notices);
    byProject.set(projectId, session);
  }
  return session;
}
