// npm run bench -- crash [trials] [seed]: kill -9 Graft at seeded random moments during import,
// labelling bursts, training (embedding and head), export and batch predict, restart it and
// check what the person would find (issue 10 item 20). Prints each trial and every failure.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { seededRandom } from '../common/seeded-random';
import { writeLabelledFolder } from '../e2e/fixtures/photo-corpus';
import { GraftApp } from '../main/services/graft-app';
import type { CrashChildArgs, CrashPhase } from './crash-child';

const PHASES: CrashPhase[] = ['import', 'labels', 'train-embedding', 'train-head', 'export', 'predict'];
const CHILD = path.join(__dirname, 'crash-child.ts');
const TSX = createRequire(__filename).resolve('tsx/cjs');
/** How long a labelling burst runs before it is killed at the latest (ms). */
const LABELS_WINDOW_MS = 1500;
/** Names a writer uses before renaming into place: none may survive a restart. */
const TEMP_NAME = /\.tmp$|\.partial$|\.partial-|\.graft-partial-|\.graft-old-|\.replaced-/;

interface Child {
  process: ChildProcess;
  lines: string[];
  ready: Promise<void>;
  exited: Promise<void>;
}

function startChild(phase: CrashPhase, dataDir: string, args: CrashChildArgs): Child {
  const child = spawn(process.execPath, ['--require', TSX, CHILD, phase, dataDir, JSON.stringify(args)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buffered = '';
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      if (line === 'READY') onReady();
    }
  });
  child.stderr?.on('data', () => {});
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(onReady);
  return { process: child, lines, ready, exited };
}

function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? [full, ...walk(full)] : [full];
  });
}

/**
 * The label each image must have after a restart (its last acknowledged call's class) and the
 * call the kill cut short (its labels may or may not have been written: both are right).
 */
function labelCalls(lines: string[]): { acked: Map<number, number>; inFlight: Map<number, number> } {
  const acked = new Map<number, number>();
  let inFlight = new Map<number, number>();
  for (const line of lines) {
    const call = /^CALL (\d+) ([\d,]+)$/.exec(line);
    if (call) inFlight = new Map(call[2].split(',').map((id) => [Number(id), Number(call[1])]));
    if (line === 'ACK') {
      for (const [imageId, classId] of inFlight) acked.set(imageId, classId);
      inFlight = new Map();
    }
  }
  return { acked, inFlight };
}

/** What a restart finds wrong: each entry is one failure. */
function checkAfterRestart(
  dataDir: string,
  outDir: string,
  acked: Map<number, number>,
  inFlight: Map<number, number>,
): string[] {
  const problems: string[] = [];
  const app = new GraftApp({ dataDir });
  try {
    const db = app.ctx.db;
    const integrity = db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') problems.push(`integrity_check: ${integrity}`);
    for (const table of ['jobs', 'experiments', 'exports']) {
      const { n } = db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE status = 'running'`).get() as { n: number };
      if (n > 0) problems.push(`${n} ${table} row(s) still running`);
    }
    const label = db.prepare('SELECT class_id AS classId FROM labels WHERE image_id = ?');
    for (const [imageId, classId] of acked) {
      const row = label.get(imageId) as { classId: number } | undefined;
      if (row?.classId !== classId && row?.classId !== inFlight.get(imageId)) {
        problems.push(`acknowledged label of image ${imageId} lost`);
      }
    }
  } finally {
    app.close();
  }
  for (const file of [...walk(dataDir), ...walk(outDir)]) {
    if (TEMP_NAME.test(path.basename(file)))
      problems.push(`stray temporary ${path.relative(path.dirname(dataDir), file)}`);
  }
  const model = path.join(outDir, 'model');
  if (fs.existsSync(model) && !fs.existsSync(path.join(model, 'model.onnx'))) {
    problems.push('export folder without model.onnx');
  }
  return problems;
}

interface Base {
  dataDir: string;
  args: Omit<CrashChildArgs, 'seed'>;
}

/** A data directory with a labelled, imported, trained and exported project, reused by every trial. */
async function prepareBase(scratch: string): Promise<Base> {
  const photos = path.join(scratch, 'photos');
  const more = path.join(scratch, 'more-photos');
  await writeLabelledFolder(photos, { red: 20, blue: 20 });
  await writeLabelledFolder(more, { red: 60, blue: 60 }, { startIndex: 500 });
  const dataDir = path.join(scratch, 'base', 'data');
  const out = path.join(scratch, 'base', 'out');
  fs.mkdirSync(out, { recursive: true });
  const app = new GraftApp({ dataDir });
  try {
    const projectId = app.projects.create('Crash').id;
    const folder = app.folders.add(projectId, photos, true);
    await app.importer.start(folder.id).done;
    const run = app.training.start(projectId, { seed: 1 });
    await run.done;
    const detail = app.experiments.get(run.experimentId);
    if (detail.status !== 'finished') throw new Error(`base training ${detail.status}: ${detail.error}`);
    const exported = await app.exports.start(run.experimentId, {
      format: 'onnx',
      location: out,
      folderName: 'model',
      rawInput: false,
      overwrite: false,
    }).done;
    if (exported.status !== 'passed') throw new Error(`base export ${exported.status}: ${exported.error}`);
    return { dataDir, args: { projectId, experimentId: run.experimentId, folder: more, photos, destination: out } };
  } finally {
    app.close();
  }
}

/** A fresh copy of the base for one trial; embedding trials start without cached embeddings. */
function trialCopy(
  base: Base,
  dir: string,
  phase: CrashPhase,
): { dataDir: string; args: Omit<CrashChildArgs, 'seed'> } {
  fs.cpSync(path.dirname(base.dataDir), dir, { recursive: true });
  const dataDir = path.join(dir, 'data');
  if (phase === 'train-embedding') {
    const app = new GraftApp({ dataDir });
    app.ctx.db.exec('DELETE FROM embeddings');
    app.close();
  }
  return { dataDir, args: { ...base.args, destination: path.join(dir, 'out') } };
}

async function timeToFinish(base: Base, scratch: string, phase: CrashPhase): Promise<number> {
  if (phase === 'labels') return LABELS_WINDOW_MS;
  const { dataDir, args } = trialCopy(base, path.join(scratch, `dry-${phase}`), phase);
  const child = startChild(phase, dataDir, { ...args, seed: 99 });
  await child.ready;
  const started = Date.now();
  await child.exited;
  if (!child.lines.includes('DONE')) throw new Error(`${phase} dry run: ${child.lines.join(' | ')}`);
  return Date.now() - started;
}

export async function benchCrash(argv: string[]): Promise<void> {
  const trials = Number(argv[0] ?? 60);
  const seed = Number(argv[1] ?? 1);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-crash-'));
  const startedAt = Date.now();
  try {
    const base = await prepareBase(scratch);
    const durations = new Map<CrashPhase, number>();
    for (const phase of PHASES) durations.set(phase, await timeToFinish(base, scratch, phase));
    console.log(`phase durations without a kill (ms): ${PHASES.map((p) => `${p} ${durations.get(p)}`).join(', ')}`);
    const random = seededRandom(seed);
    const failures: string[] = [];
    const perPhase = new Map<CrashPhase, { trials: number; failed: number; finishedFirst: number }>();
    for (let trial = 1; trial <= trials; trial++) {
      const phase = PHASES[(trial - 1) % PHASES.length];
      const dir = path.join(scratch, `trial-${trial}`);
      const { dataDir, args } = trialCopy(base, dir, phase);
      // Within the first 75% of the uninterrupted duration: most kills land while work is under way.
      const delay = Math.round(random() * 0.75 * (durations.get(phase) ?? 0));
      const child = startChild(phase, dataDir, { ...args, seed: seed * 1000 + trial });
      await child.ready;
      await new Promise((resolve) => setTimeout(resolve, delay));
      child.process.kill('SIGKILL');
      await child.exited;
      const finishedFirst = child.lines.includes('DONE');
      const { acked, inFlight } = labelCalls(child.lines);
      const problems = checkAfterRestart(dataDir, args.destination!, acked, inFlight);
      const stats = perPhase.get(phase) ?? { trials: 0, failed: 0, finishedFirst: 0 };
      stats.trials++;
      if (problems.length > 0) stats.failed++;
      if (finishedFirst) stats.finishedFirst++;
      perPhase.set(phase, stats);
      for (const p of problems) failures.push(`trial ${trial} (${phase}, kill at ${delay} ms): ${p}`);
      console.log(
        `trial ${String(trial).padStart(3)} ${phase.padEnd(15)} kill at ${String(delay).padStart(5)} ms` +
          `${finishedFirst ? ' (had finished)' : ''}${acked.size ? `, ${acked.size} labels acknowledged` : ''}: ` +
          `${problems.length === 0 ? 'ok' : problems.join('; ')}`,
      );
      fs.rmSync(dir, { recursive: true, force: true });
    }
    console.log('\nphase             trials  failed  finished before the kill');
    for (const [phase, s] of perPhase) {
      console.log(
        `${phase.padEnd(17)} ${String(s.trials).padStart(6)}  ${String(s.failed).padStart(6)}  ${s.finishedFirst}`,
      );
    }
    console.log(
      `\n${trials} trials (${trials - [...perPhase.values()].reduce((n, s) => n + s.finishedFirst, 0)} killed mid-operation), ` +
        `${failures.length} failures (seed ${seed}, ${((Date.now() - startedAt) / 60000).toFixed(1)} min)`,
    );
    for (const f of failures) console.log(`FAILURE ${f}`);
    console.log(`Reproduce: npm run bench -- crash ${trials} ${seed}`);
    if (failures.length > 0) throw new Error(`${failures.length} crash trial failure(s)`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
