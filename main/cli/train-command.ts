import { GraftError } from '../../common/errors';
import type { ExperimentDetail, TrainConfig, TrainingProgress } from '../../common/training';
import type { GraftApp } from '../services/graft-app';
import type { CliIo } from './terminal-text';

function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)}%`;
}

/** The metrics table `graft train` prints when a run ends. */
export function metricsTable(run: ExperimentDetail): string[] {
  const lines = [
    `Experiment ${run.id} “${run.name}”: ${run.status} in ${run.durationSeconds?.toFixed(1) ?? '?'} s (backbone ${run.backboneId})`,
  ];
  const m = run.metrics;
  if (!m) return run.error ? [...lines, `  ${run.error}`] : lines;
  lines.push(
    `  embedded ${m.embeddedImages} photos (${m.embeddingImagesPerSecond.toFixed(1)}/s), ${m.cachedImages} from cache, ${m.skippedImages} skipped; best epoch ${m.bestEpoch}${m.stoppedEarly ? ' (stopped early)' : ''}; tfjs backend ${m.backend}`,
  );
  for (const evaluation of [m.val, m.test]) {
    if (!evaluation) continue;
    lines.push(
      `  ${evaluation.split.padEnd(5)} accuracy ${percent(evaluation.accuracy)}  macro-F1 ${evaluation.macroF1.toFixed(3)}  log loss ${evaluation.logLoss.toFixed(3)}  (${evaluation.count} photos)`,
    );
  }
  if (m.val) {
    lines.push('  class                precision  recall     F1  support');
    for (const c of m.val.perClass) {
      const name = run.snapshot.classes.find((s) => s.id === c.classId)?.name ?? String(c.classId);
      lines.push(
        `  ${name.slice(0, 20).padEnd(20)} ${percent(c.precision).padStart(9)} ${percent(c.recall).padStart(7)} ${c.f1.toFixed(3).padStart(6)} ${String(c.support).padStart(8)}`,
      );
    }
  }
  return lines;
}

export async function trainCommand(
  app: GraftApp,
  io: CliIo,
  options: { project: string; config: Partial<TrainConfig> },
): Promise<ExperimentDetail> {
  const project = app.projects.findByName(options.project);
  if (!project) throw new GraftError('PROJECT_NOT_FOUND', `There is no project named “${options.project}”.`);
  for (const w of app.training.preflight(project.id, options.config).warnings) io.out(`${w.level}: ${w.message}`);
  let last = 0;
  const unsubscribe = app.ctx.events.subscribe((event, payload) => {
    if (event === 'training:progress') {
      const p = payload as TrainingProgress;
      if (Date.now() - last < 2000 && p.done !== p.total) return;
      last = Date.now();
      io.out(
        `  ${p.phase} ${p.done}/${p.total}${p.imagesPerSecond ? `, ${p.imagesPerSecond.toFixed(1)} photos/s` : ''}`,
      );
    }
  });
  try {
    const run = app.training.start(project.id, options.config);
    io.out(`Training experiment ${run.experimentId} on “${project.name}”…`);
    await run.done;
    const detail = app.experiments.get(run.experimentId);
    for (const line of metricsTable(detail)) io.out(line);
    return detail;
  } finally {
    unsubscribe();
  }
}
