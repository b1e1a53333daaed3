// What the app itself computes for some photos, through its own code: the Embedder (sharp
// decode, onnxruntime backbone, combineTaps) and predictWithHead, with the mirror-image
// averaging a run may ask for. The Predict view's model (ExperimentModel) predicts through
// predictEmbedded, and an export's parity check compares the file with those very numbers.
import type { PreparedBackbone } from '../backbones/backbone-spec';
import { Embedder, type EmbedItem, type EmbedItemResult, type EmbedRunOptions } from '../embedding/embedder';
import { type HeadArtifacts, predictWithHead } from '../head/head-model';
import { decodeCrop } from '../preprocess';

export interface AppFeatures {
  /** The centre crops the backbone saw (RGB bytes, inputSize² × 3 each). */
  crops: Uint8Array[];
  /** rows × featureDim, row-major: the embeddings a head is trained on. */
  features: Float32Array;
}

export interface AppPrediction {
  /** The centre crops the backbone saw (RGB bytes, inputSize² × 3 each). */
  crops: Uint8Array[];
  /** rows × classCount, row-major. */
  probabilities: Float32Array;
}

export interface EmbeddedPrediction {
  /** One per item, in input order. */
  results: EmbedItemResult[];
  /** (readable items) × classCount, row-major, in the order of the readable items. */
  probabilities: Float32Array;
}

/**
 * The app's prediction for photos: each photo's embedding through the head's softmax, or with
 * `flipTestTime` the mean of that and of its left-right mirror image's (predictWithHead).
 * Unreadable photos are results with an error and have no row.
 */
export async function predictEmbedded(
  embedder: Embedder,
  head: HeadArtifacts,
  items: EmbedItem[],
  options: { flipTestTime: boolean } & Pick<EmbedRunOptions, 'signal' | 'onProgress' | 'cache'>,
): Promise<EmbeddedPrediction> {
  const { flipTestTime, ...run } = options;
  const embedded = await embedder.embed(items, { ...run, views: flipTestTime ? ['original', 'hflip'] : ['original'] });
  const dim = embedder.backbone.featureDim;
  const ok = embedded.results.flatMap((r) => (r.ok ? [r] : []));
  const x = new Float32Array(ok.length * dim);
  const xFlip = flipTestTime ? new Float32Array(ok.length * dim) : undefined;
  ok.forEach((r, i) => {
    x.set(r.vectors.original as Float32Array, i * dim);
    xFlip?.set(r.vectors.hflip as Float32Array, i * dim);
  });
  const probabilities = ok.length > 0 ? await predictWithHead(head, x, ok.length, xFlip) : new Float32Array(0);
  return { results: embedded.results, probabilities };
}

/** The original view's features for photos that must all be readable (test heads are trained on these). */
export async function appFeatures(backbone: PreparedBackbone, photos: Buffer[]): Promise<AppFeatures> {
  const embedder = await Embedder.open(backbone);
  const features = new Float32Array(photos.length * backbone.featureDim);
  try {
    const run = await embedder.embed(photoItems(photos));
    run.results.forEach((r, i) => {
      if (!r.ok) throw new Error(`Photo ${i} cannot be used for the parity check: ${r.error.message}`);
      features.set(r.vectors.original as Float32Array, i * backbone.featureDim);
    });
  } finally {
    await embedder.close();
  }
  return { crops: await appCrops(backbone, photos), features };
}

/** The app's probabilities for photos that must all be readable, with or without mirror averaging. */
export async function appProbabilities(
  backbone: PreparedBackbone,
  head: HeadArtifacts,
  photos: Buffer[],
  options: { flipTestTime?: boolean } = {},
): Promise<AppPrediction> {
  const embedder = await Embedder.open(backbone);
  let predicted: EmbeddedPrediction;
  try {
    predicted = await predictEmbedded(embedder, head, photoItems(photos), {
      flipTestTime: options.flipTestTime === true,
    });
  } finally {
    await embedder.close();
  }
  const failed = predicted.results.findIndex((r) => !r.ok);
  if (failed >= 0) throw new Error(`Photo ${failed} cannot be used for the parity check.`);
  return { crops: await appCrops(backbone, photos), probabilities: predicted.probabilities };
}

/** The centre crops the Embedder decodes, for feeding an exported file. */
export function appCrops(backbone: PreparedBackbone, photos: Buffer[]): Promise<Uint8Array[]> {
  return Promise.all(photos.map((p) => decodeCrop(p, backbone.preprocessing)));
}

function photoItems(photos: Buffer[]): EmbedItem[] {
  return photos.map((bytes, i) => ({ id: String(i), contentHash: `photo-${i}`, read: async () => bytes }));
}
