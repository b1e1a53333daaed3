import type { ImportSummary } from '../../common/contract';
import { rendererDir } from '../app-root';
import { startHost } from '../host/host-server';
import type { GraftApp } from '../services/graft-app';
import { openInBrowser } from './open-browser';
import type { CliIo } from './terminal-text';

export async function serveCommand(app: GraftApp, io: CliIo, options: { port?: number; open: boolean }) {
  const host = await startHost({ app, rendererDir: rendererDir(), port: options.port });
  const url = `${host.url}#token=${host.token}`;
  io.out(`Graft is running at ${url}`);
  io.out(`Data directory: ${app.ctx.paths.root}`);
  if (options.open) openInBrowser(url);
  return host;
}

/**
 * What a folder import with labels from folder names found: the classes with their photo counts and,
 * when split folders (train/, val/, test/) were recognised, the photos per split they gave.
 */
function foundLines(app: GraftApp, projectId: number): string[] {
  const classes = app.classes.list(projectId);
  const lines = [`  classes: ${classes.map((c) => `${c.name} (${c.count})`).join(', ') || 'none'}`];
  const fromFolders = app.splits.summary(projectId).sources.folders;
  if (fromFolders.train + fromFolders.val + fromFolders.test > 0) {
    lines.push(
      `  splits from folder names: ${fromFolders.train} train, ${fromFolders.val} val, ${fromFolders.test} test`,
    );
  }
  return lines;
}

export async function importCommand(
  app: GraftApp,
  io: CliIo,
  options: { project: string; folder: string; labelsFromFolders: boolean },
): Promise<ImportSummary> {
  const existing = app.projects.findByName(options.project);
  const project = existing ?? app.projects.create(options.project);
  // A project this command created is removed again if its first import does not finish,
  // so a failed `graft import` leaves the database as it found it.
  const forget = () => {
    if (!existing) app.projects.delete(project.id);
  };
  let folder: ReturnType<GraftApp['folders']['add']>;
  try {
    folder = app.folders.add(project.id, options.folder, options.labelsFromFolders);
  } catch (err) {
    forget();
    throw err;
  }
  let lastLine = 0;
  const unsubscribe = app.ctx.events.subscribe((event, payload) => {
    if (event !== 'import:progress') return;
    const p = payload as import('../../common/contract').ImportProgress;
    if (p.done === 0 || (Date.now() - lastLine < 2000 && p.done !== p.total)) return;
    lastLine = Date.now();
    io.out(
      `  ${p.done}/${p.total} photos, ${p.photosPerSecond} photos/s${p.etaSeconds !== null ? `, ${p.etaSeconds}s left` : ''}`,
    );
  });
  try {
    const summary = await app.importer.start(folder.id).done.catch((err: unknown) => {
      forget();
      throw err;
    });
    if (summary.status !== 'finished') {
      forget();
      io.out(`Import ${summary.status}: ${summary.error ?? 'no photos were imported'}`);
      return summary;
    }
    io.out(
      `Imported ${folder.path} into “${project.name}”: ${summary.added} added, ${summary.updated} updated, ` +
        `${summary.unchanged} unchanged, ${summary.duplicates} duplicates, ${summary.unreadable} unreadable, ` +
        `${summary.missing} missing, ${summary.labelled} labelled from folder names (${summary.seconds.toFixed(1)} s).`,
    );
    if (options.labelsFromFolders) for (const line of foundLines(app, project.id)) io.out(line);
    if (summary.conflicts > 0) {
      io.out(
        `  ! ${summary.conflicts} ${summary.conflicts === 1 ? 'photo appears' : 'photos appear'} in more than one class folder: left out of training until you choose its class in the app’s Health view (Label conflicts); graft health lists them.`,
      );
    }
    if (summary.labelNote) io.out(`  ! ${summary.labelNote}`);
    // Label conflicts are summed up above; the rest are files that could not be read.
    for (const problem of app.images.problems(project.id).filter((p) => p.errorCode !== 'LABEL_CONFLICT')) {
      io.out(`  ! ${problem.relPath}: ${problem.error}`);
    }
    for (const entry of summary.skipped) io.out(`  - ${entry.relPath}: ${entry.message}`);
    const unlisted = summary.skippedTotal - summary.skipped.length;
    if (unlisted > 0) io.out(`  - and ${unlisted} more not read as photos`);
    if (summary.hidden > 0) io.out(`  (${summary.hidden} hidden ${summary.hidden === 1 ? 'file' : 'files'} left out)`);
    return summary;
  } finally {
    unsubscribe();
  }
}
