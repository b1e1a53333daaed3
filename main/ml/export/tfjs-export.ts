// The whole classifier as a TF.js LayersModel folder (model.json + weight shards), for
// backbones that are LayersModels themselves: the backbone's layers up to its taps, a global
// average pool per feature-map tap, the app's L2 normalisation, and the trained head.
//
// TF.js has no L2-normalisation layer that it can serialise, so it is built from standard
// layers: LayerNormalization of [x, -x] (a vector whose mean is exactly zero and whose variance
// is |x|²/d) gives sqrt(d)·x/sqrt(|x|² + d·eps) in its first half, which Cropping2D keeps and
// Rescaling scales by 1/sqrt(d). With eps = 1e-12/d that is x / sqrt(|x|² + 1e-12): zero stays
// zero as in the app, and any real feature vector is normalised to float32 precision.
//
// A run that averages each photo with its mirror image (flipTestTime) is exported the same way,
// from standard layers only (a Lambda layer cannot be serialised): the image is mirrored by a
// Permute that puts the width axis last, a bias-free Dense whose kernel is the width-reversing
// permutation matrix (each output is one input times 1 plus zeros, so exact), and a Permute
// back; the single-view classifier, nested as one layer, runs on both images, and an Average
// layer takes the mean of the two softmax outputs, exactly what predictWithHead averages.
import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { BackboneSpec } from '../backbones/backbone-spec';
import { preprocessingOf } from '../backbones/backbone-spec';
import { packageFile } from '../backbones/package-files';
import type { HeadArtifacts } from '../head/head-model';
import {
  bytesPerValue,
  concatBytes,
  readUmdModel,
  type TfjsArtifacts,
  toModelArtifacts,
  type WeightSpec,
  weightBytes,
} from '../tfjs/tfjs-artifacts';
import { initTfjs } from '../tfjs-backend';
import { ExportError } from './export-error';
import { describeExport, describeInput, type ExportDescription } from './export-metadata';

export type TfjsExportSupport = { supported: true } | { supported: false; reason: string };

export interface TfjsExportOptions {
  backbone: BackboneSpec;
  head: HeadArtifacts;
  classNames: string[];
  graftVersion: string;
  /** A new or empty folder, or with `overwrite` a previous TF.js export (nothing else is ever replaced). */
  outDir: string;
  overwrite?: boolean;
  /** Average each photo's probabilities with its mirror image's inside the model (the run's flipTestTime). */
  flipTestTime?: boolean;
  /**
   * The backbone's own TF.js files. Bundled backbones are read from their package; Graft keeps
   * only the ONNX conversion of an imported TF.js model, so for those the caller reads the
   * folder the user imported (readTfjsFolder).
   */
  backboneArtifacts?: TfjsArtifacts;
}

export type TfjsExportResult =
  | {
      supported: true;
      dir: string;
      /** File names inside dir: model.json first, then the weight shards. */
      files: string[];
      /** Total bytes written. */
      bytes: number;
      description: ExportDescription;
    }
  | { supported: false; reason: string };

const SHARD_BYTES = 4 * 1024 * 1024;
/** Why TF.js export cannot take this backbone, and what to do instead. */
const notLayers = (what: string) =>
  `A TF.js export joins the backbone and the trained head into one TF.js LayersModel; this backbone is ${what}, which cannot be joined that way. Export ONNX instead: it holds the whole model in one file.`;

/** Whether the whole classifier can be written as a TF.js LayersModel for this backbone. */
export function tfjsExportSupport(spec: BackboneSpec, backboneArtifacts?: TfjsArtifacts): TfjsExportSupport {
  if (backboneArtifacts) {
    return backboneArtifacts.model.format === 'graph-model'
      ? { supported: false, reason: notLayers('a TF.js GraphModel') }
      : { supported: true };
  }
  const { source } = spec;
  if (source.kind === 'bundled') {
    return source.format === 'tfjs-layers-umd'
      ? { supported: true }
      : { supported: false, reason: notLayers('a TF.js GraphModel') };
  }
  if (source.origin === 'onnx') return { supported: false, reason: notLayers('an ONNX file') };
  return {
    supported: false,
    reason:
      'Graft keeps only the ONNX conversion of an imported TF.js model: choose the original model folder to export it as TF.js.',
  };
}

export async function exportTfjsClassifier(options: TfjsExportOptions): Promise<TfjsExportResult> {
  const { backbone: spec, classNames } = options;
  const support = tfjsExportSupport(spec, options.backboneArtifacts);
  if (!support.supported) return support;
  if (classNames.length < 2) throw new ExportError('EXPORT_INVALID', 'A classifier needs at least two class names.');
  const target = await checkTarget(options.outDir, options.overwrite === true);
  const artifacts = options.backboneArtifacts ?? (await bundledArtifacts(spec));
  await initTfjs();
  const backbone = await tf.loadLayersModel(tf.io.fromMemory(toModelArtifacts(artifacts))).catch((err: Error) => {
    throw new ExportError('EXPORT_UNSUPPORTED', `TF.js cannot load the backbone's own files: ${err.message}`);
  });
  const head = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: options.head.modelTopology,
      weightSpecs: options.head.weightSpecs,
      weightData: bufferOf(options.head.weightData),
    }),
  );
  let whole: tf.LayersModel | null = null;
  try {
    const names = new LayerNames(backbone);
    const features = combinedFeatures(backbone, spec, names);
    const probabilities = applyHeadCopy(head, features, spec.featureDim, classNames.length, names);
    const flip = options.flipTestTime === true;
    const single = tf.model({
      inputs: backbone.inputs,
      outputs: probabilities,
      name: flip ? names.take('graft_single_view') : 'graft_classifier',
    });
    whole = flip ? mirrorAveraged(single, spec.inputSize, names) : single;
    const input = whole.inputs[0];
    const description = describeExport(
      spec,
      classNames,
      options.graftVersion,
      describeInput(
        { ...preprocessingOf(spec), layout: 'NHWC' },
        {
          name: input.name,
          shape: input.shape.map((d, i) => (i === 0 || d === null ? 'N' : d)),
          layout: 'NHWC',
          raw: false,
        },
      ),
      whole.outputs[0].name,
      flip,
    );
    whole.setUserDefinedMetadata({ graft: description });
    const saved = withBackboneBytes(await captureArtifacts(whole), artifacts);
    return {
      supported: true,
      ...(await writeFolder(options.outDir, target, saved, options.graftVersion)),
      description,
    };
  } finally {
    disposeModels(backbone, whole);
    head.dispose();
  }
}

/**
 * Releases every weight once. Disposing the models would not: a layer counts its uses, and the
 * nested single-view model is used twice, so its weights would stay.
 */
function disposeModels(backbone: tf.LayersModel, whole: tf.LayersModel | null): void {
  for (const weight of new Set([...backbone.weights, ...(whole?.weights ?? [])])) weight.dispose();
}

/**
 * image [N, S, S, 3] -> mean of `single` on the image and on its left-right mirror image, from
 * standard layers (see the file comment).
 */
function mirrorAveraged(single: tf.LayersModel, size: number, names: LayerNames): tf.LayersModel {
  const shape = single.inputs[0].shape;
  if (shape.length !== 4 || shape[2] !== size) {
    throw new ExportError(
      'EXPORT_UNSUPPORTED',
      `The backbone input [${shape.join(', ')}] is not an NHWC image ${size} pixels wide; TF.js export cannot mirror it.`,
    );
  }
  const image = tf.input({ shape: [shape[1] ?? size, size, shape[3] ?? 3], name: names.take('graft_image') });
  const widthLast = apply(tf.layers.permute({ dims: [1, 3, 2], name: names.take('graft_mirror_width_last') }), image);
  const reverse = tf.layers.dense({ units: size, useBias: false, name: names.take('graft_mirror_reverse') });
  const reversed = apply(reverse, widthLast);
  const permutation = tf.tidy(() => tf.reverse(tf.eye(size), 1));
  reverse.setWeights([permutation]);
  permutation.dispose();
  const mirrored = apply(tf.layers.permute({ dims: [1, 3, 2], name: names.take('graft_mirror') }), reversed);
  const average = tf.layers.average({ name: names.take('graft_mirror_average') });
  const probabilities = apply(average, [apply(single, image), apply(single, mirrored)]);
  return tf.model({ inputs: image, outputs: probabilities, name: 'graft_classifier' });
}

async function bundledArtifacts(spec: BackboneSpec): Promise<TfjsArtifacts> {
  if (spec.source.kind !== 'bundled')
    throw new ExportError('EXPORT_INVALID', `Backbone ${spec.id} has no TF.js files.`);
  return readUmdModel(packageFile(spec.source.package, spec.source.files[0]));
}

/** Layer names not used by the backbone, so the added layers never collide with its own. */
class LayerNames {
  private readonly used: Set<string>;
  constructor(model: tf.LayersModel) {
    this.used = new Set(model.layers.map((l) => l.name));
  }
  take(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}

function combinedFeatures(backbone: tf.LayersModel, spec: BackboneSpec, names: LayerNames): tf.SymbolicTensor {
  const units = spec.taps.map((tap, i) => {
    let layer: tf.layers.Layer;
    try {
      layer = backbone.getLayer(tap.node);
    } catch {
      throw new ExportError('EXPORT_INVALID', `The backbone has no layer "${tap.node}" for its feature tap.`);
    }
    const out = layer.getOutputAt(0);
    if (Array.isArray(out)) {
      throw new ExportError(
        'EXPORT_UNSUPPORTED',
        `Tap layer "${tap.node}" has several outputs; TF.js export needs one.`,
      );
    }
    let vector = out;
    if (tap.reduce !== 'none' && out.shape.length === 4) {
      vector = apply(tf.layers.globalAveragePooling2d({ name: names.take(`graft_tap_${i}_pool`) }), out);
    } else if (tap.reduce !== 'none' || out.shape.length !== 2) {
      throw new ExportError(
        'EXPORT_UNSUPPORTED',
        `Tap "${tap.node}" has shape [${out.shape.join(', ')}]; TF.js export handles feature maps and flat vectors.`,
      );
    }
    if (vector.shape[1] !== tap.dim) {
      throw new ExportError(
        'EXPORT_INVALID',
        `Tap "${tap.node}" gives ${vector.shape[1]} features, the spec says ${tap.dim}.`,
      );
    }
    return l2Normalise(vector, tap.dim, names, `graft_tap_${i}_l2`);
  });
  if (units.length === 1) return units[0];
  const joined = apply(tf.layers.concatenate({ name: names.take('graft_features_concat') }), units);
  return l2Normalise(joined, spec.featureDim, names, 'graft_features_l2');
}

/** x / sqrt(|x|² + 1e-12) over the last axis of [N, d], from serialisable layers (see the file comment). */
function l2Normalise(x: tf.SymbolicTensor, d: number, names: LayerNames, base: string): tf.SymbolicTensor {
  const negated = apply(tf.layers.rescaling({ scale: -1, name: names.take(`${base}_negate`) }), x);
  const mirrored = apply(tf.layers.concatenate({ name: names.take(`${base}_mirror`) }), [x, negated]);
  const normalised = apply(
    tf.layers.layerNormalization({ center: false, scale: false, epsilon: 1e-12 / d, name: names.take(`${base}_norm`) }),
    mirrored,
  );
  const halves = apply(tf.layers.reshape({ targetShape: [2, d, 1], name: names.take(`${base}_halves`) }), normalised);
  const first = apply(
    tf.layers.cropping2D({
      cropping: [
        [0, 1],
        [0, 0],
      ],
      name: names.take(`${base}_first_half`),
    }),
    halves,
  );
  const flat = apply(tf.layers.reshape({ targetShape: [d], name: names.take(`${base}_flat`) }), first);
  return apply(tf.layers.rescaling({ scale: 1 / Math.sqrt(d), name: names.take(base) }), flat);
}

/** The head's layers, copied under new names with their trained weights, applied to `features`. */
function applyHeadCopy(
  head: tf.LayersModel,
  features: tf.SymbolicTensor,
  featureDim: number,
  classCount: number,
  names: LayerNames,
): tf.SymbolicTensor {
  const inputDim = head.inputs[0].shape[1];
  const outputDim = head.outputs[0].shape[1];
  if (inputDim !== featureDim) {
    throw new ExportError(
      'EXPORT_INVALID',
      `The head reads ${inputDim} features but the backbone gives ${featureDim}: it was trained on another backbone or tap.`,
    );
  }
  if (outputDim !== classCount) {
    throw new ExportError(
      'EXPORT_INVALID',
      `The head has ${outputDim} outputs but ${classCount} class names were given.`,
    );
  }
  const registry = tf.serialization.SerializationMap.getMap().classNameMap;
  let x = features;
  for (const layer of head.layers) {
    const className = layer.getClassName();
    if (className === 'InputLayer') continue;
    const entry = registry[className];
    if (!entry)
      throw new ExportError('EXPORT_UNSUPPORTED', `Head layer ${layer.name} (${className}) is not serialisable.`);
    const [cls, fromConfig] = entry;
    const copy = fromConfig(cls, { ...layer.getConfig(), name: names.take(`graft_head_${layer.name}`) });
    if (!(copy instanceof tf.layers.Layer)) {
      throw new ExportError('EXPORT_UNSUPPORTED', `Head layer ${layer.name} (${className}) cannot be copied.`);
    }
    x = apply(copy, x);
    copy.setWeights(layer.getWeights());
  }
  return x;
}

function apply(layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor {
  return layer.apply(x) as tf.SymbolicTensor;
}

async function captureArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  if (!saved?.modelTopology || !saved.weightSpecs || !saved.weightData) {
    throw new Error('TF.js saved the classifier without its topology or weights');
  }
  return saved;
}

/**
 * `saved` with each of the backbone's weights as the backbone's own files hold it: its bytes and
 * its quantisation (TF.js saves what it loaded as float32, so a uint8-quantised backbone would
 * otherwise be written dequantised, about four times larger). TF.js decodes those bytes on load
 * exactly as it did when the backbone was loaded here, so the numbers are the same. Weights are
 * matched by name and shape; the added layers' weights (head, mirror) are left as saved.
 */
function withBackboneBytes(saved: tf.io.ModelArtifacts, backbone: TfjsArtifacts): tf.io.ModelArtifacts {
  const own = weightBytes(backbone);
  const data = new Uint8Array(tf.io.concatenateArrayBuffers(saved.weightData as ArrayBuffer | ArrayBuffer[]));
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const spec of saved.weightSpecs ?? []) {
    const size = spec.shape.reduce((a, b) => a * b, 1) * bytesPerValue(spec as WeightSpec);
    const original = own.get(spec.name);
    const same = original && original.spec.shape.join() === spec.shape.join() && original.spec.dtype === spec.dtype;
    specs.push(same ? (original.spec as tf.io.WeightsManifestEntry) : spec);
    parts.push(same ? original.bytes : data.subarray(at, at + size));
    at += size;
  }
  return { ...saved, weightSpecs: specs, weightData: concatBytes(parts).buffer as ArrayBuffer };
}

/** Files a TF.js LayersModel export consists of; only a folder holding nothing else is ever replaced. */
const EXPORT_FILE = /^(model\.json|group\d+-shard\d+of\d+\.bin)$/;

type TargetState = 'absent' | 'empty' | 'previous-export';

async function checkTarget(dir: string, overwrite: boolean): Promise<TargetState> {
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw new ExportError(
      'EXPORT_TARGET_EXISTS',
      `${dir} cannot be used as the export folder (${(err as Error).message}).`,
    );
  }
  if (entries.length === 0) return 'empty';
  if (!overwrite) {
    throw new ExportError(
      'EXPORT_TARGET_EXISTS',
      `${dir} already holds files; choose a new or empty folder, or allow replacing a previous export.`,
    );
  }
  const foreign = entries.filter((e) => !EXPORT_FILE.test(e));
  if (foreign.length > 0) {
    throw new ExportError(
      'EXPORT_TARGET_EXISTS',
      `${dir} holds files that are not part of a TF.js export (${foreign.slice(0, 3).join(', ')}); Graft replaces only a previous export.`,
    );
  }
  return 'previous-export';
}

/**
 * Writes model.json and its shards into a sibling temporary folder, then renames it into
 * place; a previous export there is moved aside first and deleted only once the new one is in.
 */
async function writeFolder(
  dir: string,
  state: TargetState,
  artifacts: tf.io.ModelArtifacts,
  graftVersion: string,
): Promise<{ dir: string; files: string[]; bytes: number }> {
  const data = new Uint8Array(tf.io.concatenateArrayBuffers(artifacts.weightData as ArrayBuffer | ArrayBuffer[]));
  const count = Math.max(1, Math.ceil(data.byteLength / SHARD_BYTES));
  const shards = Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}.bin`);
  const modelJson: tf.io.ModelJSON = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: `Graft ${graftVersion}`,
    modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
    weightsManifest: [{ paths: shards, weights: artifacts.weightSpecs ?? [] }],
    userDefinedMetadata: artifacts.userDefinedMetadata,
  };
  const json = JSON.stringify(modelJson);
  const target = path.resolve(dir);
  const stamp = `${process.pid}-${Date.now()}`;
  const temp = `${target}.partial-${stamp}`;
  const replaced = `${target}.replaced-${stamp}`;
  await fs.mkdir(temp, { recursive: true });
  try {
    await fs.writeFile(path.join(temp, 'model.json'), json);
    for (let i = 0; i < count; i++) {
      await fs.writeFile(path.join(temp, shards[i]), data.subarray(i * SHARD_BYTES, (i + 1) * SHARD_BYTES));
    }
    if (state === 'previous-export') await fs.rename(target, replaced);
    // rmdir refuses a folder that has gained files since it was checked.
    else if (state === 'empty') await fs.rmdir(target);
    try {
      await fs.rename(temp, target);
    } catch (err) {
      if (state === 'previous-export') await fs.rename(replaced, target);
      throw err;
    }
  } catch (err) {
    await fs.rm(temp, { recursive: true, force: true });
    throw err;
  }
  await fs.rm(replaced, { recursive: true, force: true });
  return { dir: target, files: ['model.json', ...shards], bytes: Buffer.byteLength(json) + data.byteLength };
}

function bufferOf(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
