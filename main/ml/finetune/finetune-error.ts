export type FineTuneErrorCode =
  /** A block count, tap or setting the backbone or the loop cannot take. */
  | 'FINETUNE_INVALID'
  /** The backbone's top cannot be made trainable; the message names the block and why. */
  | 'FINETUNE_UNSUPPORTED'
  | 'DATASET_INVALID'
  | 'CANCELLED'
  | 'TRAINING_FAILED';

/** A fine-tuning step that cannot run or was stopped, with a stable code for the caller to map. */
export class FineTuneError extends Error {
  constructor(
    readonly code: FineTuneErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FineTuneError';
  }
}
