// What Graft knows about a backbone. Plain JSON-serialisable data, so an imported
// backbone's spec can be stored as it is.
import type { TapReduce } from '../onnx/expose-node';
import type { Normalisation, Preprocessing, TensorLayoutName } from '../preprocess';

export type BundledFormat = 'tfjs-layers-umd' | 'tfjs-graph-umd' | 'tfjs-graph-json';

export type BackboneSource =
  | {
      kind: 'bundled';
      /** npm package the files ship in, resolved at run time. */
      package: string;
      /** Files inside the package: the model file first, weight files found from its manifest. */
      files: string[];
      format: BundledFormat;
    }
  | {
      kind: 'imported';
      /** The ONNX file, relative to the data directory. */
      path: string;
      /** sha256 of that file, checked before use. */
      sha256: string;
      /** What the user imported: an ONNX file or a TF.js model folder converted to ONNX. */
      origin: 'onnx' | 'tfjs';
    };

export interface FeatureTap {
  /** ONNX tensor name; for TF.js sources, the layer name (the converter names tensors after layers). */
  node: string;
  reduce: TapReduce;
  /** Length of this tap's feature vector. */
  dim: number;
}

export interface BackboneSpec {
  id: string;
  /** Changes whenever the network, its taps or its preprocessing change; part of the cache keys. */
  version: string;
  name: string;
  source: BackboneSource;
  licence: string;
  inputSize: number;
  layout: TensorLayoutName;
  normalisation: Normalisation;
  resize: { shortSide: number; crop: 'centre' };
  /** Feature vector = per-tap L2-normalised outputs, concatenated, L2-normalised again. */
  taps: FeatureTap[];
  featureDim: number;
  notes: string;
}

/** A backbone ready for onnxruntime: a local ONNX file whose outputs are the feature taps. */
export interface PreparedBackbone {
  spec: BackboneSpec;
  onnxPath: string;
  inputName: string;
  /** One [N, d_i] output per tap, in tap order; d_i sum to spec.featureDim. */
  tapOutputs: string[];
  tapDims: number[];
  featureDim: number;
  /** Largest batch the model accepts (1 for fixed-batch models), or null if any. */
  maxBatch: number | null;
  preprocessing: Preprocessing;
  /** Identifies the numbers this backbone produces; the backboneId of embedding cache keys. */
  embeddingModelId: string;
}

export function preprocessingOf(spec: BackboneSpec): Preprocessing {
  return {
    inputSize: spec.inputSize,
    resizeShortSide: spec.resize.shortSide,
    layout: spec.layout,
    normalisation: spec.normalisation,
  };
}

export function embeddingModelId(spec: BackboneSpec): string {
  return `${spec.id}@${spec.version}`;
}
