import fs from 'node:fs/promises';
import path from 'node:path';
import type { DatasetSnapshot, TrainConfig } from '../../common/training';
import type { BackboneSpec } from '../ml/backbones/backbone-spec';
import type { HeadArtifacts } from '../ml/head/head-model';
import type { TopWeight } from './fine-tuning';

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
}

/** Where a fine-tuning run keeps its whole fine-tuned backbone inside its artefact folder. */
export const FINE_TUNED_BACKBONE = 'backbone.onnx';

const HEAD_WEIGHTS = 'head.weights.bin';
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
    if (run.top) {
      const manifest = run.top.map((w) => ({ name: w.name, shape: w.shape }));
      await fs.writeFile(path.join(temp, 'top.json'), JSON.stringify(manifest));
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
