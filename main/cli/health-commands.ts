// `graft health` and `graft dataset-export`: dataset health findings in the terminal, and the
// labelled set as an ImageFolder tree for other training engines.
import path from 'node:path';
import { GraftError } from '../../common/errors';
import type { HealthProgress } from '../../common/health';
import { exportDataset } from '../services/dataset-export';
import type { GraftApp } from '../services/graft-app';
import type { CliIo } from './terminal-text';

/** Photos printed per finding; the rest are counted. */
const PHOTOS_SHOWN = 5;

/** The project called `name`; PROJECT_NOT_FOUND when there is none. */
export function projectNamed(app: GraftApp, name: string) {
  const project = app.projects.findByName(name);
  if (!project) throw new GraftError('PROJECT_NOT_FOUND', `There is no project named “${name}”.`);
  return project;
}

/**
 * `graft health --project NAME [--backbone NAME|ID]`: fills the missing hashes and embeddings
 * (progress every 2 s), then prints every finding with its photos. Returns 0, or 1 when a check
 * failed or the findings include errors (label conflicts, leakage), so scripts can stop on them.
 */
export async function healthCommand(
  app: GraftApp,
  io: CliIo,
  options: { project: string; backbone?: string },
): Promise<number> {
  const project = projectNamed(app, options.project);
  const backboneId = options.backbone ? app.backbones.find(options.backbone).id : undefined;
  let lastLine = 0;
  const unsubscribe = app.ctx.events.subscribe((event, payload) => {
    if (event !== 'health:progress') return;
    const p = payload as HealthProgress;
    if (p.done === 0 || (Date.now() - lastLine < 2000 && p.done !== p.total)) return;
    lastLine = Date.now();
    io.out(`  ${p.phase} ${p.done}/${p.total} photos`);
  });
  try {
    await app.health.check(project.id, backboneId).done;
  } finally {
    unsubscribe();
  }
  const report = await app.health.report(project.id, backboneId);
  io.out(
    `Dataset health of “${project.name}”: ${report.photos} labelled photos, ${report.findings.length} findings` +
      `${report.excluded ? `, ${report.excluded} photos excluded from training` : ''}` +
      `${report.kept ? `, ${report.kept} findings kept without warning` : ''}` +
      `${report.missing ? `, ${report.missing} photos could not be read (no hash or embedding)` : ''}.`,
  );
  for (const f of report.findings) {
    io.out(`[${f.severity}] ${f.kind}: ${f.title}`);
    io.out(`    ${f.detail}`);
    for (const p of f.photos.slice(0, PHOTOS_SHOWN)) {
      io.out(`    - ${p.relPath}  (${p.className ?? 'no class'}${p.split ? `, ${p.split}` : ''}, photo ${p.imageId})`);
    }
    if (f.photos.length > PHOTOS_SHOWN) io.out(`    - and ${f.photos.length - PHOTOS_SHOWN} more`);
  }
  return report.findings.some((f) => f.severity === 'error') ? 1 : 0;
}

/**
 * `graft dataset-export --project NAME --out DIR`: the labelled set as `DIR/split/class/file`
 * with manifest.csv and manifest.json; DIR must not exist yet.
 */
export async function datasetExportCommand(app: GraftApp, io: CliIo, options: { project: string; out: string }) {
  const project = projectNamed(app, options.project);
  const out = path.resolve(options.out);
  const summary = await exportDataset(
    app.ctx,
    app.splits,
    app.images,
    project.id,
    path.dirname(out),
    path.basename(out),
  );
  io.out(
    `Exported ${summary.photos} photos of “${project.name}” to ${summary.folder} (${summary.hardLinked} hard links, ${summary.copied} copies), with manifest.csv and manifest.json.`,
  );
  for (const f of summary.failed) io.out(`  ! ${f.relPath}: ${f.reason}`);
  return summary.failed.length > 0 ? 1 : 0;
}
