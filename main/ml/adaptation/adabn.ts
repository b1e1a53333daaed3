// AdaBN (Li, Wang, Shi, Liu & Hou 2016, "Revisiting Batch Normalization For Practical Domain
// Adaptation", arXiv:1603.04779) for ONNX backbones whose BatchNorm is already folded into the
// convolutions, as Graft's converters and TF.js's fused ops leave it.
//
// With BN folded, y = W·x + b of a convolution already is γ·(z − μ)/σ + β of the original network,
// so the BN's output statistics on the source photos are y's own per-channel mean m_s (≈ β) and
// standard deviation s_s (≈ |γ|). AdaBN replaces μ, σ with the target photos' statistics; for the
// folded form that means: measure y's mean m_t and deviation s_t on the target photos (every
// upstream layer already adapted) and rescale each output channel so the target photos leave it
// with the source statistics again:
//   W' = W · s_s/s_t,   b' = m_s + (b − m_t) · s_s/s_t.
// The upstream dependency is handled in one pass per batch, as BN's training mode does: the
// estimation graph standardises every convolution's output with the batch's own statistics
// (ReduceMean over N, H, W) and maps it to (m_s, s_s) before the next layer reads it, and exposes
// those batch statistics; batches are pooled into population statistics (mean of means, mean of
// second moments). Every 2-D Conv is treated as BN-followed: that holds for the MobileNet-style
// backbones Graft ships and imports, and for a convolution without BN the same rescaling is plain
// per-channel moment matching. Quantised QLinearConv layers (the ONNX Model Zoo's int8 models)
// keep their integer kernel: the estimation reads their pre-activation through a wider output
// quantisation, and the fold rescales their per-channel weight scales and int32 bias. (Rewriting
// them as float Convs was tried first: onnxruntime's int8 kernel on this CPU differs from the
// float arithmetic by up to 14 output steps in the second layer, so the head no longer fitted
// the features and PACS accuracy fell to chance.)

import { node } from '../onnx/expose-node';
import { attr, floatTensor, int64Tensor, type OnnxAttribute, valueInfo } from '../onnx/onnx-graph-builder';
import { defaultOpset, graphInfo, nodesNeededFor } from '../onnx/onnx-graph-info';
import {
  decodeModel,
  ElemType,
  encodeModel,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  toNumber,
} from '../onnx/onnx-proto';

/** Added to variances before the square root, as Keras' and PyTorch's BatchNorm default (1e-3 / 1e-5) do. */
const EPSILON = 1e-5;

/** One convolution's per-output-channel statistics, pooled over photos and spatial positions. */
export interface ChannelStats {
  mean: Float64Array;
  variance: Float64Array;
}

/**
 * A convolution Graft re-estimates: `node` is it in the model being adapted; `output` names its
 * float pre-activation in the estimation graphs (the Conv's own output; for a QLinearConv, the
 * dequantised tensor measurableModel adds).
 */
interface AdaptedConv {
  kind: 'float' | 'quantised';
  node: NodeProto;
  output: string;
  channels: number;
}

/** Runs a batch through an estimation graph: feeds one input tensor, returns the named outputs. */
export type RunBatch = (bytes: Uint8Array, outputs: string[]) => BatchRunner;

export interface BatchRunner {
  /** Values of each requested output for the next batch of `count` photos; null when no photo is left. */
  next(): Promise<{ count: number; outputs: Record<string, Float32Array> } | null>;
  close(): Promise<void>;
}

export class AdaBnError extends Error {
  constructor(
    readonly code: 'ADABN_UNSUPPORTED' | 'ADABN_NO_PHOTOS',
    message: string,
  ) {
    super(message);
    this.name = 'AdaBnError';
  }
}

/** Float values of an initializer stored as raw bytes (little-endian) or as float_data. */
function floatValues(t: TensorProto): Float32Array {
  if (t.rawData && t.rawData.length > 0) {
    const raw = t.rawData;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    return Float32Array.from({ length: raw.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
  }
  return Float32Array.from(t.floatData ?? []);
}

/** Integer values (int8, uint8, int32) of an initializer as numbers. */
function intValues(t: TensorProto): number[] {
  if (t.rawData && t.rawData.length > 0) {
    const raw = t.rawData;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    if (t.dataType === ElemType.INT8) return Array.from({ length: raw.byteLength }, (_, i) => view.getInt8(i));
    if (t.dataType === ElemType.UINT8) return Array.from({ length: raw.byteLength }, (_, i) => view.getUint8(i));
    if (t.dataType === ElemType.INT32) {
      return Array.from({ length: raw.byteLength / 4 }, (_, i) => view.getInt32(i * 4, true));
    }
  }
  return (t.int32Data ?? []).map((v) => (t.dataType === ElemType.INT8 && v > 127 ? v - 256 : v));
}

function makeNode(
  opType: string,
  input: string[],
  output: string[],
  attributes: Record<string, OnnxAttribute> = {},
): NodeProto {
  // Op type in the name: a tensor an estimation graph re-produces (Add after a Conv) keeps names unique.
  return node(opType, input, output, attributes, `graft_adabn/${opType}/${output[0]}`);
}

/**
 * The convolutions Graft re-estimates, in graph (topological) order: 2-D Convs with float
 * initializer weights, and QLinearConvs with initializer weights and scales.
 */
function adaptedConvs(model: ModelProto): AdaptedConv[] {
  const graph = model.graph!;
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  return (graph.node ?? []).flatMap((node): AdaptedConv[] => {
    if ((node.domain ?? '') !== '') return [];
    const input = node.input ?? [];
    if (node.opType === 'Conv') {
      const w = inits.get(input[1] ?? '');
      if (!w || w.dataType !== ElemType.FLOAT || (w.dims ?? []).length !== 4) return [];
      if (input[2] && inits.get(input[2])?.dataType !== ElemType.FLOAT) return [];
      return [{ kind: 'float', node, output: node.output![0], channels: toNumber(w.dims![0]) }];
    }
    if (node.opType !== 'QLinearConv') return [];
    const w = inits.get(input[3] ?? '');
    const known = [1, 4, 5, 6, 7].every((i) => inits.has(input[i] ?? ''));
    if (!w || (w.dims ?? []).length !== 4 || !known || (input[8] && !inits.has(input[8]))) return [];
    const output = `graft_adabn/${node.output![0]}/y`;
    return [{ kind: 'quantised', node, output, channels: toNumber(w.dims![0]) }];
  });
}

/**
 * A copy of the model in which each quantised convolution's pre-activation can be read and
 * replaced: the same QLinearConv (the same integer kernel, so what the estimation measures is what
 * the adapted model computes) with a wider output quantisation — twice the scale, zero point
 * mid-range, so negative pre-activations are kept — then DequantizeLinear to the float tensor
 * `conv.output`, then QuantizeLinear with the layer's own output scale and zero point, which clips
 * as the original did (a fused ReLU is that clip at the zero point).
 */
function measurableModel(modelBytes: Uint8Array, convs: AdaptedConv[]): Uint8Array {
  const model = decodeModel(modelBytes);
  const graph = model.graph!;
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const quantised = new Map(convs.filter((c) => c.kind === 'quantised').map((c) => [c.node.output![0], c]));
  const added: TensorProto[] = [];
  graph.node = (graph.node ?? []).flatMap((n): NodeProto[] => {
    const conv = n.opType === 'QLinearConv' ? quantised.get(n.output![0]) : undefined;
    if (!conv) return [n];
    const input = [...(n.input ?? [])];
    const [yScale, yZero] = [input[6], input[7]];
    const base = `graft_adabn/${n.output![0]}`;
    const signed = inits.get(yZero)?.dataType === ElemType.INT8;
    added.push(floatTensor(`${base}/wide_scale`, [], Float32Array.of(2 * floatValues(inits.get(yScale)!)[0])));
    added.push({
      name: `${base}/wide_zero`,
      dims: [],
      dataType: signed ? ElemType.INT8 : ElemType.UINT8,
      rawData: Uint8Array.of(signed ? 0 : 128),
    });
    input[6] = `${base}/wide_scale`;
    input[7] = `${base}/wide_zero`;
    return [
      { ...n, input, output: [`${base}/wide`] },
      makeNode('DequantizeLinear', [`${base}/wide`, input[6], input[7]], [conv.output]),
      makeNode('QuantizeLinear', [conv.output, yScale, yZero], [n.output![0]]),
    ];
  });
  graph.initializer = [...(graph.initializer ?? []), ...added];
  return encodeModel(model);
}

function statName(i: number, kind: 'mean' | 'var'): string {
  return `graft_adabn/${i}/${kind}`;
}

/**
 * The estimation graph: for each convolution, its batch mean and (biased) variance per output
 * channel as outputs [1, C, 1, 1]. With `source` statistics given, each convolution's output is
 * also replaced, for the layers downstream, by its batch-standardised value mapped to those
 * statistics (BN in training mode with the source's scale and shift).
 */
function estimationGraph(
  measurableBytes: Uint8Array,
  convs: AdaptedConv[],
  source: ChannelStats[] | null,
): { bytes: Uint8Array; outputs: string[] } {
  const model = decodeModel(measurableBytes);
  const graph = model.graph!;
  const opset = defaultOpset(model.opsetImport ?? []);
  const producer = new Map((graph.node ?? []).flatMap((n) => (n.output ?? []).map((o) => [o, n] as const)));
  const added: NodeProto[] = [];
  const inits: TensorProto[] = [floatTensor('graft_adabn/eps', [], Float32Array.of(EPSILON))];
  const axesName = 'graft_adabn/axes';
  if (opset >= 18) inits.push(int64Tensor(axesName, [3], [0, 2, 3]));
  const reduceMean = (input: string, output: string): NodeProto =>
    opset >= 18
      ? makeNode('ReduceMean', [input, axesName], [output], { keepdims: attr.int(1) })
      : makeNode('ReduceMean', [input], [output], { axes: attr.ints([0, 2, 3]), keepdims: attr.int(1) });
  const outputs: string[] = [];
  convs.forEach((conv, i) => {
    const y = conv.output;
    const raw = source ? `graft_adabn/${i}/raw` : y;
    const node = producer.get(y)!;
    if (source) node.output = (node.output ?? []).map((o) => (o === y ? raw : o));
    const mean = statName(i, 'mean');
    const variance = statName(i, 'var');
    const centred = `graft_adabn/${i}/centred`;
    added.push(reduceMean(raw, mean));
    added.push(makeNode('Sub', [raw, mean], [centred]));
    added.push(makeNode('Mul', [centred, centred], [`graft_adabn/${i}/sq`]));
    added.push(reduceMean(`graft_adabn/${i}/sq`, variance));
    outputs.push(mean, variance);
    if (!source) return;
    const s = source[i];
    const shape = [1, conv.channels, 1, 1];
    inits.push(
      floatTensor(
        `graft_adabn/${i}/s_s`,
        shape,
        Float32Array.from(s.variance, (v) => Math.sqrt(v + EPSILON)),
      ),
    );
    inits.push(floatTensor(`graft_adabn/${i}/m_s`, shape, Float32Array.from(s.mean)));
    added.push(makeNode('Add', [variance, 'graft_adabn/eps'], [`graft_adabn/${i}/var_eps`]));
    added.push(makeNode('Sqrt', [`graft_adabn/${i}/var_eps`], [`graft_adabn/${i}/std`]));
    added.push(makeNode('Div', [`graft_adabn/${i}/s_s`, `graft_adabn/${i}/std`], [`graft_adabn/${i}/gain`]));
    added.push(makeNode('Mul', [centred, `graft_adabn/${i}/gain`], [`graft_adabn/${i}/scaled`]));
    added.push(makeNode('Add', [`graft_adabn/${i}/scaled`, `graft_adabn/${i}/m_s`], [y]));
  });
  // Only what the statistics need runs: the layers after the last convolution are dropped.
  graph.node = [...(graph.node ?? []), ...added];
  graph.initializer = [...(graph.initializer ?? []), ...inits];
  const info = graphInfo(graph, opset);
  const kept = new Set(nodesNeededFor(info, outputs));
  graph.node = info.nodes.filter((n) => kept.has(n));
  const used = new Set(graph.node.flatMap((n) => n.input ?? []));
  graph.input = (graph.input ?? []).filter((v) => !info.initializers.has(v.name ?? '') || used.has(v.name ?? ''));
  graph.initializer = graph.initializer.filter((t) => used.has(t.name ?? ''));
  graph.valueInfo = [];
  graph.output = outputs.map((name) => valueInfo(name, ElemType.FLOAT));
  return { bytes: encodeModel(model), outputs };
}

/** Pools per-batch means and variances (each over a batch's photos and positions) weighted by photo count. */
async function pooledStats(
  runner: BatchRunner,
  layers: number,
  onBatch: (photos: number) => void,
): Promise<ChannelStats[]> {
  const sum: Float64Array[] = [];
  const sumSq: Float64Array[] = [];
  let photos = 0;
  for (let batch = await runner.next(); batch; batch = await runner.next()) {
    for (let i = 0; i < layers; i++) {
      const mean = batch.outputs[statName(i, 'mean')];
      const variance = batch.outputs[statName(i, 'var')];
      sum[i] ??= new Float64Array(mean.length);
      sumSq[i] ??= new Float64Array(mean.length);
      for (let c = 0; c < mean.length; c++) {
        sum[i][c] += batch.count * mean[c];
        sumSq[i][c] += batch.count * (variance[c] + mean[c] * mean[c]);
      }
    }
    photos += batch.count;
    onBatch(batch.count);
  }
  if (photos === 0) throw new AdaBnError('ADABN_NO_PHOTOS', 'No photo could be read to estimate the statistics.');
  return sum.map((s, i) => {
    const mean = s.map((v) => v / photos);
    const variance = sumSq[i].map((v, c) => Math.max(0, v / photos - mean[c] * mean[c]));
    return { mean, variance };
  });
}

export interface AdaBnResult {
  /** The adapted model: the input model with re-estimated statistics folded into its convolutions. */
  bytes: Uint8Array;
  /** Convolutions re-estimated. */
  layers: number;
  /** Of them, quantised (QLinearConv) layers, adapted through their weight scales and int32 bias. */
  quantised: number;
  source: ChannelStats[];
  target: ChannelStats[];
}

/**
 * AdaBN on an ONNX model: `source` and `target` open batch runners over the source and target
 * photos for a given estimation graph (photos are preprocessed as the model expects; batches of
 * several photos, as BN's batch statistics need). Returns the model with W' = W·s_s/s_t and
 * b' = m_s + (b − m_t)·s_s/s_t per convolution output channel (see the file comment); its
 * graph, inputs and outputs are otherwise the input's. `onProgress` gets photos done of each pass.
 * Throws AdaBnError ADABN_UNSUPPORTED when the model has no adaptable convolution,
 * ADABN_NO_PHOTOS when a pass read no photo.
 */
export async function adaBn(
  modelBytes: Uint8Array,
  open: { source: RunBatch; target: RunBatch },
  onProgress: (pass: 'source' | 'target', photos: number) => void = () => {},
): Promise<AdaBnResult> {
  const model = decodeModel(modelBytes);
  const convs = adaptedConvs(model);
  if (convs.length === 0) {
    throw new AdaBnError(
      'ADABN_UNSUPPORTED',
      'The backbone has no convolution whose statistics AdaBN can re-estimate.',
    );
  }
  const measurable = measurableModel(modelBytes, convs);
  const measure = async (pass: 'source' | 'target', stats: ChannelStats[] | null) => {
    const graph = estimationGraph(measurable, convs, stats);
    const runner = open[pass](graph.bytes, graph.outputs);
    let done = 0;
    try {
      return await pooledStats(runner, convs.length, (n) => {
        done += n;
        onProgress(pass, done);
      });
    } finally {
      await runner.close();
    }
  };
  const source = await measure('source', null);
  const target = await measure('target', source);
  foldStatistics(model, convs, source, target);
  const quantised = convs.filter((c) => c.kind === 'quantised').length;
  return { bytes: encodeModel(model), layers: convs.length, quantised, source, target };
}

/** Per-channel values of a scalar or per-channel initializer. */
function perChannel(values: ArrayLike<number>, channels: number): number[] {
  return Array.from({ length: channels }, (_, c) => values[values.length > 1 ? c : 0]);
}

/**
 * Writes W' and b' (file comment) into each convolution's initializers, under new names so a
 * tensor other nodes share stays as it was. A float Conv gets new weights and bias (added where
 * it had none); a QLinearConv keeps its integer weights and kernel: its per-channel weight scale
 * becomes w_scale·s_s/s_t (a per-tensor scale and zero point become per-channel) and its int32
 * bias round(b'/(x_scale·w_scale')).
 */
function foldStatistics(model: ModelProto, convs: AdaptedConv[], source: ChannelStats[], target: ChannelStats[]): void {
  const graph = model.graph!;
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const added: TensorProto[] = [];
  convs.forEach((conv, i) => {
    const input = [...(conv.node.input ?? [])];
    const channels = conv.channels;
    const ratio = Array.from(
      { length: channels },
      (_, c) => Math.sqrt(source[i].variance[c] + EPSILON) / Math.sqrt(target[i].variance[c] + EPSILON),
    );
    const adaptedBias = (bias: ArrayLike<number>) =>
      Float64Array.from({ length: channels }, (_, c) => source[i].mean[c] + (bias[c] - target[i].mean[c]) * ratio[c]);
    const base = `graft_adabn/${conv.node.output![0]}`;
    if (conv.kind === 'float') {
      const w = inits.get(input[1])!;
      const weights = floatValues(w);
      const per = weights.length / channels;
      for (let c = 0; c < channels; c++) for (let k = 0; k < per; k++) weights[c * per + k] *= ratio[c];
      const bias = adaptedBias(input[2] ? floatValues(inits.get(input[2])!) : new Float32Array(channels));
      added.push(floatTensor(`${base}/W`, (w.dims ?? []).map(toNumber), weights));
      added.push(floatTensor(`${base}/B`, [channels], Float32Array.from(bias)));
      conv.node.input = [input[0], `${base}/W`, `${base}/B`];
      return;
    }
    const xScale = floatValues(inits.get(input[1])!)[0];
    const wScale = perChannel(floatValues(inits.get(input[4])!), channels);
    const wZero = inits.get(input[5])!;
    const biasQ = input[8] ? intValues(inits.get(input[8])!) : new Array<number>(channels).fill(0);
    const bias = adaptedBias(biasQ.map((v, c) => v * xScale * wScale[c]));
    const scale = Float32Array.from(wScale, (v, c) => v * ratio[c]);
    const int32 = Int32Array.from(bias, (v, c) =>
      Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(v / (xScale * scale[c])))),
    );
    const zeros = perChannel(intValues(wZero), channels);
    added.push(floatTensor(`${base}/w_scale`, [channels], scale));
    added.push({
      name: `${base}/w_zero`,
      dims: [channels],
      dataType: wZero.dataType,
      rawData: wZero.dataType === ElemType.INT8 ? new Uint8Array(Int8Array.from(zeros).buffer) : Uint8Array.from(zeros),
    });
    added.push({
      name: `${base}/B`,
      dims: [channels],
      dataType: ElemType.INT32,
      rawData: new Uint8Array(int32.buffer),
    });
    conv.node.input = [...input.slice(0, 4), `${base}/w_scale`, `${base}/w_zero`, input[6], input[7], `${base}/B`];
  });
  const used = new Set((graph.node ?? []).flatMap((n) => n.input ?? []));
  graph.initializer = [...(graph.initializer ?? []), ...added].filter((t) => used.has(t.name ?? ''));
  graph.input = (graph.input ?? []).filter((v) => !inits.has(v.name ?? '') || used.has(v.name ?? ''));
}
