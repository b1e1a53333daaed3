// Turns a backbone spec into a local ONNX file whose outputs are its feature taps. Bundled
// TF.js models are converted once and cached as <dataDir>/backbones/<id>-<version>.onnx;
// the file is written under a temporary name and renamed, so a crash never leaves half a model.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { exposeTaps, TAP_OUTPUT_PREFIX, type TapRequest } from '../onnx/expose-node';
import { graphModelToOnnx } from '../onnx/graph-to-onnx';
import { layersModelToOnnx } from '../onnx/layers-to-onnx';
import type { ConvertedTensor } from '../onnx/layout-values';
import { decodeModel, toNumber } from '../onnx/onnx-proto';
import { readTfjsFolder, readUmdModel } from '../tfjs/tfjs-artifacts';
import {
  type BackboneSpec,
  type BundledFormat,
  embeddingModelId,
  type PreparedBackbone,
  preprocessingOf,
} from './backbone-spec';
import { packageFile } from './package-files';

export class BackboneError extends Error {
  constructor(
    readonly code:
      | 'BACKBONE_NOT_FOUND'
      | 'BACKBONE_INVALID'
      | 'BACKBONE_UNSUPPORTED'
      | 'MODEL_FILE_REFUSED'
      | 'MODEL_INPUT_TOO_LARGE',
    message: string,
  ) {
    super(message);
    this.name = 'BackboneError';
  }
}

export function backbonesDir(dataDir: string): string {
  return path.join(dataDir, 'backbones');
}

function fileSafe(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_');
}

export function preparedModelPath(spec: BackboneSpec, dataDir: string): string {
  return path.join(backbonesDir(dataDir), `${fileSafe(spec.id)}-${fileSafe(spec.version)}.onnx`);
}

export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const inFlight = new Map<string, Promise<PreparedBackbone>>();

/** The backbone as an ONNX file with one output per tap, converting and caching it on first use. */
export function prepareBackbone(spec: BackboneSpec, dataDir: string): Promise<PreparedBackbone> {
  const file = preparedModelPath(spec, dataDir);
  const running = inFlight.get(file);
  if (running) return running;
  const job = prepare(spec, dataDir, file).finally(() => inFlight.delete(file));
  inFlight.set(file, job);
  return job;
}

async function prepare(spec: BackboneSpec, dataDir: string, file: string): Promise<PreparedBackbone> {
  let bytes: Uint8Array | null = null;
  try {
    bytes = new Uint8Array(await fs.readFile(file));
  } catch {
    bytes = await buildTappedModel(spec, dataDir);
    await writeFileAtomic(file, bytes);
  }
  const { inputName, maxBatch } = inputSignature(bytes);
  return {
    spec,
    onnxPath: file,
    inputName,
    tapOutputs: spec.taps.map((_, i) => `${TAP_OUTPUT_PREFIX}${i}`),
    tapDims: spec.taps.map((t) => t.dim),
    featureDim: spec.featureDim,
    maxBatch,
    preprocessing: preprocessingOf(spec),
    embeddingModelId: embeddingModelId(spec),
  };
}

/**
 * Why a spec's ONNX file cannot be read: a run's own backbone (fine-tuned or AdaBN, kept in
 * experiments/<id>/) went with that run's folder; any other file was imported and can be again.
 */
function missingFileMessage(full: string, dataDir: string): string {
  const run = /^(\d+)[\\/]/.exec(path.relative(path.join(dataDir, 'experiments'), full))?.[1];
  return run === undefined
    ? `The imported backbone file ${full} is missing. Import it again.`
    : `The backbone file of run ${run} (${full}) is missing: that run's folder was deleted or moved. Runs using this backbone cannot predict or export any more; train or adapt them again.`;
}

/** The ONNX model of a spec with its taps as outputs. */
export async function buildTappedModel(spec: BackboneSpec, dataDir: string): Promise<Uint8Array> {
  const { source } = spec;
  if (source.kind === 'imported') {
    const full = path.resolve(dataDir, source.path);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await fs.readFile(full));
    } catch {
      throw new BackboneError('BACKBONE_NOT_FOUND', missingFileMessage(full, dataDir));
    }
    if (sha256(bytes) !== source.sha256) {
      throw new BackboneError(
        'BACKBONE_INVALID',
        `The imported backbone file ${full} has changed since it was imported.`,
      );
    }
    return exposeTaps(bytes, spec.taps.map(tapRequest)).bytes;
  }
  const converted = await convertBundled(spec, source.package, source.files[0], source.format);
  const taps = spec.taps.map((tap): TapRequest => {
    const tensor = converted.tensors.get(tap.node);
    if (!tensor) throw new BackboneError('BACKBONE_INVALID', `Backbone ${spec.id} has no output "${tap.node}"`);
    const expected =
      tensor.layout === 'NCHW' ? 'spatial-mean-nchw' : tensor.layout === 'NHWC' ? 'spatial-mean-nhwc' : 'none';
    if (tap.reduce !== expected) {
      throw new BackboneError('BACKBONE_INVALID', `Tap ${tap.node} is ${tensor.layout}; it needs reduce "${expected}"`);
    }
    return { tensor: tensor.name, reduce: tap.reduce };
  });
  return exposeTaps(converted.bytes, taps).bytes;
}

/** Converts a bundled TF.js model to ONNX, keeping only what the taps need. */
async function convertBundled(
  spec: BackboneSpec,
  pkg: string,
  file: string,
  format: BundledFormat,
): Promise<{ bytes: Uint8Array; tensors: Map<string, ConvertedTensor> }> {
  const modelPath = packageFile(pkg, file);
  const common = { inputLayout: spec.layout, graphName: spec.id, outputs: spec.taps.map((t) => t.node) };
  if (format === 'tfjs-layers-umd') {
    const converted = layersModelToOnnx(await readUmdModel(modelPath), common);
    return { bytes: converted.bytes, tensors: converted.layerTensors };
  }
  const artifacts =
    format === 'tfjs-graph-umd'
      ? await readUmdModel(modelPath)
      : await readTfjsFolder(path.dirname(modelPath), path.basename(modelPath));
  const converted = graphModelToOnnx(artifacts, { ...common, inputSize: [spec.inputSize, spec.inputSize] });
  return { bytes: converted.bytes, tensors: converted.nodeTensors };
}

function tapRequest(tap: { node: string; reduce: TapRequest['reduce'] }): TapRequest {
  return { tensor: tap.node, reduce: tap.reduce };
}

/** Name of the single graph input, and the batch size it fixes (null when dynamic). */
export function inputSignature(bytes: Uint8Array): { inputName: string; maxBatch: number | null } {
  const graph = decodeModel(bytes).graph;
  const initializers = new Set((graph?.initializer ?? []).map((t) => t.name));
  const inputs = (graph?.input ?? []).filter((v) => !initializers.has(v.name));
  if (inputs.length !== 1) {
    throw new BackboneError(
      'BACKBONE_UNSUPPORTED',
      `A backbone needs exactly one input; this model has ${inputs.length}.`,
    );
  }
  const batch = inputs[0].type?.tensorType?.shape?.dim?.[0];
  const fixed = batch?.dimValue !== undefined && batch?.dimValue !== null ? toNumber(batch.dimValue) : 0;
  return { inputName: inputs[0].name ?? '', maxBatch: fixed > 0 ? fixed : null };
}
