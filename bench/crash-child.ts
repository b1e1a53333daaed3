// One operation of the crash bench (bench/crash.ts), run in a process of its own so the bench
// can kill -9 it: `node --require tsx/cjs bench/crash-child.ts <phase> <dataDir> <json args>`.
// Prints READY when the operation has started, `CALL <classId> <imageIds>` before each label call
// and ACK when it returned (the labels are then acknowledged to the person), DONE when it ended.

import { seededRandom } from '../common/seeded-random';
import { GraftApp } from '../main/services/graft-app';

export type CrashPhase = 'import' | 'labels' | 'train-embedding' | 'train-head' | 'export' | 'predict';

export interface CrashChildArgs {
  projectId: number;
  experimentId: number;
  /** import: a folder not yet in the project. */
  folder?: string;
  /** export: where the model folder goes; predict: where the CSV goes. */
  destination?: string;
  /** predict: the photos. */
  photos?: string;
  seed: number;
}

async function labellingBursts(app: GraftApp, args: CrashChildArgs): Promise<void> {
  const db = app.ctx.db;
  const images = (
    db.prepare(`SELECT id FROM images WHERE project_id = ? AND status = 'ok'`).all(args.projectId) as { id: number }[]
  ).map((r) => r.id);
  const classes = (
    db.prepare('SELECT id FROM classes WHERE project_id = ?').all(args.projectId) as { id: number }[]
  ).map((r) => r.id);
  const random = seededRandom(args.seed);
  for (;;) {
    const burst = Array.from(
      { length: 1 + Math.floor(random() * 5) },
      () => images[Math.floor(random() * images.length)],
    );
    const classId = classes[Math.floor(random() * classes.length)];
    // Said before the call, so the bench knows which labels a kill inside it may have changed.
    process.stdout.write(`CALL ${classId} ${burst.join(',')}\n`);
    app.labels.assign(args.projectId, burst, classId);
    process.stdout.write('ACK\n');
    // A person's pace is far slower; a short pause lets the kill land between and inside calls.
    await new Promise((resolve) => setTimeout(resolve, random() * 4));
  }
}

async function operation(app: GraftApp, phase: CrashPhase, args: CrashChildArgs): Promise<unknown> {
  switch (phase) {
    case 'import': {
      const folder = app.folders.add(args.projectId, args.folder!, true);
      return app.importer.start(folder.id).done;
    }
    case 'labels':
      return labellingBursts(app, args);
    case 'train-embedding':
    case 'train-head':
      return app.training.start(args.projectId, { seed: args.seed }).done;
    case 'export':
      return app.exports.start(args.experimentId, {
        format: 'onnx',
        location: args.destination!,
        folderName: 'model',
        rawInput: false,
        overwrite: true,
      }).done;
    case 'predict':
      return app.prediction.startBatch(
        { kind: 'experiment', experimentId: args.experimentId },
        args.photos!,
        args.destination!,
      ).done;
  }
}

function main(): void {
  const [phase, dataDir, json] = process.argv.slice(2);
  const app = new GraftApp({ dataDir });
  const running = operation(app, phase as CrashPhase, JSON.parse(json) as CrashChildArgs);
  process.stdout.write('READY\n');
  // Exits explicitly: an open model keeps its inference thread (and so the process) alive.
  running.then(
    () => {
      app.close();
      process.stdout.write('DONE\n', () => process.exit(0));
    },
    (err: unknown) => {
      app.close();
      process.stdout.write(`FAILED ${(err as Error).message}\n`, () => process.exit(1));
    },
  );
}

// Only as the entry: bench/crash.ts imports this module for its types.
if (require.main === module) main();
