// Label suggestions: a finished run's prediction for a photo without a label. Never a label
// (not counted, trained on or split) until a person accepts it.
import type { Id } from './contract';

export interface LabelSuggestion {
  imageId: Id;
  classId: Id;
  /** The suggested class's probability, 0-1. */
  confidence: number;
  /** 0-1, higher = more informative to label first (the measure in main/services/suggestions.ts). */
  uncertainty: number;
  experimentId: Id;
}

export interface SuggestionsProgress {
  jobId: Id;
  projectId: Id;
  experimentId: Id;
  done: number;
  total: number;
}

export interface SuggestionsFinished {
  jobId: Id;
  projectId: Id;
  experimentId: Id;
  status: 'finished' | 'cancelled' | 'failed';
  /** Photos that got a suggestion. */
  suggested: number;
  /** Photos that could not be read, with the reason. */
  skipped: { imageId: Id; message: string }[];
  error: string | null;
}
