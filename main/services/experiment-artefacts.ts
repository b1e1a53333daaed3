import fs from 'node:fs/promises';
import path from 'node:path';
import type { DatasetSnapshot, TrainConfig } from '../../common/training';
import type { BackboneSpec } from '../ml/backbones/backbone-spec';
import type { HeadArtifacts } from '../ml/head/head-model';
import type { TopWeight } from './fine-tuning';
import { linkOrCopy } from './run-owned-files';

/** What a finished run keeps on disk: enough to predict and to export without retraining. */
export interface RunArtefacts {
  config: TrainConfig;
  snapshot: DatasetSnapshot;
  backbone: BackboneSpec;
  head: HeadArtifacts;
  /** Fine-tuning runs: the trained top's convolution weights (top.json names and shapes them, top.weights.bin holds them). */
  top?: TopWeight[];
  /** Fine-tuning runs: the whole fine-tuned backbone as ONNX, kept as backbone.onnx (the run's backbone spec points at it). */
  backboneOnnx?: Uint8Array;
  /**
   * Runs adapted from a run that keeps its own backbone file: that file, hard-linked (copied
   * where a link fails) as this run's backbone.onnx, so deleting the source run never takes it away.
   */
  backboneFrom?: string;
}

/** Where a fine-tuning run keeps its whole fine-tuned backbone inside its artefact folder. */
export const FINE_TUNED_BACKBONE = 'backbone.onnx';

const HEAD_WEIGHTS = 'head.weights.bin';
const TOP_MANIFEST = 'top.json';
const TOP_WEIGHTS = 'top.weights.bin';

/**
 * Writes the run folder atomically: everything goes to `<dir>.partial`, which is renamed into
 * place last. The head is stored in TF.js LayersModel format (model.json + weights).
 */
export async function writeRunArtefacts(dir: string, run: RunArtefacts): Promise<void> {
  const temp = `${dir}.partial`;
  await fs.rm(temp, { recursive: true, force: true });
  await fs.mkdir(temp, { recursive: true });
  try {
    const modelJson = {
      format: 'layers-model',
      generatedBy: 'Graft',
      modelTopology: run.head.modelTopology,
      weightsManifest: [{ paths: [HEAD_WEIGHTS], weights: run.head.weightSpecs }],
    };
    await fs.writeFile(path.join(temp, 'head.model.json'), JSON.stringify(modelJson));
    await fs.writeFile(path.join(temp, HEAD_WEIGHTS), run.head.weightData);
    if (run.backboneOnnx) await fs.writeFile(path.join(temp, FINE_TUNED_BACKBONE), run.backboneOnnx);
    if (run.backboneFrom) await linkOrCopy(run.backboneFrom, path.join(temp, FINE_TUNED_BACKBONE));
    if (run.top) {
      const manifest = run.top.map((w) => ({ name: w.name, shape: w.shape }));
      await fs.writeFile(path.join(temp, TOP_MANIFEST), JSON.stringify(manifest));
      await fs.writeFile(
        path.join(temp, TOP_WEIGHTS),
        Buffer.concat(run.top.map((w) => new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength))),
      );
    }
    await fs.writeFile(
      path.join(temp, 'run.json'),
      JSON.stringify({ config: run.config, snapshot: run.snapshot, backbone: run.backbone }, null, 2),
    );
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(temp, dir);
  } catch (err) {
    await fs.rm(temp, { recursive: true, force: true });
    throw err;
  }
}

export async function readRunArtefacts(dir: string): Promise<RunArtefacts> {
  const run = JSON.parse(await fs.readFile(path.join(dir, 'run.json'), 'utf8')) as Omit<RunArtefacts, 'head'>;
  const model = JSON.parse(await fs.readFile(path.join(dir, 'head.model.json'), 'utf8')) as {
    modelTopology: HeadArtifacts['modelTopology'];
    weightsManifest: { weights: HeadArtifacts['weightSpecs'] }[];
  };
  const weightData = new Uint8Array(await fs.readFile(path.join(dir, HEAD_WEIGHTS)));
  return {
    ...run,
    head: { modelTopology: model.modelTopology, weightSpecs: model.weightsManifest[0].weights, weightData },
  };
}

/**
 * A fine-tuning run's trained top (top.json + top.weights.bin, as writeRunArtefacts keeps it):
 * each weight's TF.js variable name, shape and float32 values, in the order written; null for a
 * run that kept none. Throws where top.weights.bin holds fewer or more values than top.json names.
 */
export async function readTopWeights(dir: string): Promise<TopWeight[] | null> {
  const manifestText = await fs.readFile(path.join(dir, TOP_MANIFEST), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (manifestText === null) return null;
  const manifest = JSON.parse(manifestText) as { name: string; shape: number[] }[];
  const bytes = await fs.readFile(path.join(dir, TOP_WEIGHTS));
  const counts = manifest.map(({ shape }) => shape.reduce((a, b) => a * b, 1));
  const total = counts.reduce((a, b) => a + b, 0);
  if (bytes.byteLength !== total * 4) {
    throw new Error(
      `${TOP_WEIGHTS} in ${dir} holds ${bytes.byteLength} bytes; ${TOP_MANIFEST} names ${total} float32 values.`,
    );
  }
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let at = 0;
  return manifest.map(({ name, shape }, i) => {
    const data = values.slice(at, at + counts[i]);
    at += counts[i];
    return { name, shape, data };
  });
}
