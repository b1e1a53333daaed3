import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  type AdaptationMethod,
  type AdaptationProgress,
  type AdaptationReport,
  DEFAULT_ADAPTATION_METHOD,
  type DomainMeasures,
  type LabelledScore,
} from '../../common/adaptation';
import { ADAPTATION_METHOD_WORDS } from '../../common/adaptation-verdict';
import type { Id } from '../../common/contract';
import { GraftError } from '../../common/errors';
import { permutation, seededRandom } from '../../common/seeded-random';
import type { ExperimentDetail } from '../../common/training';
import { readRegularFile } from '../imaging/regular-file';
import { adaBn } from '../ml/adaptation/adabn';
import { adaBnSpec, untappedModel } from '../ml/adaptation/adabn-backbone';
import { photoBatches } from '../ml/adaptation/adabn-batches';
import { maximumMeanDiscrepancy, summarisePredictions } from '../ml/adaptation/domain-measures';
import {
  type AffineMap,
  applyAffineMap,
  coralMap,
  type FeatureRows,
  standardisationMap,
} from '../ml/adaptation/feature-alignment';
import { foldAffineIntoHead } from '../ml/adaptation/fold-into-head';
import { fitAdaptedOodStatistics, writeOodStatistics } from '../ml/adaptation/ood-artefact';
import { fitOodStatistics, oodScores } from '../ml/adaptation/out-of-distribution';
import { DEFAULT_SELF_TRAINING, selfTrainHead } from '../ml/adaptation/self-training';
import type { BackboneSpec, PreparedBackbone } from '../ml/backbones/backbone-spec';
import { preparedModelPath, writeFileAtomic } from '../ml/backbones/prepare-backbone';
import { Embedder, EmbeddingCancelledError, type EmbedProgress } from '../ml/embedding/embedder';
import { type HeadArtifacts, predictWithHead } from '../ml/head/head-model';
import { argmaxRows, classificationReport } from '../ml/metrics';
import { exposeTaps } from '../ml/onnx/expose-node';
import type { View } from '../ml/preprocess';
import type { BackboneService } from './backbones';
import type { ServiceContext } from './context';
import type { DomainService } from './domains';
import { SqliteEmbeddingCache } from './embedding-store';
import { evaluateSplit } from './evaluation';
import { FINE_TUNED_BACKBONE, type RunArtefacts, readRunArtefacts, writeRunArtefacts } from './experiment-artefacts';
import type { ExperimentStore, ItemPrediction, SnapshotItem } from './experiments';
import type { ImageService } from './images';
import { uniqueRunName } from './run-names';
import { removeUnusedPreparedBackbones, runOwnedBackboneFile } from './run-owned-files';

/** Fewer target photos than this cannot estimate a domain's statistics. */
export const MIN_TARGET_PHOTOS = 10;

/** Rows per domain for the domain distance (MMD is quadratic in them). */
const DISTANCE_ROWS = 300;

const REPORT_FILE = 'adaptation.json';

/**
 * Source training photos AdaBN measures the source statistics on (a seeded sample): per-channel
 * means and variances over this many photos' positions vary by well under a percent between samples.
 */
const ADABN_SOURCE_PHOTOS = 200;

export interface Embedded {
  rows: FeatureRows;
  flip?: Float32Array;
}

type TargetPhoto = ReturnType<DomainService['targetPhotos']>[number];

/** The photos an adaptation reads, embedded by one backbone: source training and validation, and target. */
interface EmbeddedSets {
  train: Embedded;
  val: Embedded;
  target: Embedded;
}

function labelledScore(labels: Int32Array, probabilities: Float32Array, classCount: number): LabelledScore | null {
  if (labels.length === 0) return null;
  const r = classificationReport(labels, probabilities, classCount);
  return { count: r.count, accuracy: r.accuracy, macroF1: r.macroF1, confusion: r.confusion };
}

function seededSample(rows: FeatureRows, limit: number, seed: number): FeatureRows {
  const n = rows.x.length / rows.dim;
  const order = permutation(n, seededRandom(seed)).slice(0, Math.min(limit, n));
  const x = new Float32Array(order.length * rows.dim);
  order.forEach((i, k) => {
    x.set(rows.x.subarray(i * rows.dim, (i + 1) * rows.dim), k * rows.dim);
  });
  return { x, dim: rows.dim };
}

/** The adaptation report kept in a run folder (adaptation.json); null for runs that are not adaptations or have no folder. */
export async function readAdaptationReport(dir: string | null): Promise<AdaptationReport | null> {
  if (!dir) return null;
  try {
    return JSON.parse(await fs.readFile(path.join(dir, REPORT_FILE), 'utf8')) as AdaptationReport;
  } catch {
    return null;
  }
}

/**
 * Adapts a finished run to the project's target-domain photos: a new experiment linked to the
 * source run (which is never changed), with the adapted head, the same backbone, and a report
 * of both models measured on both domains. Target photos' labels only measure.
 */
export class AdaptationService {
  private readonly running = new Map<Id, AbortController>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly experiments: ExperimentStore,
    private readonly domains: DomainService,
    private readonly images: ImageService,
    private readonly backbones: BackboneService,
  ) {}

  /**
   * Starts an adaptation; `done` settles when it finished, failed or was cancelled (the run's
   * status says which). Throws BAD_REQUEST when the source run has not finished or the project
   * has fewer than MIN_TARGET_PHOTOS target photos, NOT_FOUND for an unknown run.
   */
  start(
    sourceExperimentId: Id,
    options: { method?: AdaptationMethod; seed?: number; pseudoLabelThreshold?: number } = {},
  ): { experimentId: Id; done: Promise<void> } {
    const { source, sourceDir } = this.adaptable(sourceExperimentId);
    const { target, excluded } = this.targetPhotos(sourceExperimentId, source.projectId);
    if (target.length < MIN_TARGET_PHOTOS) {
      const left = excluded > 0 ? ` (${excluded} more are photos ${source.name} trained on, which never count)` : '';
      throw new GraftError(
        'TOO_FEW_PHOTOS',
        `Add at least ${MIN_TARGET_PHOTOS} new-domain photos (a folder marked as the new domain) to adapt to; the project has ${target.length}${left}.`,
      );
    }
    const method = options.method ?? DEFAULT_ADAPTATION_METHOD;
    const seed = options.seed ?? source.config.seed;
    const items = this.sourceItems(sourceExperimentId);
    const experimentId = this.experiments.create(source.projectId, source.config, source.snapshot, items);
    this.ctx.db
      .prepare('UPDATE experiments SET name = ?, source_experiment_id = ? WHERE id = ?')
      .run(
        uniqueRunName(this.ctx.db, source.projectId, `${source.name} adapted (${ADAPTATION_METHOD_WORDS[method]})`),
        sourceExperimentId,
        experimentId,
      );
    const controller = new AbortController();
    this.running.set(experimentId, controller);
    const settings = {
      method,
      seed,
      threshold: options.pseudoLabelThreshold ?? DEFAULT_SELF_TRAINING.threshold,
      excluded,
    };
    const done = this.run(
      experimentId,
      sourceExperimentId,
      sourceDir,
      items,
      target,
      settings,
      controller.signal,
    ).finally(() => this.running.delete(experimentId));
    return { experimentId, done };
  }

  /**
   * The run to adapt, checked before anything changes: it exists and finished with a model.
   * @throws GraftError NOT_FOUND for an unknown run, BAD_REQUEST for one without a model
   */
  adaptable(sourceExperimentId: Id): { source: ExperimentDetail; sourceDir: string } {
    const source = this.experiments.get(sourceExperimentId);
    const sourceDir = this.experiments.artefactDir(sourceExperimentId);
    if (source.status !== 'finished' || !sourceDir) {
      throw new GraftError('BAD_REQUEST', `${source.name} has not finished, so there is no model to adapt.`);
    }
    return { source, sourceDir };
  }

  /**
   * How many photos of folder `folderId` run `experimentId` learnt from (its training and
   * validation photos, by content): such a folder is no new domain for that run.
   */
  photosTrainedOnIn(experimentId: Id, folderId: Id): number {
    return (
      this.ctx.db
        .prepare(
          `SELECT COUNT(DISTINCT i.content_hash) AS n FROM images i
           JOIN experiment_items e ON e.content_hash = i.content_hash AND e.experiment_id = ? AND e.split IN ('train', 'val')
           WHERE i.folder_id = ?`,
        )
        .get(experimentId, folderId) as { n: number }
    ).n;
  }

  /**
   * The project's target photos an adaptation of run `experimentId` uses: all but those the run
   * learnt from (training and validation photos, by content), which would flatter every target
   * score; `excluded` counts those left out.
   */
  private targetPhotos(experimentId: Id, projectId: Id): { target: TargetPhoto[]; excluded: number } {
    const learnt = new Set(
      (
        this.ctx.db
          .prepare(
            `SELECT content_hash AS h FROM experiment_items WHERE experiment_id = ? AND split IN ('train', 'val')`,
          )
          .all(experimentId) as { h: string }[]
      ).map((r) => r.h),
    );
    const all = this.domains.targetPhotos(projectId);
    const target = all.filter((p) => !learnt.has(p.contentHash));
    return { target, excluded: all.length - target.length };
  }

  cancel(experimentId: Id): boolean {
    const controller = this.running.get(experimentId);
    controller?.abort(new Error('Cancelled.'));
    return controller !== undefined;
  }

  /** The report of a finished adaptation run; NOT_FOUND when the run is not one. */
  async report(experimentId: Id): Promise<AdaptationReport> {
    const report = await readAdaptationReport(this.experiments.artefactDir(experimentId));
    if (!report) throw new GraftError('NOT_FOUND', 'That run is not a finished adaptation.');
    return report;
  }

  private sourceItems(experimentId: Id): SnapshotItem[] {
    return this.ctx.db
      .prepare(
        `SELECT image_id AS imageId, content_hash AS contentHash, name, class_id AS classId, split
         FROM experiment_items WHERE experiment_id = ? AND image_id IS NOT NULL ORDER BY content_hash`,
      )
      .all(experimentId) as SnapshotItem[];
  }

  private async run(
    experimentId: Id,
    sourceExperimentId: Id,
    sourceDir: string,
    items: SnapshotItem[],
    target: TargetPhoto[],
    settings: { method: AdaptationMethod; seed: number; threshold: number; excluded: number },
    signal: AbortSignal,
  ): Promise<void> {
    const { method, seed, threshold, excluded } = settings;
    try {
      const artefacts = await readRunArtefacts(sourceDir);
      const prepared = await this.backbones.prepareSpec(artefacts.backbone);
      const views: View[] = artefacts.config.flipTestTime ? ['original', 'hflip'] : ['original'];
      const trainItems = items.filter((i) => i.split === 'train');
      const valItems = items.filter((i) => i.split === 'val');
      const projectId = this.experiments.get(experimentId).projectId;
      const emit = (p: Omit<AdaptationProgress, 'experimentId' | 'projectId'>) =>
        this.ctx.events.emit('adaptation:progress', { experimentId, projectId, ...p });
      const step = (phase: 'adabn' | 'measuring', done: number) =>
        emit({ phase, done, total: 1, imagesPerSecond: null, etaSeconds: null });
      const embedAll = async (
        backbone: PreparedBackbone,
        phase: 'embedding' | 'embedding adapted',
      ): Promise<EmbeddedSets> => {
        const total = trainItems.length + valItems.length + target.length;
        let offset = 0;
        const embed = async (photos: { imageId: Id; contentHash: string }[], photoViews: View[]) => {
          const before = offset;
          const embedded = await this.embedPhotos(backbone, photos, photoViews, signal, (p) => {
            const rate = p.imagesPerSecond > 0 ? p.imagesPerSecond : null;
            const left = total - before - p.done;
            emit({ phase, done: before + p.done, total, imagesPerSecond: rate, etaSeconds: rate ? left / rate : null });
          });
          offset += photos.length;
          return embedded;
        };
        // Training photos are only compared, never predicted, so their mirror view is not needed.
        return {
          train: await embed(trainItems, ['original']),
          val: await embed(valItems, views),
          target: await embed(target, views),
        };
      };
      const original = await embedAll(prepared, 'embedding');
      signal.throwIfAborted();

      const started = performance.now();
      // AdaBN makes the adapted run its own backbone: everything after it reads that backbone's embeddings.
      if (method.startsWith('adabn')) step('adabn', 0);
      const adaptedBackbone = method.startsWith('adabn')
        ? await this.adaBnBackbone(experimentId, artefacts, prepared, trainItems, target, seed, signal)
        : null;
      if (adaptedBackbone) step('adabn', 1);
      const adapted = adaptedBackbone ? await embedAll(adaptedBackbone.prepared, 'embedding adapted') : original;
      const { train, val, target: targetEmbedded } = adapted;
      const classIds = artefacts.snapshot.classes.map((c) => c.id);
      const classIndex = new Map(classIds.map((id, i) => [id, i]));
      let map: AffineMap | null = null;
      let head: HeadArtifacts = artefacts.head;
      if (method.startsWith('standardise')) map = standardisationMap(train.rows, targetEmbedded.rows);
      if (method.startsWith('coral')) map = await coralMap(train.rows, targetEmbedded.rows);
      if (map) head = await foldAffineIntoHead(head, map);
      let pseudoLabelled: number | null = null;
      signal.throwIfAborted();
      if (method.endsWith('self-train')) {
        const trained = await selfTrainHead(head, targetEmbedded.rows, { ...DEFAULT_SELF_TRAINING, threshold, signal });
        head = trained.head;
        pseudoLabelled = trained.pseudoLabelled;
      }
      const adaptSeconds = (performance.now() - started) / 1000;

      const labelled = target.flatMap((t, i) => (t.classId !== null && classIndex.has(t.classId) ? [i] : []));
      const measure = async (
        h: HeadArtifacts,
        aligned: AffineMap | null,
        { val, target: targetEmbedded }: EmbeddedSets,
      ): Promise<DomainMeasures> => {
        const k = classIds.length;
        const n = target.length;
        const p = await predictWithHead(h, targetEmbedded.rows.x, n, targetEmbedded.flip);
        const testP = Float32Array.from(labelled.flatMap((i) => Array.from(p.subarray(i * k, (i + 1) * k))));
        const testY = Int32Array.from(labelled, (i) => classIndex.get(target[i].classId!)!);
        const valP = await predictWithHead(h, val.rows.x, valItems.length, val.flip);
        const valY = Int32Array.from(valItems, (i) => classIndex.get(i.classId)!);
        const sample = seededSample(targetEmbedded.rows, DISTANCE_ROWS, seed);
        const seen = aligned ? { x: applyAffineMap(aligned, sample.x), dim: sample.dim } : sample;
        return {
          target: summarisePredictions(p, k),
          targetTest: labelledScore(testY, testP, k),
          sourceVal: labelledScore(valY, valP, k),
          // Against the embeddings the head learnt from: the source backbone's, whatever the method.
          domainDistance: maximumMeanDiscrepancy(seededSample(original.train.rows, DISTANCE_ROWS, seed), seen, seed),
        };
      };
      step('measuring', 0);
      const before = await measure(artefacts.head, null, original);
      const after = await measure(head, map, adapted);
      signal.throwIfAborted();

      // How unlike the training photos the target photos are to the source run's backbone.
      const ood = fitOodStatistics(
        original.train.rows,
        Int32Array.from(trainItems, (i) => classIndex.get(i.classId)!),
        classIds.length,
        original.val.rows.x,
      );
      const share = (x: Float32Array) => {
        const scores = oodScores(ood, x);
        return scores.length === 0 ? 0 : scores.filter((v) => v > ood.threshold).length / scores.length;
      };
      const unfamiliar = {
        targetShare: share(original.target.rows.x),
        sourceValShare: share(original.val.rows.x),
        threshold: ood.threshold,
      };
      const hash = createHash('sha256');
      for (const t of target) hash.update(`${t.contentHash}\n`);
      const report: AdaptationReport = {
        sourceExperimentId,
        method,
        seed,
        pseudoLabelThreshold: method.endsWith('self-train') ? threshold : null,
        classNames: artefacts.snapshot.classes.map((c) => c.name),
        targetSnapshot: { count: target.length, labelled: labelled.length, hash: hash.digest('hex'), excluded },
        before,
        after,
        pseudoLabelled,
        unfamiliar,
        adaptSeconds,
      };
      const artefactDir = path.join(this.ctx.paths.root, 'experiments', String(experimentId));
      await writeRunArtefacts(
        artefactDir,
        adaptedBackbone
          ? { ...artefacts, head, backbone: adaptedBackbone.prepared.spec, backboneOnnx: adaptedBackbone.bytes }
          : { ...artefacts, head, ...this.ownBackbone(artefacts.backbone, artefactDir) },
      );
      await fs.writeFile(path.join(artefactDir, REPORT_FILE), JSON.stringify(report, null, 2));
      const adaptedOod = fitAdaptedOodStatistics(
        { x: train.rows.x, y: Int32Array.from(trainItems, (i) => classIndex.get(i.classId)!) },
        {
          x: targetEmbedded.rows.x,
          predicted: argmaxRows(
            await predictWithHead(head, targetEmbedded.rows.x, target.length, targetEmbedded.flip),
            classIds.length,
          ),
        },
        val.rows.x,
        train.rows.dim,
        classIds.length,
      );
      if (adaptedOod) await writeOodStatistics(artefactDir, adaptedOod);
      const predictions: ItemPrediction[] = [];
      const valEvaluation = evaluateSplit(
        'val',
        valItems,
        Int32Array.from(valItems, (i) => classIndex.get(i.classId)!),
        await predictWithHead(head, val.rows.x, valItems.length, val.flip),
        classIds,
        predictions,
      );
      const sourceMetrics = this.experiments.get(sourceExperimentId).metrics!;
      step('measuring', 1);
      this.experiments.finish(experimentId, {
        status: 'finished',
        artefactDir,
        predictions,
        metrics: {
          ...sourceMetrics,
          val: valEvaluation,
          test: null,
          adaptation: {
            sourceExperimentId,
            sourceName: this.experiments.get(sourceExperimentId).name,
            method,
            targetTest: after.targetTest && { accuracy: after.targetTest.accuracy, count: after.targetTest.count },
          },
        },
      });
    } catch (err) {
      const cancelled = signal.aborted || err instanceof EmbeddingCancelledError;
      this.experiments.finish(experimentId, {
        status: cancelled ? 'cancelled' : 'failed',
        error: cancelled ? 'Cancelled.' : (err as Error).message,
      });
      removeUnusedPreparedBackbones(this.ctx.db, this.ctx.paths.root);
    }
  }

  /**
   * The source run's backbone for the adapted run in `artefactDir`: when the source keeps its
   * backbone file in its own folder (fine-tuned, AdaBN), the adapted run gets its own link to it and
   * a spec pointing there, so deleting the source run never breaks it; other backbones as they are.
   */
  private ownBackbone(spec: BackboneSpec, artefactDir: string): Pick<RunArtefacts, 'backbone' | 'backboneFrom'> {
    const file = runOwnedBackboneFile(spec, this.ctx.paths.root);
    if (!file || spec.source.kind !== 'imported') return { backbone: spec };
    return {
      backbone: { ...spec, source: { ...spec.source, path: path.join(artefactDir, FINE_TUNED_BACKBONE) } },
      backboneFrom: file,
    };
  }

  /**
   * AdaBN (main/ml/adaptation/adabn.ts) on the source run's backbone: source statistics from a
   * seeded sample of its training photos, target statistics from every target photo. The adapted
   * model is kept untapped (stored later as the new run's backbone.onnx, its spec pointing there)
   * and its tapped form is written to the prepared-backbone cache, so the embedder can read it
   * before the run folder exists; its spec's own id and version keep its embeddings apart.
   */
  private async adaBnBackbone(
    experimentId: Id,
    artefacts: RunArtefacts,
    prepared: PreparedBackbone,
    trainItems: SnapshotItem[],
    target: { imageId: Id; contentHash: string }[],
    seed: number,
    signal: AbortSignal,
  ): Promise<{ prepared: PreparedBackbone; bytes: Uint8Array }> {
    const read = (p: { imageId: Id }) => ({
      read: async () => (await readRegularFile(this.images.absolutePath(p.imageId))).buffer,
    });
    const sample = Array.from(permutation(trainItems.length, seededRandom(seed)).slice(0, ADABN_SOURCE_PHOTOS), (i) =>
      read(trainItems[i]),
    );
    const batches = (photos: { read(): Promise<Buffer> }[]) =>
      photoBatches(photos, prepared.preprocessing, prepared.inputName, prepared.maxBatch, signal).run;
    const result = await adaBn(new Uint8Array(await fs.readFile(prepared.onnxPath)), {
      source: batches(sample),
      target: batches(target.map(read)),
    });
    const { bytes, tensors } = untappedModel(result.bytes);
    const artefactDir = path.join(this.ctx.paths.root, 'experiments', String(experimentId));
    const spec = adaBnSpec(
      artefacts.backbone,
      experimentId,
      path.join(artefactDir, FINE_TUNED_BACKBONE),
      bytes,
      tensors,
    );
    const tapped = exposeTaps(
      bytes,
      spec.taps.map((t) => ({ tensor: t.node, reduce: t.reduce })),
    );
    await writeFileAtomic(preparedModelPath(spec, this.ctx.paths.root), tapped.bytes);
    return { prepared: await this.backbones.prepareSpec(spec), bytes };
  }

  /**
   * Photos' embeddings (n × featureDim, photo order) through the training pipeline and its cache,
   * with the mirror view when `views` has it; `onProgress` hears the embedder's photo counts.
   * Throws when a photo cannot be embedded.
   */
  async embedPhotos(
    prepared: PreparedBackbone,
    photos: { imageId: Id; contentHash: string }[],
    views: View[],
    signal: AbortSignal,
    onProgress?: (p: EmbedProgress) => void,
  ): Promise<Embedded> {
    const embedder = await Embedder.open(prepared);
    try {
      const result = await embedder.embed(
        photos.map((p) => ({
          id: p.contentHash,
          contentHash: p.contentHash,
          read: async () => (await readRegularFile(this.images.absolutePath(p.imageId))).buffer,
        })),
        { views, signal, onProgress, cache: new SqliteEmbeddingCache(this.ctx.db) },
      );
      const failed = result.results.find((r) => !r.ok);
      if (failed && !failed.ok) throw new Error(`A photo could not be embedded: ${failed.error.message}`);
      const dim = prepared.featureDim;
      const x = new Float32Array(photos.length * dim);
      const flip = views.includes('hflip') ? new Float32Array(photos.length * dim) : undefined;
      result.results.forEach((r, i) => {
        if (!r.ok) return;
        x.set(r.vectors.original!, i * dim);
        if (flip) flip.set(r.vectors.hflip!, i * dim);
      });
      return { rows: { x, dim }, flip };
    } finally {
      await embedder.close();
    }
  }
}
