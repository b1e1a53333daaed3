import type { Id, LabelOrigin, Split } from '../../../common/contract';
import { DEFAULT_HEAD_CONFIG } from '../../ml/head/head-config';
import type { ServiceContext } from '../context';
import type { SplitService } from '../splits';
import { collectTrainingData } from '../training-data';

/** A labelled photo as dataset health and the dataset export see it. */
export interface HealthPhotoRow {
  imageId: Id;
  contentHash: string;
  relPath: string;
  classId: Id;
  className: string;
  split: Split;
  origin: LabelOrigin;
  width: number | null;
  height: number | null;
}

/**
 * The photos a training run would use (training-data's rules: readable, labelled, not in a label
 * conflict, not excluded), photos still without a split placed as a run would place them
 * (seeded, nothing written), with class name, label origin and pixel size.
 */
export function healthPhotos(ctx: ServiceContext, splits: SplitService, projectId: Id): HealthPhotoRow[] {
  const data = splits.whatIfAssigned(projectId, DEFAULT_HEAD_CONFIG.seed, () => collectTrainingData(ctx, projectId));
  const names = new Map(data.snapshot.classes.map((c) => [c.id, c.name]));
  const details = ctx.db.prepare(
    `SELECT i.width, i.height, l.origin FROM images i JOIN labels l ON l.image_id = i.id WHERE i.id = ?`,
  );
  return data.items.map((item) => {
    const d = details.get(item.imageId) as { width: number | null; height: number | null; origin: LabelOrigin };
    return {
      imageId: item.imageId,
      contentHash: item.contentHash,
      relPath: data.relPaths.get(item.imageId) ?? item.name,
      classId: item.classId,
      className: names.get(item.classId) ?? '',
      split: item.split,
      origin: d.origin,
      width: d.width,
      height: d.height,
    };
  });
}
