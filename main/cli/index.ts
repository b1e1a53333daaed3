import { parseArgs } from 'node:util';
import { toErrorPayload } from '../../common/errors';
import { defaultDataDir } from '../data-dir';
import { GraftApp } from '../services/graft-app';
import { APP_VERSION } from '../version';
import { backboneImportCommand } from './backbone-command';
import { importCommand, serveCommand } from './commands';
import { exportCommand, predictCommand } from './export-predict-commands';
import { type CliIo, consoleIo } from './terminal-text';
import { trainCommand } from './train-command';

const USAGE = `graft ${APP_VERSION}: offline transfer learning for your own photos

Usage:
  graft serve [--port N] [--open]             serve the app on 127.0.0.1 (headless host)
  graft import --project NAME FOLDER [--labels-from-folders]
                                              import a photo folder into a project
  graft train --project NAME [--backbone ID] [--seed N]
                                              train a model and print its metrics
  graft export --experiment ID --format onnx|tfjs --out DIR [--raw-input] [--overwrite]
                                              export a finished run and prove it matches the app
  graft predict --model EXPERIMENT_ID|FILE.onnx PHOTO|FOLDER… [--csv OUT.csv] [--top N]
                                              predict photos with a run or an exported ONNX model
  graft backbones                             list the available backbones
  graft backbone import FILE|FOLDER [--name N] [--tap NODE] [--normalisation imagenet|unit|symmetric|raw]
                    [--input-size N] [--licence TEXT]
                                              import an ONNX file or a TF.js model folder as a backbone
Options:
  --data-dir DIR   where Graft keeps its data (default: ${defaultDataDir()}; env GRAFT_DATA_DIR)
  --help           this text`;

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      open: { type: 'boolean', default: false },
      project: { type: 'string' },
      'labels-from-folders': { type: 'boolean', default: false },
      backbone: { type: 'string' },
      name: { type: 'string' },
      tap: { type: 'string' },
      licence: { type: 'string' },
      normalisation: { type: 'string' },
      'input-size': { type: 'string' },
      experiment: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      'raw-input': { type: 'boolean', default: false },
      overwrite: { type: 'boolean', default: false },
      model: { type: 'string' },
      csv: { type: 'string' },
      top: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const [command, ...rest] = positionals;
  const io = consoleIo;
  if (values.help || !command) {
    printLines(io, USAGE);
    return values.help ? 0 : 2;
  }
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const app = new GraftApp({ dataDir, pickerStartDir: process.env.GRAFT_PICKER_START });
  switch (command) {
    case 'serve': {
      const host = await serveCommand(app, io, {
        port: values.port ? Number(values.port) : undefined,
        open: values.open,
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
    case 'import': {
      if (!values.project || rest.length !== 1) {
        io.out('Usage: graft import --project NAME FOLDER [--labels-from-folders]');
        app.close();
        return 2;
      }
      try {
        const summary = await importCommand(app, io, {
          project: values.project,
          folder: rest[0],
          labelsFromFolders: values['labels-from-folders'],
        });
        return summary.status === 'finished' ? 0 : 1;
      } finally {
        app.close();
      }
    }
    case 'train': {
      if (!values.project) {
        io.out('Usage: graft train --project NAME [--backbone ID] [--seed N]');
        app.close();
        return 2;
      }
      try {
        const config = {
          ...(values.backbone ? { backboneId: values.backbone } : {}),
          ...(values.seed ? { seed: Number(values.seed) } : {}),
        };
        const run = await trainCommand(app, io, { project: values.project, config });
        return run.status === 'finished' ? 0 : 1;
      } finally {
        app.close();
      }
    }
    case 'backbone': {
      if (rest[0] !== 'import' || rest.length !== 2) {
        io.out('Usage: graft backbone import FILE|FOLDER [--name N] [--tap NODE] [--normalisation …] [--licence TEXT]');
        app.close();
        return 2;
      }
      try {
        await backboneImportCommand(app, io, rest[1], {
          name: values.name,
          tap: values.tap,
          licence: values.licence,
          normalisation: values.normalisation,
          inputSize: values['input-size'],
        });
        return 0;
      } finally {
        app.close();
      }
    }
    case 'export': {
      const format = values.format;
      if (
        !values.experiment ||
        !/^\d+$/.test(values.experiment) ||
        (format !== 'onnx' && format !== 'tfjs') ||
        !values.out
      ) {
        io.out('Usage: graft export --experiment ID --format onnx|tfjs --out DIR [--raw-input] [--overwrite]');
        app.close();
        return 2;
      }
      try {
        const passed = await exportCommand(app, io, {
          experimentId: Number(values.experiment),
          format,
          out: values.out,
          rawInput: values['raw-input'],
          overwrite: values.overwrite,
        });
        return passed ? 0 : 1;
      } finally {
        app.close();
      }
    }
    case 'predict': {
      if (!values.model || rest.length === 0) {
        io.out('Usage: graft predict --model EXPERIMENT_ID|FILE.onnx PHOTO|FOLDER… [--csv OUT.csv] [--top N]');
        app.close();
        return 2;
      }
      try {
        return await predictCommand(app, io, {
          model: values.model,
          inputs: rest,
          csv: values.csv,
          topK: values.top ? Number(values.top) : 3,
        });
      } finally {
        app.close();
      }
    }
    case 'backbones': {
      for (const b of app.backbones.list()) {
        io.out(`${b.isDefault ? '*' : ' '} ${b.id.padEnd(32)} ${b.featureDim}-d  ${b.name} [${b.source}]`);
      }
      app.close();
      return 0;
    }
    default:
      io.out(`Unknown command “${command}”.`);
      printLines(io, `\n${USAGE}`);
      app.close();
      return 2;
  }
}

function printLines(io: CliIo, text: string): void {
  for (const line of text.split('\n')) io.out(line);
}

/**
 * Runs one command line and prints a failure once, on stderr, as `graft: message (CODE)`.
 * @returns the exit code: 0 done, 1 failed, 2 bad usage
 */
export async function run(argv: string[], io: CliIo = consoleIo): Promise<number> {
  try {
    return await main(argv);
  } catch (err) {
    const { code, message } = toErrorPayload(err);
    io.err(`graft: ${message} (${code})`);
    return 1;
  }
}

if (require.main === module) {
  run(process.argv.slice(2)).then((code) => process.exit(code));
}
