import type { TrainConfig } from '../../common/training';
import type { HeadDataset } from '../ml/head/head-dataset';
import type { View } from '../ml/preprocess';
import type { SnapshotItem } from './experiments';
import type { TrainingData } from './training-data';

export interface EmbeddedItem {
  item: SnapshotItem;
  vectors: Partial<Record<View, Float32Array>>;
}

export interface HeldOutSet {
  items: SnapshotItem[];
  x: Float32Array;
  y: Int32Array;
  xFlip?: Float32Array;
}

export interface RunDataset {
  head: HeadDataset;
  val: HeldOutSet;
  test: HeldOutSet;
}

/** n vectors of `dim` floats → one row-major n × dim matrix. */
export function pack(vectors: Float32Array[], dim: number): Float32Array {
  const out = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => {
    out.set(v, i * dim);
  });
  return out;
}

/**
 * Embedding vectors → the head's dataset, classes indexed in snapshot order. Mirror images
 * join the training set as extra examples (augmentation) and the held-out sets as a second
 * view for test-time averaging, as the config says. Photos that failed to embed are left out.
 */
export function buildHeadDataset(
  data: TrainingData,
  vectors: Map<string, Partial<Record<View, Float32Array>>>,
  dim: number,
  config: Pick<TrainConfig, 'augmentFlip' | 'flipTestTime'>,
): RunDataset {
  const classIndex = new Map(data.snapshot.classes.map((c, i) => [c.id, i]));
  const trainX: Float32Array[] = [];
  const trainY: number[] = [];
  const heldOut = (split: 'val' | 'test'): HeldOutSet => {
    const items = data.items.filter((i) => i.split === split && vectors.get(i.contentHash)?.original);
    const views = items.map((i) => vectors.get(i.contentHash)!);
    const flips =
      config.flipTestTime && views.every((v) => v.hflip)
        ? pack(
            views.map((v) => v.hflip!),
            dim,
          )
        : undefined;
    return {
      items,
      x: pack(
        views.map((v) => v.original!),
        dim,
      ),
      y: Int32Array.from(items.map((i) => classIndex.get(i.classId)!)),
      xFlip: flips,
    };
  };
  for (const item of data.items) {
    const v = vectors.get(item.contentHash);
    if (item.split !== 'train' || !v?.original) continue;
    trainX.push(v.original);
    trainY.push(classIndex.get(item.classId)!);
    if (config.augmentFlip && v.hflip) {
      trainX.push(v.hflip);
      trainY.push(classIndex.get(item.classId)!);
    }
  }
  const val = heldOut('val');
  const test = heldOut('test');
  return {
    head: {
      dim,
      classCount: data.snapshot.classes.length,
      train: { x: pack(trainX, dim), y: Int32Array.from(trainY) },
      val: { x: val.x, y: val.y, ...(val.xFlip ? { xFlip: val.xFlip } : {}) },
    },
    val,
    test,
  };
}
