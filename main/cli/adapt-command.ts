// `graft adapt`: adapt a finished run to a folder of new-domain photos and print source-only vs
// adapted on both domains.
import path from 'node:path';
import {
  ADAPTATION_METHODS,
  type AdaptationMethod,
  type AdaptationProgress,
  type DomainMeasures,
} from '../../common/adaptation';
import { ADAPTATION_METHOD_WORDS, adaptationVerdict } from '../../common/adaptation-verdict';
import { GraftError } from '../../common/errors';
import type { GraftApp } from '../services/graft-app';
import { runReference } from './run-reference';
import type { CliIo } from './terminal-text';
import { percent, progressPrinter } from './train-command';

function row(label: string, m: DomainMeasures): string {
  return `  ${label.padEnd(12)} ${percent(m.targetTest?.accuracy).padStart(11)} ${percent(m.sourceVal?.accuracy).padStart(10)} ${percent(m.target.meanConfidence).padStart(15)} ${Math.max(
    ...m.target.classProportions,
  )
    .toFixed(2)
    .padStart(17)} ${m.domainDistance.toFixed(4).padStart(9)}`;
}

/**
 * `graft adapt --experiment RUN --target FOLDER [--method M] [--seed N] [--target-labels-from-folders]`:
 * adds FOLDER to the run's project as new-domain photos (imported if new; with folder labels only
 * to measure), adapts, prints the before/after table. Returns 0 when the adaptation finished.
 */
export async function adaptCommand(
  app: GraftApp,
  io: CliIo,
  options: { experimentId: number; target: string; method?: string; seed?: number; labelsFromFolders: boolean },
): Promise<number> {
  const method = options.method ?? undefined;
  if (method !== undefined && !(ADAPTATION_METHODS as readonly string[]).includes(method)) {
    throw new GraftError('BAD_REQUEST', `--method must be one of ${ADAPTATION_METHODS.join(', ')}.`);
  }
  // Nothing changes (no folder added, imported or marked) until the run is known to be adaptable.
  const { source } = app.adaptation.adaptable(options.experimentId);
  const dir = path.resolve(options.target);
  const existing = app.folders.list(source.projectId).find((f) => f.path === dir);
  const learnt = existing ? app.adaptation.photosTrainedOnIn(options.experimentId, existing.id) : 0;
  if (existing && learnt > 0) {
    throw new GraftError(
      'CONFLICT',
      `${dir} holds ${learnt} photo${learnt === 1 ? '' : 's'} ${source.name} learnt from, so it is not a new domain for it and stays a training folder. Give a folder of photos from the new domain.`,
    );
  }
  const folder = existing ?? app.folders.add(source.projectId, dir, options.labelsFromFolders);
  const imported = await app.importer.start(folder.id).done;
  app.domains.setFolderDomain(folder.id, 'target');
  io.out(
    `New-domain photos: ${imported.added} added from ${dir} (${app.domains.counts(source.projectId)[1].photos} in all).`,
  );
  const run = app.adaptation.start(options.experimentId, {
    method: method as AdaptationMethod | undefined,
    seed: options.seed,
  });
  const printer = progressPrinter(io);
  const unsubscribe = app.ctx.events.subscribe((event, payload) => {
    const p = payload as AdaptationProgress;
    if (event === 'adaptation:progress' && p.experimentId === run.experimentId) printer.progress(p);
  });
  await run.done.finally(unsubscribe);
  const detail = app.experiments.get(run.experimentId);
  if (detail.status !== 'finished') {
    io.out(`${runReference(detail)}: ${detail.status}. ${detail.error ?? ''}`);
    return 1;
  }
  const report = await app.adaptation.report(run.experimentId);
  io.out(
    `${runReference(detail)}: ${ADAPTATION_METHOD_WORDS[report.method]} on ${report.targetSnapshot.count} new-domain photos (${report.targetSnapshot.labelled} labelled, used only to measure${report.targetSnapshot.excluded ? `; ${report.targetSnapshot.excluded} the run learnt from left out` : ''}) in ${report.adaptSeconds.toFixed(1)} s`,
  );
  io.out('  model        target test  source val  mean confidence  largest class share  distance');
  io.out(row('source-only', report.before));
  io.out(row('adapted', report.after));
  const verdict = adaptationVerdict(report);
  io.out(`Verdict: ${verdict.text}`);
  for (const caution of verdict.cautions) io.out(`Caution: ${caution}`);
  return 0;
}
