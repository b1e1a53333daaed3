// A run's settings as a person reads them: plain names and values, not the config's keys.

import type { TrainConfig } from '../../../common/training';
import { formatSetting } from './metric-format';
import { FINE_TUNING_ONLY, SETTINGS } from './train-settings';

export interface DescribedSetting {
  key: keyof TrainConfig;
  label: string;
  value: string;
}

const TECHNIQUES: Record<TrainConfig['technique'], string> = {
  'feature-extraction': 'Feature extraction (frozen backbone + new classifier)',
  'fine-tune': 'Fine-tuning (classifier first, then the backbone’s last blocks with it)',
};

/** Where the trainable part ran: tfjs's backend names (main/ml/tfjs-backend.ts) in plain words. */
const BACKENDS: Record<string, string> = {
  tensorflow: 'CPU (TensorFlow, native)',
  wasm: 'CPU (WebAssembly)',
  cpu: 'CPU (plain JavaScript, slowest)',
  webgl: 'GPU (WebGL)',
  webgpu: 'GPU (WebGPU)',
};

export function describeBackend(backend: string): string {
  return BACKENDS[backend] ?? backend;
}

/** What "Computed on" means, for a person who has not met tfjs backends. */
export const BACKEND_HELP =
  'Where the training arithmetic ran. WebAssembly is a fast, portable way to run it on the computer’s processor (CPU); no graphics card is needed.';

/**
 * Which model a finished fine-tuning run kept, in plain words (FineTuneMetrics.keptStage: stage 2
 * is kept only if it lowered the validation loss, main/services/fine-tuning.ts); null otherwise.
 */
export function keptStageNote(keptStage: 1 | 2 | null | undefined): string | null {
  if (keptStage === 1)
    return 'Fine-tuning did not improve on the frozen model; the stage-1 model is kept (the same kind as feature extraction: the backbone unchanged, a new classifier on top).';
  if (keptStage === 2) return 'Fine-tuning improved on the frozen model; the fine-tuned model (stage 2) is kept.';
  return null;
}

/** Labels that say more than the Advanced panel's short ones, or settings it does not offer. */
const LABELS: Partial<Record<keyof TrainConfig, string>> = {
  backboneId: 'Model',
  technique: 'Technique',
  hiddenUnits: 'Classifier',
  classWeighting: 'Balance uneven classes',
  flipTestTime: 'Mirror averaging',
};

function describeValue<K extends keyof TrainConfig>(key: K, value: TrainConfig[K], modelName: string | undefined) {
  switch (key) {
    case 'backboneId':
      return modelName ?? String(value);
    case 'technique':
      return TECHNIQUES[value as TrainConfig['technique']] ?? String(value);
    case 'hiddenUnits':
      return value === 0 ? 'Linear (no hidden layer)' : `One hidden layer of ${value} units`;
    case 'dropout':
    case 'labelSmoothing':
      return `${Math.round((value as number) * 100)}%`;
    case 'schedule': {
      const setting = SETTINGS.find((s) => s.key === 'schedule');
      return (setting?.kind === 'choice' && setting.options.find((o) => o.value === value)?.label) || String(value);
    }
    default:
      return formatSetting(value);
  }
}

/** One setting with a person's label and value; an unknown key shows as it is. */
export function describeSetting(key: string, value: unknown, modelName?: string): Omit<DescribedSetting, 'key'> {
  const known = key as keyof TrainConfig;
  return {
    label: LABELS[known] ?? SETTINGS.find((s) => s.key === key)?.label ?? key,
    value: describeValue(known, value as TrainConfig[typeof known], modelName),
  };
}

/**
 * Every setting `config`'s run used, with a person's label and value, model first (a feature-extraction
 * run leaves out the fine-tuning settings it ignored); `modelName` is the backbone's name where it is
 * known (else its id shows).
 */
export function describeConfig(config: TrainConfig, modelName: string | undefined): DescribedSetting[] {
  const order: (keyof TrainConfig)[] = ['backboneId', 'technique', ...SETTINGS.map((s) => s.key)];
  const keys = [...order, ...(Object.keys(config) as (keyof TrainConfig)[]).filter((k) => !order.includes(k))];
  const used = (key: keyof TrainConfig) => config.technique === 'fine-tune' || !FINE_TUNING_ONLY.has(key);
  return keys
    .filter((key) => key in config && used(key))
    .map((key) => ({ key, ...describeSetting(key, config[key], modelName) }));
}
