import type * as ort from 'onnxruntime-node';

export interface PlainTensor {
  type: 'float32';
  data: Float32Array;
  dims: number[];
}

export interface InferenceWorkerData {
  model: string | Uint8Array;
  options: ort.InferenceSession.SessionOptions;
}

export interface InferenceRequest {
  id: number;
  feeds: Record<string, PlainTensor>;
  fetches?: string[];
}

export type InferenceReply =
  | { type: 'ready'; inputNames: readonly string[]; outputNames: readonly string[] }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; outputs: Record<string, PlainTensor> }
  | { type: 'error'; id: number; message: string };
