// The training settings the Advanced panel offers, and the edits a run sends: only the
// settings the user changed from the defaults, so a run with no edits uses the defaults.

import type { TrainConfig } from '../../../common/training';

type KeysOf<T> = { [K in keyof TrainConfig]: TrainConfig[K] extends T ? K : never }[keyof TrainConfig];

export type NumberSetting = {
  kind: 'number';
  key: KeysOf<number>;
  label: string;
  help: string;
  min: number;
  /** Exclusive upper bound, where there is one. */
  below?: number;
  step: number | 'any';
  integer: boolean;
};
export type FlagSetting = { kind: 'flag'; key: KeysOf<boolean>; label: string; help: string };
export type ChoiceSetting = {
  kind: 'choice';
  key: 'schedule';
  label: string;
  help: string;
  options: { value: TrainConfig['schedule']; label: string }[];
};
export type Setting = NumberSetting | FlagSetting | ChoiceSetting;

export const SETTINGS: Setting[] = [
  {
    kind: 'number',
    key: 'seed',
    label: 'Seed',
    help: 'Same seed, same data: the same model.',
    min: -2147483648,
    step: 1,
    integer: true,
  },
  {
    kind: 'number',
    key: 'hiddenUnits',
    label: 'Hidden units',
    help: '0 trains a linear classifier; more adds one hidden layer of that width.',
    min: 0,
    step: 1,
    integer: true,
  },
  {
    kind: 'number',
    key: 'dropout',
    label: 'Dropout',
    help: 'Share of features dropped while training, against over-fitting.',
    min: 0,
    below: 1,
    step: 0.05,
    integer: false,
  },
  {
    kind: 'number',
    key: 'l2',
    label: 'L2 weight decay',
    help: 'Keeps weights small.',
    min: 0,
    step: 'any',
    integer: false,
  },
  {
    kind: 'number',
    key: 'labelSmoothing',
    label: 'Label smoothing',
    help: 'Makes the model less over-confident.',
    min: 0,
    below: 1,
    step: 0.05,
    integer: false,
  },
  {
    kind: 'flag',
    key: 'classWeighting',
    label: 'Class weighting',
    help: 'Counts photos of small classes more, to balance uneven classes.',
  },
  {
    kind: 'number',
    key: 'learningRate',
    label: 'Learning rate',
    help: 'Step size of the optimiser.',
    min: 0,
    step: 'any',
    integer: false,
  },
  {
    kind: 'choice',
    key: 'schedule',
    label: 'Schedule',
    help: 'How the learning rate changes over epochs.',
    options: [
      { value: 'plateau', label: 'Halve when progress stalls' },
      { value: 'cosine', label: 'Cosine decay' },
      { value: 'constant', label: 'Constant' },
    ],
  },
  {
    kind: 'number',
    key: 'maxEpochs',
    label: 'Max epochs',
    help: 'Training stops earlier when it stops improving.',
    min: 1,
    step: 1,
    integer: true,
  },
  { kind: 'number', key: 'batchSize', label: 'Batch size', help: 'Photos per step.', min: 1, step: 1, integer: true },
  {
    kind: 'number',
    key: 'patience',
    label: 'Patience',
    help: 'Epochs without a better validation loss before stopping.',
    min: 0,
    step: 1,
    integer: true,
  },
  { kind: 'flag', key: 'augmentFlip', label: 'Train on mirror images', help: 'Adds each photo mirrored.' },
  {
    kind: 'flag',
    key: 'flipTestTime',
    label: 'Average with mirror image',
    help: 'Predicts each photo and its mirror image, and averages.',
  },
  {
    kind: 'number',
    key: 'unfreezeBlocks',
    label: 'Fine-tuning: blocks to retrain',
    help: 'How many of the backbone’s last blocks the second stage trains (fine-tuning only).',
    min: 1,
    step: 1,
    integer: true,
  },
  {
    kind: 'number',
    key: 'blockLearningRate',
    label: 'Fine-tuning: block learning rate',
    help: 'Step size for the retrained blocks; well below the classifier’s, so they keep what they knew.',
    min: 0,
    step: 'any',
    integer: false,
  },
  {
    kind: 'number',
    key: 'fineTuneHeadLearningRate',
    label: 'Fine-tuning: classifier learning rate',
    help: 'Step size for the classifier in the second stage.',
    min: 0,
    step: 'any',
    integer: false,
  },
  {
    kind: 'number',
    key: 'fineTuneEpochs',
    label: 'Fine-tuning: max epochs',
    help: 'The second stage stops earlier when validation loss stops improving.',
    min: 1,
    step: 1,
    integer: true,
  },
];

/** Settings only a fine-tuning run uses (common/training.ts: ignored for feature extraction). */
export const FINE_TUNING_ONLY: ReadonlySet<keyof TrainConfig> = new Set([
  'unfreezeBlocks',
  'blockLearningRate',
  'fineTuneHeadLearningRate',
  'fineTuneEpochs',
]);

/** Whether a typed number is an acceptable value of the setting. */
export function isValidNumber(setting: NumberSetting, value: number): boolean {
  if (!Number.isFinite(value) || value < setting.min) return false;
  if (setting.below !== undefined && value >= setting.below) return false;
  return !setting.integer || Number.isInteger(value);
}

/** The edits with `key` set to `value`; a value equal to the default drops the edit. */
export function withSetting<K extends keyof TrainConfig>(
  edits: Partial<TrainConfig>,
  defaults: TrainConfig,
  key: K,
  value: TrainConfig[K],
): Partial<TrainConfig> {
  const { [key]: _, ...rest } = edits;
  return value === defaults[key] ? rest : { ...rest, [key]: value };
}
