import type { Db } from '../db/connection';
import type { EmbeddingCache, EmbeddingKey } from '../ml/embedding/embedding-cache';

/** The embedding cache in SQLite: frozen work survives restarts and is shared by every experiment. */
export class SqliteEmbeddingCache implements EmbeddingCache {
  private readonly select;
  private readonly insert;

  constructor(db: Db) {
    this.select = db.prepare(
      `SELECT vector FROM embeddings WHERE content_hash = ? AND backbone_id = ? AND preprocess_version = ? AND view = ?`,
    );
    this.insert = db.prepare(
      `INSERT OR REPLACE INTO embeddings (content_hash, backbone_id, preprocess_version, view, vector) VALUES (?, ?, ?, ?, ?)`,
    );
  }

  get(key: EmbeddingKey): Float32Array | undefined {
    const row = this.select.get(key.contentHash, key.backboneId, String(key.preprocessingVersion), key.view) as
      | { vector: Buffer }
      | undefined;
    if (!row) return undefined;
    // Copy into an aligned buffer: a Buffer's offset into its pool need not be 4-byte aligned.
    const bytes = new Uint8Array(row.vector);
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
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
