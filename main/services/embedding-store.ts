import type { Db } from '../db/connection';
import type { EmbeddingCache, EmbeddingKey } from '../ml/embedding/embedding-cache';

/** A stored vector as floats, copied into an aligned buffer: a Buffer's offset into its pool need not be 4-byte aligned. */
function vectorOf(blob: Buffer): Float32Array {
  const bytes = new Uint8Array(blob);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** The embedding cache in SQLite: frozen work survives restarts and is shared by every experiment. */
export class SqliteEmbeddingCache implements EmbeddingCache {
  private readonly select;
  private readonly insert;
  private readonly scan;

  constructor(db: Db) {
    this.select = db.prepare(
      `SELECT vector FROM embeddings WHERE content_hash = ? AND backbone_id = ? AND preprocess_version = ? AND view = ?`,
    );
    this.scan = db.prepare(
      `SELECT content_hash AS hash, vector FROM embeddings WHERE backbone_id = ? AND preprocess_version = ? AND view = ?`,
    );
    this.insert = db.prepare(
      `INSERT OR REPLACE INTO embeddings (content_hash, backbone_id, preprocess_version, view, vector) VALUES (?, ?, ?, ?, ?)`,
    );
  }

  get(key: EmbeddingKey): Float32Array | undefined {
    const row = this.select.get(key.contentHash, key.backboneId, String(key.preprocessingVersion), key.view) as
      | { vector: Buffer }
      | undefined;
    return row ? vectorOf(row.vector) : undefined;
  }

  /**
   * The cached vectors of one backbone, preprocessing and view for `contentHashes`, by content
   * hash, in one scan of that backbone's rows (20,000 single lookups take over a second).
   */
  vectorsFor(contentHashes: ReadonlySet<string>, key: Omit<EmbeddingKey, 'contentHash'>): Map<string, Float32Array> {
    const vectors = new Map<string, Float32Array>();
    const rows = this.scan.iterate(key.backboneId, String(key.preprocessingVersion), key.view) as Iterable<{
      hash: string;
      vector: Buffer;
    }>;
    for (const row of rows) if (contentHashes.has(row.hash)) vectors.set(row.hash, vectorOf(row.vector));
    return vectors;
  }

  put(key: EmbeddingKey, vector: Float32Array): void {
    this.insert.run(
      key.contentHash,
      key.backboneId,
      String(key.preprocessingVersion),
      key.view,
      Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength),
    );
  }
}
