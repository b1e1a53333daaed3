// Every `graft` command: its usage line, what it does, and the options it accepts. The parser
// reads options from here, `graft <command> --help` prints the entry, and a flag a command
// does not list is refused with that command's usage.
import type { ParseArgsConfig } from 'node:util';
import { ADAPTATION_METHODS } from '../../common/adaptation';
import { defaultDataDir } from '../data-dir';
import { APP_VERSION } from '../version';

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

export interface CommandSpec {
  /** What follows `graft ` in the usage line. */
  usage: string;
  summary: string;
  options: OptionSpecs;
}

const NORMALISATIONS = 'imagenet|unit|symmetric|raw';

/** Options every command takes. */
export const GLOBAL_OPTIONS: OptionSpecs = {
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map<string, CommandSpec>([
  [
    'serve',
    {
      usage: 'serve [--port N] [--open]',
      summary: 'serve the app on 127.0.0.1 (headless host)',
      options: { port: { type: 'string' }, open: { type: 'boolean' } },
    },
  ],
  ['projects', { usage: 'projects', summary: 'list the projects with their photo and label counts', options: {} }],
  [
    'import',
    {
      usage: 'import --project NAME FOLDER [--labels-from-folders]',
      summary: 'import a photo folder into a project (created if new)',
      options: { project: { type: 'string' }, 'labels-from-folders': { type: 'boolean' } },
    },
  ],
  [
    'train',
    {
      usage:
        'train --project NAME [--backbone NAME|ID] [--seed N] [--technique feature-extraction|fine-tune] [--unfreeze N]',
      summary: 'train a model and print its metrics (fine-tune: also retrain the top N backbone blocks)',
      options: {
        project: { type: 'string' },
        backbone: { type: 'string' },
        seed: { type: 'string' },
        technique: { type: 'string' },
        unfreeze: { type: 'string' },
      },
    },
  ],
  [
    'experiments',
    {
      usage: 'experiments --project NAME',
      summary: "list a project's training runs",
      options: { project: { type: 'string' } },
    },
  ],
  ['show', { usage: 'show RUN', summary: 'print the settings and metrics of one run (its id)', options: {} }],
  [
    'export',
    {
      usage: 'export --experiment RUN --format onnx|tfjs --out DIR [--raw-input] [--overwrite]',
      summary: 'export a finished run and prove it matches the app',
      options: {
        experiment: { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string' },
        'raw-input': { type: 'boolean' },
        overwrite: { type: 'boolean' },
      },
    },
  ],
  [
    'predict',
    {
      usage: 'predict --model RUN|FILE.onnx [--csv OUT.csv] [--top N] PHOTO|FOLDER…',
      summary: 'predict photos with a run or an exported ONNX model',
      options: { model: { type: 'string' }, csv: { type: 'string' }, top: { type: 'string' } },
    },
  ],
  [
    'health',
    {
      usage: 'health --project NAME [--backbone NAME|ID]',
      summary: 'check a project for label conflicts, leakage, near copies, likely mislabels and odd photos',
      options: { project: { type: 'string' }, backbone: { type: 'string' } },
    },
  ],
  [
    'dataset-export',
    {
      usage: 'dataset-export --project NAME --out DIR',
      summary: 'write the labelled photos as DIR/split/class/file with CSV and JSON manifests',
      options: { project: { type: 'string' }, out: { type: 'string' } },
    },
  ],
  [
    'adapt',
    {
      usage: 'adapt --experiment RUN --target FOLDER [--method METHOD] [--seed N] [--target-labels-from-folders]',
      summary: `adapt a run to new-domain photos (labels only measure); METHOD: ${ADAPTATION_METHODS.join('|')}`,
      options: {
        experiment: { type: 'string' },
        target: { type: 'string' },
        method: { type: 'string' },
        seed: { type: 'string' },
        'target-labels-from-folders': { type: 'boolean' },
      },
    },
  ],
  [
    'backbones',
    {
      usage: 'backbones [compare --project NAME [--backbone NAME|ID]…]',
      summary:
        'list the available backbones by name and id; compare: rank them (all, or the ones named) on a project’s labelled photos by a cross-validated linear probe, with embedding speed',
      options: { project: { type: 'string' }, backbone: { type: 'string', multiple: true } },
    },
  ],
  [
    'backbone',
    {
      usage: `backbone import FILE|FOLDER [--name NAME] [--licence TEXT] [--tap NODE] [--normalisation ${NORMALISATIONS}] [--input-size N]`,
      summary: 'import an ONNX file or a TF.js model folder as a backbone',
      options: {
        name: { type: 'string' },
        licence: { type: 'string' },
        tap: { type: 'string' },
        normalisation: { type: 'string' },
        'input-size': { type: 'string' },
      },
    },
  ],
]);

/** Every option of every command, for the first pass that only finds the command's name. */
export const ALL_OPTIONS: OptionSpecs = Object.assign(
  {},
  GLOBAL_OPTIONS,
  ...[...COMMANDS.values()].map((c) => c.options),
);

const GLOBAL_HELP = [
  `  --data-dir DIR   where Graft keeps its data (default: ${defaultDataDir()}; env GRAFT_DATA_DIR)`,
  '  --help           this text; `graft COMMAND --help` for one command',
];

/** `graft --help`: every command. */
export function globalUsage(): string[] {
  const lines = [`graft ${APP_VERSION}: offline transfer learning for your own photos`, '', 'Usage:'];
  for (const spec of COMMANDS.values()) lines.push(`  graft ${spec.usage}`, `      ${spec.summary}`);
  return [...lines, 'Options:', ...GLOBAL_HELP];
}

/** `graft COMMAND --help`: that command only. */
export function commandUsage(spec: CommandSpec): string[] {
  return [`Usage: graft ${spec.usage}`, `  ${spec.summary}`, 'Options:', ...GLOBAL_HELP];
}
