// `graft backbones compare --project NAME`: the "Compare backbones" table in the terminal.
import {
  type BackboneCompareFinished,
  type BackboneCompareProgress,
  type BackboneComparison,
  comparisonVerdict,
} from '../../common/backbone-compare';
import type { GraftApp } from '../services/graft-app';
import { projectNamed } from './health-commands';
import type { CliIo } from './terminal-text';

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The ranked table as text lines: rank, accuracy ± spread, speed, backbone; skipped ones with their reason. */
export function comparisonLines(c: BackboneComparison): string[] {
  const lines = [
    `${c.photos} labelled photos, ${c.classes} classes; linear probe, ${c.folds}-fold cross-validation (seed ${c.seed})${c.foldsNote ? ` — ${c.foldsNote}` : ''}; ${c.seconds.toFixed(1)} s`,
    '  #  accuracy ± spread   photos/s  backbone',
  ];
  c.rows.forEach((r, i) => {
    const name = `${r.name} (${r.backboneId}, ${r.featureDim}-d)${r.isDefault ? ' [default]' : ''}`;
    if (r.status === 'skipped') {
      lines.push(`  -  skipped                      ${name}: ${r.reason}`);
      return;
    }
    const accuracy = `${percent(r.accuracy ?? 0)} ± ${percent(r.spread ?? 0)}`.padEnd(17);
    const speed = (r.photosPerSecond === null ? 'cached' : r.photosPerSecond.toFixed(1)).padStart(8);
    const failed = r.failed > 0 ? `; ${r.failed} photos could not be read` : '';
    lines.push(`${String(i + 1).padStart(3)}  ${accuracy}  ${speed}  ${name}${failed}`);
  });
  return lines;
}

/**
 * Compares every backbone (or the ones named) on the project's labelled photos (progress every 2 s) and prints the
 * ranked table. Returns 0, or 1 when the comparison failed or was cancelled.
 */
export async function backboneCompareCommand(
  app: GraftApp,
  io: CliIo,
  options: { project: string; backbones?: string[] },
): Promise<number> {
  const project = projectNamed(app, options.project);
  const backboneIds = options.backbones?.map((b) => app.backbones.find(b).id);
  let lastLine = 0;
  let ending: BackboneCompareFinished | null = null;
  const unsubscribe = app.ctx.events.subscribe((event, payload) => {
    if (event === 'backbones:compareFinished') ending = payload as BackboneCompareFinished;
    if (event !== 'backbones:compareProgress') return;
    const p = payload as BackboneCompareProgress;
    if (Date.now() - lastLine < 2000 && p.done !== p.total) return;
    lastLine = Date.now();
    const what = p.phase === 'embedding' ? `embedding ${p.done}/${p.total} photos` : `probe fold ${p.done}/${p.total}`;
    io.out(`  [${p.backboneIndex}/${p.backboneCount}] ${p.backboneName}: ${what}`);
  });
  let comparison: BackboneComparison | null;
  try {
    comparison = await app.backboneCompare.start(project.id, backboneIds).done;
  } finally {
    unsubscribe();
  }
  if (!comparison) {
    const end = ending as BackboneCompareFinished | null;
    io.err(
      `The comparison ${end?.status === 'cancelled' ? 'was cancelled' : `failed: ${end?.error ?? 'unknown error'}`}.`,
    );
    return 1;
  }
  io.out(`Backbones compared on “${project.name}”:`);
  for (const line of comparisonLines(comparison)) io.out(line);
  const { winner, message } = comparisonVerdict(comparison);
  io.out(message);
  if (winner)
    io.out(
      `Train with the best: graft train --project ${JSON.stringify(project.name)} --backbone ${winner.backboneId}`,
    );
  return 0;
}
