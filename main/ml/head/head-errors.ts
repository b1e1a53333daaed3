export type HeadTrainingErrorCode = 'CONFIG_INVALID' | 'DATASET_INVALID' | 'CANCELLED' | 'TRAINING_FAILED';

/** A failed or cancelled head training, with a stable code for the caller to map. */
export class HeadTrainingError extends Error {
  readonly code: HeadTrainingErrorCode;

  constructor(code: HeadTrainingErrorCode, message: string) {
    super(message);
    this.name = 'HeadTrainingError';
    this.code = code;
  }
}
