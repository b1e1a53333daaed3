// Frozen-backbone embeddings are computed once per photo and reused by every experiment.
// A cached vector is valid for exactly one (photo content, backbone numbers, preprocessing
// code, view) tuple; the caller stores vectors wherever it likes (the app: SQLite).
import type { View } from '../preprocess';

export interface EmbeddingKey {
  /** sha256 of the photo file's bytes. */
  contentHash: string;
  /** PreparedBackbone.embeddingModelId: backbone id and version (network, taps, preprocessing spec). */
  backboneId: string;
  /** PREPROCESSING_VERSION of the code that produced the vector. */
  preprocessingVersion: number;
  view: View;
}

export interface EmbeddingCache {
  get(key: EmbeddingKey): Float32Array | undefined;
  put(key: EmbeddingKey, vector: Float32Array): void;
}

/** A stable text form of a key, for maps and database columns. */
export function embeddingKeyString(key: EmbeddingKey): string {
  return `${key.backboneId}|p${key.preprocessingVersion}|${key.view}|${key.contentHash}`;
}

/** In-memory cache, for tests, benchmarks and one-off runs. */
export class MemoryEmbeddingCache implements EmbeddingCache {
  private readonly map = new Map<string, Float32Array>();

  get(key: EmbeddingKey): Float32Array | undefined {
    return this.map.get(embeddingKeyString(key));
  }

  put(key: EmbeddingKey, vector: Float32Array): void {
    this.map.set(embeddingKeyString(key), vector);
  }

  get size(): number {
    return this.map.size;
  }
}
