// What the app itself computes for some photos, through its own code: the Embedder (sharp
// decode, onnxruntime backbone, combineTaps) and predictWithHead. An export's parity check
// compares against these numbers, fed with the very crops the Embedder decoded.
import type { PreparedBackbone } from '../backbones/backbone-spec';
import { Embedder } from '../embedding/embedder';
import { type HeadArtifacts, predictWithHead } from '../head/head-model';
import { decodeCrop } from '../preprocess';

export interface AppFeatures {
  /** The centre crops the backbone saw (RGB bytes, inputSize² × 3 each). */
  crops: Uint8Array[];
  /** rows × featureDim, row-major: the embeddings a head is trained on. */
  features: Float32Array;
}

export interface AppPrediction extends AppFeatures {
  /** rows × classCount, row-major. */
  probabilities: Float32Array;
}

export async function appFeatures(backbone: PreparedBackbone, photos: Buffer[]): Promise<AppFeatures> {
  const embedder = await Embedder.open(backbone);
  const features = new Float32Array(photos.length * backbone.featureDim);
  try {
    const run = await embedder.embed(
      photos.map((bytes, i) => ({ id: String(i), contentHash: `photo-${i}`, read: async () => bytes })),
    );
    run.results.forEach((r, i) => {
      if (!r.ok) throw new Error(`Photo ${i} cannot be used for the parity check: ${r.error.message}`);
      features.set(r.vectors.original as Float32Array, i * backbone.featureDim);
    });
  } finally {
    await embedder.close();
  }
  const crops = await Promise.all(photos.map((p) => decodeCrop(p, backbone.preprocessing)));
  return { crops, features };
}

export async function appProbabilities(
  backbone: PreparedBackbone,
  head: HeadArtifacts,
  photos: Buffer[],
): Promise<AppPrediction> {
  const { crops, features } = await appFeatures(backbone, photos);
  return { crops, features, probabilities: await predictWithHead(head, features, photos.length) };
}
