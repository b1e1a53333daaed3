import type { GraftApi, Id } from '../../../common/contract';
import type { HealthFinding, HealthFix } from '../../../common/health';

/**
 * The photos an exclude fix leaves out: a leak's held-out copies (training keeps its copy), all
 * but the first of near copies within a split (one stays), else every photo of the finding.
 */
export function photosToExclude(finding: HealthFinding): Id[] {
  if (finding.kind === 'leakage' && finding.moveTo) return finding.moveTo.imageIds;
  if (finding.kind === 'near-duplicate') return finding.photos.slice(1).map((p) => p.imageId);
  return finding.photos.map((p) => p.imageId);
}

/**
 * Applies one fix of a finding through the ordinary calls: a label conflict is resolved
 * (`labels:resolveConflict`, a class or null to exclude); relabel assigns `classId` to the
 * finding's photos; move-split moves `moveTo`; exclude and keep go to the health calls.
 */
export async function applyHealthFix(
  api: GraftApi,
  projectId: Id,
  finding: HealthFinding,
  fix: HealthFix,
  classId: Id | null,
): Promise<void> {
  if (finding.conflictId !== null && (fix === 'relabel' || fix === 'exclude')) {
    await api.call('labels:resolveConflict', {
      conflictId: finding.conflictId,
      classId: fix === 'relabel' ? classId : null,
    });
    return;
  }
  switch (fix) {
    case 'relabel':
      if (classId === null) return;
      await api.call('labels:assign', { projectId, imageIds: finding.photos.map((p) => p.imageId), classId });
      return;
    case 'move-split':
      if (finding.moveTo) await api.call('splits:set', { projectId, ...finding.moveTo });
      return;
    case 'exclude':
      await api.call('health:exclude', { projectId, imageIds: photosToExclude(finding), excluded: true });
      return;
    case 'keep':
      await api.call('health:keep', { projectId, findingKey: finding.key });
      return;
  }
}
