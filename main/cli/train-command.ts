import { GraftError } from '../../common/errors';
import type {
  EpochMetrics,
  ExperimentDetail,
  SplitEvaluation,
  TrainConfig,
  TrainingProgress,
} from '../../common/training';
import type { GraftApp } from '../services/graft-app';
import { type OptionValues, textOption, UsageError, wholeNumberOption } from './parse-command-line';
import { runReference } from './run-reference';
import type { CliIo } from './terminal-text';

/** How often a long phase reports its progress, in ms. */
const PROGRESS_INTERVAL_MS = 2000;

/** Why a class's scores are — (main/ml/metrics.ts gives a class with no photos in the split none). */
export const NO_SUPPORT_NOTE = '— : no photos of this class in this split; left out of macro F1.';

/** A fraction as a percentage with one decimal, or — when there is none. */
export function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)}%`;
}

/** What each evaluated split is for: validation picks the kept epoch, test is held out from every choice. */
const SPLIT_ROLE: Record<SplitEvaluation['split'], string> = {
  train: 'train',
  val: 'validation (used for early stopping)',
  test: 'test (held out)',
};

function perClassLines(run: ExperimentDetail, evaluation: SplitEvaluation): string[] {
  const lines = [`  per class on ${evaluation.split === 'val' ? 'validation' : evaluation.split}:`];
  lines.push('    class                precision  recall     F1  support');
  for (const c of evaluation.perClass) {
    const name = run.snapshot.classes.find((s) => s.id === c.classId)?.name ?? String(c.classId);
    lines.push(
      `    ${name.slice(0, 20).padEnd(20)} ${percent(c.precision).padStart(9)} ${percent(c.recall).padStart(7)} ${(c.f1 === null ? '—' : c.f1.toFixed(3)).padStart(6)} ${String(c.support).padStart(8)}`,
    );
  }
  if (evaluation.perClass.some((c) => c.support === 0)) lines.push(`    ${NO_SUPPORT_NOTE}`);
  return lines;
}

/**
 * The metrics `graft train` and `graft show` print for a run: one line per evaluated split,
 * saying which split chose the kept epoch, then per-class figures for each of them.
 * @param backbone how to name the run's backbone (its name and id)
 */
export function metricsTable(run: ExperimentDetail, backbone: string): string[] {
  const lines = [
    `${runReference(run)}: ${run.status} in ${run.durationSeconds?.toFixed(1) ?? '?'} s (backbone ${backbone})`,
  ];
  const m = run.metrics;
  if (!m) return run.error ? [...lines, `  ${run.error}`] : lines;
  lines.push(
    `  embedded ${m.embeddedImages} photos (${m.embeddingImagesPerSecond.toFixed(1)}/s), ${m.cachedImages} from cache, ${m.skippedImages} skipped; kept epoch ${m.bestEpoch}${m.stoppedEarly ? ' (stopped early)' : ''}; tfjs backend ${m.backend}`,
  );
  if (m.fineTune) {
    const f = m.fineTune;
    lines.push(
      `  fine-tuning: blocks ${f.unfrozenBlocks.join(', ')} unfrozen; stage 1 ${f.stage1Epochs} epochs (best ${f.stage1BestEpoch}), stage 2 ${f.stage2Epochs} epochs (best ${f.stage2BestEpoch}); ${f.keptStage === 2 ? 'stage 2 kept' : 'stage 1 kept: stage 2 did not lower the validation loss'}`,
    );
  }
  const evaluations = [m.val, m.test].filter((e): e is SplitEvaluation => e !== null);
  for (const e of evaluations) {
    lines.push(
      `  ${SPLIT_ROLE[e.split]}: accuracy ${percent(e.accuracy)}  macro-F1 ${e.macroF1.toFixed(3)}  log loss ${e.logLoss.toFixed(3)}  (${e.count} photos)`,
    );
  }
  if (!m.test) lines.push('  no test split: these figures come from the split that also chose the kept epoch');
  for (const e of evaluations) lines.push(...perClassLines(run, e));
  return lines;
}

/** A backbone as a person knows it: “name” (id), or the bare id when it is no longer listed. */
export function backboneLabel(app: GraftApp, id: string): string {
  const info = app.backbones.list().find((b) => b.id === id);
  return info && info.name !== id ? `“${info.name}” (${id})` : id;
}

/**
 * Prints a phase when it starts, its counts at most every PROGRESS_INTERVAL_MS once work is
 * under way, and its end when the service reports one: never a "0/1" left hanging. Epoch lines
 * share that clock (fast ones, feature extraction and fine-tuning's stage 1, at most every
 * interval), except fine-tuning's stage-2 epochs: each is printed, as there are few and each is slow.
 */
export function progressPrinter(io: CliIo) {
  let phase = '';
  let total = 0;
  let last = 0;
  let firstOfStage2: number | null = null;
  return {
    progress(p: Pick<TrainingProgress, 'done' | 'total' | 'imagesPerSecond'> & { phase: string }) {
      if (p.phase !== phase) {
        phase = p.phase;
        total = p.total;
        last = Date.now();
        io.out(`  ${p.phase}…`);
        return;
      }
      if (p.done === 0 || (p.done !== p.total && Date.now() - last < PROGRESS_INTERVAL_MS)) return;
      last = Date.now();
      io.out(
        `  ${p.phase} ${p.done}/${p.total}${p.imagesPerSecond ? `, ${p.imagesPerSecond.toFixed(1)} photos/s` : ''}`,
      );
    },
    /** An epoch of the training phase, whose total is the epoch limit; a fine-tuning run's counted within its stage. */
    epoch(e: EpochMetrics) {
      if (e.stage === 2) firstOfStage2 ??= e.epoch;
      if (e.stage !== 2 && Date.now() - last < PROGRESS_INTERVAL_MS) return;
      last = Date.now();
      const n = e.stage === 2 && firstOfStage2 !== null ? e.epoch - firstOfStage2 + 1 : e.epoch;
      io.out(
        `  ${e.stage ? `stage ${e.stage} ` : ''}epoch ${n}/${total}: validation accuracy ${percent(e.valAccuracy)}`,
      );
    },
  };
}

/**
 * The run settings `graft train` takes: --backbone, --seed, --technique (feature-extraction or
 * fine-tune) and --unfreeze N (fine-tuning only). @throws UsageError for a value out of range
 */
export function trainConfigOptions(line: { command: string; values: OptionValues }): Partial<TrainConfig> {
  const config: Partial<TrainConfig> = {};
  const backboneId = textOption(line, 'backbone');
  if (backboneId) config.backboneId = backboneId;
  const seed = wholeNumberOption(line, 'seed', { min: 0, max: 2 ** 31 - 1 });
  if (seed !== undefined) config.seed = seed;
  const technique = textOption(line, 'technique');
  if (technique !== undefined) {
    if (technique !== 'feature-extraction' && technique !== 'fine-tune') {
      throw new UsageError('--technique is feature-extraction or fine-tune', line.command);
    }
    config.technique = technique;
  }
  const unfreeze = wholeNumberOption(line, 'unfreeze', { min: 1, max: 64 });
  if (unfreeze !== undefined) {
    if (config.technique !== 'fine-tune') throw new UsageError('--unfreeze needs --technique fine-tune', line.command);
    config.unfreezeBlocks = unfreeze;
  }
  return config;
}

export async function trainCommand(
  app: GraftApp,
  io: CliIo,
  options: { project: string; config: Partial<TrainConfig> },
): Promise<ExperimentDetail> {
  const project = app.projects.findByName(options.project);
  if (!project) throw new GraftError('PROJECT_NOT_FOUND', `There is no project named “${options.project}”.`);
  const config = { ...options.config };
  if (config.backboneId) config.backboneId = app.backbones.find(config.backboneId).id;
  for (const w of (await app.training.preflight(project.id, config)).warnings) io.out(`${w.level}: ${w.message}`);
  const printer = progressPrinter(io);
  const unsubscribe = app.ctx.events.subscribe((event, payload) => {
    if (event === 'training:progress') printer.progress(payload as TrainingProgress);
    if (event === 'training:epoch') printer.epoch((payload as { epoch: EpochMetrics }).epoch);
  });
  try {
    const run = app.training.start(project.id, config);
    const backbone = backboneLabel(app, app.experiments.get(run.experimentId).backboneId);
    io.out(`Training experiment ${run.experimentId} on “${project.name}” with backbone ${backbone}…`);
    await run.done;
    const detail = app.experiments.get(run.experimentId);
    for (const line of metricsTable(detail, backbone)) io.out(line);
    return detail;
  } finally {
    unsubscribe();
  }
}
