import { createHash } from 'node:crypto';
import type { Id } from '../../common/contract';
import { GraftError } from '../../common/errors';
import type { PredictionResult } from '../../common/training';
import { oodVerdict, readOodStatistics } from '../ml/adaptation/ood-artefact';
import type { OodStatistics } from '../ml/adaptation/out-of-distribution';
import { Embedder, type EmbedProgress } from '../ml/embedding/embedder';
import type { EmbeddingCache } from '../ml/embedding/embedding-cache';
import { predictEmbedded } from '../ml/export/app-reference';
import type { BackboneService } from './backbones';
import { type RunArtefacts, readRunArtefacts } from './experiment-artefacts';
import type { ExperimentStore } from './experiments';

export interface PhotoSource {
  name: string;
  read(): Promise<Buffer>;
}

export interface PredictOptions {
  topK?: number;
  signal?: AbortSignal;
  onProgress?: (p: EmbedProgress) => void;
  cache?: EmbeddingCache;
}

export interface Predictions {
  results: PredictionResult[];
  /** n × classCount probabilities in class order; rows of unreadable photos are NaN. */
  probabilities: Float32Array;
  classNames: string[];
}

export function topK(probabilities: ArrayLike<number>, classNames: string[], k: number): PredictionResult['top'] {
  return classNames
    .map((className, i) => ({ className, probability: probabilities[i] }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, k);
}

/** A finished experiment's model as the app runs it: frozen backbone (onnxruntime) + trained head (tfjs). */
export class ExperimentModel {
  private constructor(
    readonly artefacts: RunArtefacts,
    private readonly embedder: Embedder,
    /** The run's out-of-distribution statistics (ood.json); null for runs that keep none. */
    readonly ood: OodStatistics | null,
  ) {}

  static async open(
    experiments: ExperimentStore,
    backbones: BackboneService,
    experimentId: Id,
  ): Promise<ExperimentModel> {
    const run = experiments.get(experimentId);
    const dir = experiments.artefactDir(experimentId);
    if (run.status !== 'finished' || !dir) {
      throw new GraftError('BAD_REQUEST', `Experiment ${experimentId} has no trained model (it is ${run.status}).`);
    }
    const artefacts = await readRunArtefacts(dir).catch(() => {
      throw new GraftError('NOT_FOUND', `The trained model of experiment ${experimentId} is missing from ${dir}.`);
    });
    const prepared = await backbones.prepareSpec(artefacts.backbone);
    return new ExperimentModel(artefacts, await Embedder.open(prepared), await readOodStatistics(dir));
  }

  get classNames(): string[] {
    return this.artefacts.snapshot.classes.map((c) => c.name);
  }

  async predict(photos: PhotoSource[], options: PredictOptions = {}): Promise<Predictions> {
    const buffers = new Map<string, Buffer>();
    const items = await Promise.all(
      photos.map(async (photo, index) => {
        const id = String(index);
        let hash = `unreadable-${index}`;
        try {
          const bytes = await photo.read();
          buffers.set(id, bytes);
          hash = createHash('sha256').update(bytes).digest('hex');
        } catch {
          // Reported below as the item's error.
        }
        return { id, contentHash: hash, read: async () => buffers.get(id) ?? photo.read() };
      }),
    );
    const { results: embedded, probabilities: probs } = await predictEmbedded(
      this.embedder,
      this.artefacts.head,
      items,
      {
        flipTestTime: this.artefacts.config.flipTestTime,
        signal: options.signal,
        onProgress: options.onProgress,
        cache: options.cache,
      },
    );
    const k = this.classNames.length;
    const probabilities = new Float32Array(photos.length * k).fill(Number.NaN);
    let row = 0;
    const results = embedded.map((r, i): PredictionResult => {
      if (!r.ok) return { name: photos[i].name, top: [], error: r.error.message };
      const p = probs.subarray(row * k, (row + 1) * k);
      probabilities.set(p, i * k);
      row++;
      const verdict = this.ood ? oodVerdict(this.ood, r.vectors.original as Float32Array) : null;
      return {
        name: photos[i].name,
        top: topK(p, this.classNames, options.topK ?? k),
        error: null,
        unlikeTraining: verdict?.unlikeTraining ?? false,
        oodScore: verdict?.oodScore ?? null,
      };
    });
    return { results, probabilities, classNames: this.classNames };
  }

  async close(): Promise<void> {
    await this.embedder.close();
  }
}
