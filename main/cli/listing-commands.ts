// Read-only commands: what projects exist, a project's runs, one run in full.
import { GraftError } from '../../common/errors';
import { techniqueLabel } from '../../common/technique';
import type { TrainConfig } from '../../common/training';
import type { GraftApp } from '../services/graft-app';
import type { CliIo } from './terminal-text';
import { backboneLabel, metricsTable, percent } from './train-command';

/** `graft projects`: one line per project, most recently used first. */
export function projectsCommand(app: GraftApp, io: CliIo): void {
  const projects = app.projects.list();
  if (projects.length === 0) {
    io.out('No projects yet. `graft import --project NAME FOLDER` creates one.');
    return;
  }
  for (const p of projects) {
    io.out(
      `“${p.name}”: ${p.imageCount} photos, ${p.labelledCount} labelled${p.problemCount ? `, ${p.problemCount} with a problem (unreadable, missing or in two class folders)` : ''}`,
    );
  }
}

/** The technique column's width: its longest label, "Fine-tuning (stage 1 kept)". */
const TECHNIQUE_WIDTH = 26;

/** `graft experiments --project NAME`: the project's runs, newest first. */
export function experimentsCommand(app: GraftApp, io: CliIo, projectName: string): void {
  const project = app.projects.findByName(projectName);
  if (!project) throw new GraftError('PROJECT_NOT_FOUND', `There is no project named “${projectName}”.`);
  const runs = app.experiments.list(project.id);
  if (runs.length === 0) {
    io.out(`“${project.name}” has no training runs yet. \`graft train --project NAME\` starts one.`);
    return;
  }
  io.out('Commands take a run by its id (first column): graft show ID, --experiment ID, --model ID.');
  io.out(`   id  status     validation accuracy  ${'technique'.padEnd(TECHNIQUE_WIDTH)}  backbone`);
  for (const r of runs) {
    io.out(
      `${String(r.id).padStart(5)}  ${r.status.padEnd(9)}  ${percent(r.valAccuracy).padStart(19)}  ${techniqueLabel(r).padEnd(TECHNIQUE_WIDTH)}  ${backboneLabel(app, r.backboneId)}  “${r.name}”`,
    );
  }
}

function onOff(value: boolean): string {
  return value ? 'on' : 'off';
}

/** A run's settings in words, not setting keys. */
export function settingsLines(c: TrainConfig): string[] {
  return [
    `  technique ${c.technique}, seed ${c.seed}`,
    `  up to ${c.maxEpochs} epochs, stopping after ${c.patience} without improvement; batches of ${c.batchSize}`,
    `  learning rate ${c.learningRate} (${c.schedule}); hidden units ${c.hiddenUnits || 'none'}; dropout ${c.dropout}; L2 ${c.l2}; label smoothing ${c.labelSmoothing}`,
    `  class weighting ${onOff(c.classWeighting)}; mirror-image training copies ${onOff(c.augmentFlip)}; averaging with the mirror image when predicting ${onOff(c.flipTestTime)}`,
  ];
}

/** `graft show RUN`: the run's metrics, dataset and settings. */
export function showCommand(app: GraftApp, io: CliIo, runId: number): void {
  const run = app.experiments.get(runId);
  for (const line of metricsTable(run, backboneLabel(app, run.backboneId))) io.out(line);
  io.out(`  photos per class (train/validation/test), ${run.snapshot.imageCount} in all:`);
  for (const c of run.snapshot.classes) io.out(`    ${c.name}: ${c.counts.train}/${c.counts.val}/${c.counts.test}`);
  io.out('  settings:');
  for (const line of settingsLines(run.config)) io.out(`  ${line}`);
  if (run.note) io.out(`  note: ${run.note}`);
}
