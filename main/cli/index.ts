import { toErrorPayload } from '../../common/errors';
import type { NormalisationPreset } from '../../common/training';
import { defaultDataDir } from '../data-dir';
import { GraftApp } from '../services/graft-app';
import { adaptCommand } from './adapt-command';
import { backboneImportCommand } from './backbone-command';
import { backboneCompareCommand } from './backbone-compare-command';
import { COMMANDS, commandUsage, globalUsage } from './command-table';
import { importCommand, serveCommand } from './commands';
import { exportCommand, predictCommand } from './export-predict-commands';
import { datasetExportCommand, healthCommand } from './health-commands';
import { experimentsCommand, projectsCommand, showCommand } from './listing-commands';
import {
  type CommandLine,
  parseCommandLine,
  requiredOption,
  textOption,
  UsageError,
  wholeNumberOption,
} from './parse-command-line';
import { type CliIo, consoleIo } from './terminal-text';
import { trainCommand, trainConfigOptions } from './train-command';

type Run = Extract<CommandLine, { kind: 'run' }>;

/** The one positional a command needs. @throws UsageError when there are more or fewer */
function onePositional(line: Run, what: string): string {
  if (line.positionals.length !== 1) throw new UsageError(`give exactly one ${what}`, line.command);
  return line.positionals[0];
}

/** Runs a parsed command with the app open; the app is closed when it returns (except `serve`). */
async function dispatch(line: Run, app: GraftApp, io: CliIo): Promise<number> {
  switch (line.command) {
    case 'serve': {
      const host = await serveCommand(app, io, {
        port: wholeNumberOption(line, 'port', { min: 1, max: 65535 }),
        open: line.values.open === true,
      });
      const stop = async () => {
        await host.close();
        app.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return new Promise<number>(() => {});
    }
    case 'projects':
      projectsCommand(app, io);
      return 0;
    case 'import': {
      const summary = await importCommand(app, io, {
        project: requiredOption(line, 'project'),
        folder: onePositional(line, 'FOLDER'),
        labelsFromFolders: line.values['labels-from-folders'] === true,
      });
      return summary.status === 'finished' ? 0 : 1;
    }
    case 'train': {
      const run = await trainCommand(app, io, {
        project: requiredOption(line, 'project'),
        config: trainConfigOptions(line),
      });
      return run.status === 'finished' ? 0 : 1;
    }
    case 'experiments':
      experimentsCommand(app, io, requiredOption(line, 'project'));
      return 0;
    case 'show':
      showCommand(app, io, runId(line, onePositional(line, 'RUN')));
      return 0;
    case 'export': {
      const format = requiredOption(line, 'format');
      if (format !== 'onnx' && format !== 'tfjs') throw new UsageError('--format is onnx or tfjs', line.command);
      const passed = await exportCommand(app, io, {
        experimentId: runId(line, requiredOption(line, 'experiment')),
        format,
        out: requiredOption(line, 'out'),
        rawInput: line.values['raw-input'] === true,
        overwrite: line.values.overwrite === true,
      });
      return passed ? 0 : 1;
    }
    case 'predict':
      if (line.positionals.length === 0) throw new UsageError('give at least one PHOTO or FOLDER', line.command);
      return predictCommand(app, io, {
        model: requiredOption(line, 'model'),
        inputs: line.positionals,
        csv: textOption(line, 'csv'),
        topK: wholeNumberOption(line, 'top', { min: 1, max: 1000 }) ?? 3,
      });
    case 'health':
      return healthCommand(app, io, {
        project: requiredOption(line, 'project'),
        backbone: textOption(line, 'backbone'),
      });
    case 'adapt':
      return adaptCommand(app, io, {
        experimentId: runId(line, requiredOption(line, 'experiment')),
        target: requiredOption(line, 'target'),
        method: textOption(line, 'method'),
        seed: wholeNumberOption(line, 'seed', { min: 0, max: 2 ** 31 - 1 }),
        labelsFromFolders: line.values['target-labels-from-folders'] === true,
      });
    case 'dataset-export':
      return datasetExportCommand(app, io, {
        project: requiredOption(line, 'project'),
        out: requiredOption(line, 'out'),
      });
    case 'backbones':
      if (line.positionals[0] === 'compare' && line.positionals.length === 1)
        return backboneCompareCommand(app, io, {
          project: requiredOption(line, 'project'),
          backbones: line.values.backbone as string[] | undefined,
        });
      if (line.positionals.length > 0 || line.values.project !== undefined || line.values.backbone !== undefined)
        throw new UsageError('list with `graft backbones`, or `graft backbones compare --project NAME`', line.command);
      for (const b of app.backbones.list()) {
        io.out(`${b.isDefault ? '*' : ' '} ${b.name} (${b.id}): ${b.featureDim}-d features, ${b.source}`);
      }
      return 0;
    case 'backbone': {
      if (line.positionals[0] !== 'import' || line.positionals.length !== 2)
        throw new UsageError('the only backbone action is `import FILE|FOLDER`', line.command);
      await backboneImportCommand(app, io, line.positionals[1], {
        name: textOption(line, 'name'),
        tap: textOption(line, 'tap'),
        licence: textOption(line, 'licence'),
        normalisation: textOption(line, 'normalisation') as NormalisationPreset | undefined,
        inputSize: wholeNumberOption(line, 'input-size', { min: 1, max: 100_000 }),
      });
      return 0;
    }
    default:
      throw new UsageError(`unknown command “${line.command}”`, null);
  }
}

function runId(line: Run, text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`a run is given by its number, not “${text}”`, line.command);
  return Number(text);
}

function printUsage(print: (line: string) => void, command: string | null): void {
  const spec = command === null ? undefined : COMMANDS.get(command);
  for (const line of spec ? commandUsage(spec) : globalUsage()) print(line);
}

/**
 * Runs one command line. Bad usage prints one line saying what is wrong and the command's usage
 * on stderr (exit code 2); `--help` prints the usage on stdout (exit code 0).
 * @throws whatever the command fails with (a GraftError with its code); run() prints it
 */
export async function main(argv: string[], io: CliIo = consoleIo): Promise<number> {
  let app: GraftApp | null = null;
  try {
    const line = parseCommandLine(argv);
    if (line.kind === 'help') {
      printUsage((l) => io.out(l), line.command);
      return 0;
    }
    const dataDir = textOption(line, 'data-dir') ?? defaultDataDir();
    app = new GraftApp({ dataDir, pickerStartDir: process.env.GRAFT_PICKER_START });
    return await dispatch(line, app, io);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`graft${err.command ? ` ${err.command}` : ''}: ${err.message}.`);
    printUsage((l) => io.err(l), err.command);
    return 2;
  } finally {
    // `serve` never returns while it serves, so this runs only when it could not start.
    app?.close();
  }
}

/**
 * Runs one command line and prints a failure once, on stderr, as `graft: message (CODE)`.
 * @returns the exit code: 0 done, 1 failed, 2 bad usage
 */
export async function run(argv: string[], io: CliIo = consoleIo): Promise<number> {
  try {
    return await main(argv, io);
  } catch (err) {
    const { code, message } = toErrorPayload(err);
    io.err(`graft: ${message} (${code})`);
    return 1;
  }
}

if (require.main === module) {
  run(process.argv.slice(2)).then((code) => process.exit(code));
}
