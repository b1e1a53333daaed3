// A user's own backbone: an ONNX file, or a TF.js model folder converted to ONNX. The file is
// checked (onnxruntime loads it, it runs on a generated photo, its features are finite), its
// feature tap is proposed, and it is copied into the data directory. The result is a plain
// spec for the caller to store; nothing here touches the database.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { createInferenceSession } from '../embedding/embedder';
import { exposeNode, exposeTaps, type TapReduce } from '../onnx/expose-node';
import { graphModelToOnnx } from '../onnx/graph-to-onnx';
import { oversizedTensorProblem } from '../onnx/intermediate-size';
import { layersModelToOnnx } from '../onnx/layers-to-onnx';
import { decodeModel, type ModelProto, toNumber } from '../onnx/onnx-proto';
import { proposeTap, type TapProposal } from '../onnx/propose-tap';
import * as ort from '../onnxruntime';
import { decodeCrop, inputDims, type Normalisation, type Preprocessing, writeInputRow } from '../preprocess';
import { ModelFileRefused, readFileInside } from '../tfjs/confined-file';
import { readTfjsFolder } from '../tfjs/tfjs-artifacts';
import type { BackboneSpec, FeatureTap } from './backbone-spec';
import { inputSizeProblem } from './input-size';
import { BackboneError, inputSignature, sha256, writeFileAtomic } from './prepare-backbone';

export const IMAGENET_NORMALISATION: Normalisation = {
  kind: 'mean-std',
  scale: 1 / 255,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

/** What an imported backbone's licence reads when the person gave none: Graft cannot know it. */
export const NO_LICENCE = 'No licence given.';

export interface ImportPreprocessing {
  /** Crop side for models whose input size is not fixed (default 224). */
  inputSize?: number;
  /** Short side before the centre crop (default inputSize / 0.875, the usual ImageNet ratio). */
  resizeShortSide?: number;
  normalisation?: Normalisation;
}

export interface TapChoice {
  node: string;
  /** Default: a spatial mean when the tensor turns out to be rank 4. */
  reduce?: TapReduce;
}

export interface ImportOptions {
  name?: string;
  /** Another tensor than the proposed one. */
  tap?: TapChoice;
  preprocessing?: ImportPreprocessing;
  /** As the person declares it; blank or absent is stored as NO_LICENCE. */
  licence?: string;
  notes?: string;
}

export interface ImportedBackbone {
  spec: BackboneSpec;
  /** The automatic proposal and the other tensors the user may pick from. */
  proposal: TapProposal;
}

/** A model file refused or unusable, as the backbone error the service reports. */
function refusal(err: unknown): never {
  if (err instanceof ModelFileRefused) {
    throw new BackboneError(err.reason === 'MISSING' ? 'BACKBONE_NOT_FOUND' : 'MODEL_FILE_REFUSED', err.message);
  }
  throw new BackboneError('BACKBONE_INVALID', (err as Error).message);
}

/**
 * Imports an ONNX image classifier or feature extractor. The file must be a regular file inside its own folder
 * (a link leading elsewhere is refused with MODEL_FILE_REFUSED).
 */
export async function importOnnxBackbone(
  filePath: string,
  dataDir: string,
  options: ImportOptions = {},
): Promise<ImportedBackbone> {
  const bytes = await readFileInside(path.dirname(filePath), path.basename(filePath)).catch(refusal);
  const notes = options.notes ?? `Imported from ${path.basename(filePath)}.`;
  return importModel(bytes, 'onnx', options.name ?? path.basename(filePath, path.extname(filePath)), dataDir, {
    ...options,
    notes,
    normalisationDefault: IMAGENET_NORMALISATION,
  });
}

/** Imports a TF.js model folder (model.json + weight shards), LayersModel or GraphModel, by converting it to ONNX. */
export async function importTfjsBackbone(
  folder: string,
  dataDir: string,
  options: ImportOptions = {},
): Promise<ImportedBackbone> {
  const name = options.name ?? path.basename(path.resolve(folder));
  const side = options.preprocessing?.inputSize;
  if (side !== undefined) checkInputSize(name, side, side);
  const artifacts = await readTfjsFolder(folder).catch(refusal);
  let bytes: Uint8Array;
  try {
    bytes =
      artifacts.model.format === 'graph-model'
        ? graphModelToOnnx(artifacts, {
            inputLayout: 'NCHW',
            inputSize: side ? [side, side] : undefined,
          }).bytes
        : layersModelToOnnx(artifacts, { inputLayout: 'NCHW' }).bytes;
  } catch (err) {
    throw new BackboneError('BACKBONE_UNSUPPORTED', (err as Error).message);
  }
  return importModel(bytes, 'tfjs', name, dataDir, {
    ...options,
    notes: options.notes ?? `Converted from the TF.js model in ${path.basename(path.resolve(folder))}.`,
    // Keras/TF.js image models mostly expect [-1, 1]; the user can declare otherwise.
    normalisationDefault: { kind: 'range', min: -1, max: 1 },
  });
}

/** The spec with another feature tap, checked on a generated photo. */
export async function retapImportedBackbone(
  spec: BackboneSpec,
  dataDir: string,
  tap: TapChoice,
): Promise<BackboneSpec> {
  if (spec.source.kind !== 'imported')
    throw new BackboneError('BACKBONE_INVALID', 'Only imported backbones can be re-tapped.');
  const bytes = new Uint8Array(await fs.readFile(path.resolve(dataDir, spec.source.path)));
  const feature = await checkTap(bytes, previewPreprocessing(spec), tap);
  return withVersion({ ...spec, taps: [feature], featureDim: feature.dim });
}

interface ModelImport extends ImportOptions {
  normalisationDefault: Normalisation;
  notes: string;
}

async function importModel(
  bytes: Uint8Array,
  origin: 'onnx' | 'tfjs',
  name: string,
  dataDir: string,
  options: ModelImport,
): Promise<ImportedBackbone> {
  // The declared input is checked before onnxruntime sees the model: nothing is allocated for it.
  const { layout, size } = imageInput(bytes, name);
  const inputSize = size ?? options.preprocessing?.inputSize ?? 224;
  checkInputSize(name, inputSize, inputSize);
  const oversized = oversizedTensorProblem(bytes, name);
  if (oversized) throw new BackboneError('MODEL_INPUT_TOO_LARGE', oversized);
  try {
    const session = await createInferenceSession(bytes);
    await session.release();
  } catch (err) {
    throw new BackboneError(
      'BACKBONE_INVALID',
      `onnxruntime cannot load this model: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  const pre: Preprocessing = {
    inputSize,
    resizeShortSide: options.preprocessing?.resizeShortSide ?? Math.round(inputSize / 0.875),
    layout,
    normalisation: options.preprocessing?.normalisation ?? options.normalisationDefault,
  };
  const proposal = proposeTap(bytes);
  const feature = await checkTap(bytes, pre, options.tap ?? { node: proposal.tap.tensor, reduce: proposal.tap.reduce });
  const hash = sha256(bytes);
  const id = `imported-${hash.slice(0, 16)}`;
  const relPath = path.join('backbones', 'imported', `${id}.onnx`);
  await writeFileAtomic(path.join(dataDir, relPath), bytes);
  const spec = withVersion({
    id,
    version: '',
    name,
    source: { kind: 'imported', path: relPath, sha256: hash, origin },
    licence: options.licence?.trim() || NO_LICENCE,
    inputSize,
    layout,
    normalisation: pre.normalisation,
    resize: { shortSide: pre.resizeShortSide, crop: 'centre' },
    taps: [feature],
    featureDim: feature.dim,
    notes: options.notes,
  });
  return { spec, proposal };
}

/** The version of an imported spec: changes with its file, taps and preprocessing. */
function withVersion(spec: BackboneSpec): BackboneSpec {
  const { version: _ignored, name: _name, notes: _notes, licence: _licence, ...identity } = spec;
  const version = createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 12);
  return { ...spec, version };
}

function previewPreprocessing(spec: BackboneSpec): Preprocessing {
  return {
    inputSize: spec.inputSize,
    resizeShortSide: spec.resize.shortSide,
    layout: spec.layout,
    normalisation: spec.normalisation,
  };
}

function checkInputSize(model: string, height: number, width: number): void {
  const problem = inputSizeProblem(model, height, width);
  if (problem) throw new BackboneError('MODEL_INPUT_TOO_LARGE', problem);
}

function decodeOrFail(bytes: Uint8Array, model: string): ModelProto {
  try {
    return decodeModel(bytes);
  } catch {
    throw new BackboneError(
      'BACKBONE_INVALID',
      `onnxruntime cannot load “${model}”: it is not a readable ONNX model (damaged or incomplete).`,
    );
  }
}

/**
 * The single float image input: its layout and fixed spatial size, if any.
 * @throws BackboneError MODEL_INPUT_TOO_LARGE when a declared side is above MAX_INPUT_SIDE
 */
function imageInput(bytes: Uint8Array, model: string): { layout: 'NCHW' | 'NHWC'; size: number | null } {
  const decoded = decodeOrFail(bytes, model);
  const { inputName } = inputSignature(bytes);
  const input = decoded.graph?.input?.find((v) => v.name === inputName);
  const tt = input?.type?.tensorType;
  if (tt?.elemType !== 1) throw new BackboneError('BACKBONE_UNSUPPORTED', 'The model input is not a float tensor.');
  const dims = (tt.shape?.dim ?? []).map((d) => (d.dimValue ? toNumber(d.dimValue) : null));
  if (dims.length !== 4) {
    throw new BackboneError(
      'BACKBONE_UNSUPPORTED',
      `The model input has rank ${dims.length}; an image input has rank 4.`,
    );
  }
  const layout = dims[1] === 3 ? 'NCHW' : dims[3] === 3 ? 'NHWC' : null;
  if (layout) {
    const [height, width] = layout === 'NCHW' ? [dims[2], dims[3]] : [dims[1], dims[2]];
    // A dynamic side is fixed later by the preprocessing size, which is checked in its turn.
    checkInputSize(model, height ?? 1, width ?? 1);
    return { layout, size: height !== null && height === width ? height : null };
  }
  throw new BackboneError(
    'BACKBONE_UNSUPPORTED',
    'The model input does not look like an RGB image (no axis of size 3).',
  );
}

/** A deterministic test photo: colour gradients with a few shapes, as JPEG bytes. */
async function testPhoto(): Promise<Buffer> {
  const w = 320;
  const h = 240;
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const inDisc = (x - 160) ** 2 + (y - 120) ** 2 < 60 ** 2;
      raw[i] = inDisc ? 230 : (x * 255) / w;
      raw[i + 1] = inDisc ? 40 : (y * 255) / h;
      raw[i + 2] = ((x + y) * 3) % 256;
    }
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .jpeg()
    .toBuffer();
}

async function runOnTestPhoto(bytes: Uint8Array, pre: Preprocessing, outputs: string[]): Promise<ort.Tensor[]> {
  const { inputName } = inputSignature(bytes);
  const rgb = await decodeCrop(await testPhoto(), pre);
  const input = new Float32Array(pre.inputSize * pre.inputSize * 3);
  writeInputRow(rgb, pre, input, 0);
  const session = await createInferenceSession(bytes);
  try {
    const result = await session.run({ [inputName]: new ort.Tensor('float32', input, inputDims(pre, 1)) }, outputs);
    return outputs.map((o) => result[o]);
  } catch (err) {
    throw new BackboneError(
      'BACKBONE_INVALID',
      `The model fails on a test photo: ${(err as Error).message.split('\n')[0]}`,
    );
  } finally {
    await session.release();
  }
}

/** Resolves the tap's reduction, runs it on a test photo and checks the features are finite. */
async function checkTap(bytes: Uint8Array, pre: Preprocessing, choice: TapChoice): Promise<FeatureTap> {
  let reduce = choice.reduce;
  if (!reduce) {
    const [raw] = await runOnTestPhoto(exposeNodeOrFail(bytes, choice.node), pre, [choice.node]);
    reduce = raw.dims.length === 4 ? spatialReduce(raw.dims) : 'none';
  }
  let exposed: ReturnType<typeof exposeTaps>;
  try {
    exposed = exposeTaps(bytes, [{ tensor: choice.node, reduce }]);
  } catch (err) {
    throw new BackboneError('BACKBONE_INVALID', (err as Error).message);
  }
  const [features] = await runOnTestPhoto(exposed.bytes, pre, exposed.tapOutputs);
  const data = features.data as Float32Array;
  if (data.length === 0 || !data.every(Number.isFinite)) {
    throw new BackboneError('BACKBONE_INVALID', `Tensor ${choice.node} gives non-finite features on a test photo.`);
  }
  if (data.every((v) => v === 0)) {
    throw new BackboneError(
      'BACKBONE_INVALID',
      `Tensor ${choice.node} is all zeros on a test photo; choose another tensor.`,
    );
  }
  return { node: choice.node, reduce, dim: data.length };
}

function exposeNodeOrFail(bytes: Uint8Array, node: string): Uint8Array {
  try {
    return exposeNode(bytes, node);
  } catch (err) {
    throw new BackboneError('BACKBONE_INVALID', (err as Error).message);
  }
}

/** Which axes of a rank-4 feature map are spatial: the pair of equal sizes, channels-first when unsure. */
function spatialReduce(dims: readonly number[]): TapReduce {
  const [, a, b, c] = dims;
  if (b === c) return 'spatial-mean-nchw';
  if (a === b) return 'spatial-mean-nhwc';
  return 'spatial-mean-nchw';
}
