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
// are first rewritten as DequantizeLinear → float Conv → QuantizeLinear so their pre-activation
// (pre-clip) outputs can be measured and rescaled; the adapted model keeps those convolutions in
// float with the source output quantisation.
import {
  attr,
  attributeProto,
  floatTensor,
  int64Tensor,
  type OnnxAttribute,
  valueInfo,
} from '../onnx/onnx-graph-builder';
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

/** A convolution Graft re-estimates: its node, output tensor and weight/bias initializers. */
interface AdaptedConv {
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
  return {
    opType,
    domain: '',
    // Op type in the name: a tensor an estimation graph re-produces (Add after a Conv) keeps names unique.
    name: `graft_adabn/${opType}/${output[0]}`,
    input,
    output,
    attribute: Object.entries(attributes).map(([k, v]) => attributeProto(k, v)),
  };
}

/**
 * Rewrites every QLinearConv as DequantizeLinear → Conv (float weights and bias, dequantised
 * per output channel) → QuantizeLinear with the layer's own output scale and zero point, which
 * saturates exactly as QLinearConv does (a fused ReLU is that clip at the zero point).
 * Mutates `model`; returns how many layers were rewritten.
 */
export function floatQuantisedConvs(model: ModelProto): number {
  const graph = model.graph!;
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const nodes: NodeProto[] = [];
  const added: TensorProto[] = [];
  let rewritten = 0;
  for (const n of graph.node ?? []) {
    if (n.opType !== 'QLinearConv' || (n.domain ?? '') !== '') {
      nodes.push(n);
      continue;
    }
    const [x, xScale, xZero, w, wScale, wZero, yScale, yZero, b] = n.input ?? [];
    const wT = inits.get(w);
    const wScaleT = inits.get(wScale);
    const wZeroT = inits.get(wZero);
    const xScaleT = inits.get(xScale);
    if (!wT || !wScaleT || !xScaleT) {
      throw new AdaBnError('ADABN_UNSUPPORTED', `Quantised convolution ${n.name} has weights computed in the graph.`);
    }
    const dims = (wT.dims ?? []).map(toNumber);
    const channels = dims[0];
    const per = dims.slice(1).reduce((a, v) => a * v, 1);
    const wq = intValues(wT);
    const scales = floatValues(wScaleT);
    const zeros = wZeroT ? intValues(wZeroT) : [0];
    const weights = new Float32Array(wq.length);
    for (let c = 0; c < channels; c++) {
      const s = scales.length > 1 ? scales[c] : scales[0];
      const z = zeros.length > 1 ? zeros[c] : zeros[0];
      for (let k = 0; k < per; k++) weights[c * per + k] = (wq[c * per + k] - z) * s;
    }
    const base = `graft_adabn/${n.output![0]}`;
    added.push(floatTensor(`${base}/W`, dims, weights));
    const inputs = [`${base}/x`, `${base}/W`];
    if (b) {
      const bq = intValues(inits.get(b)!);
      const xs = floatValues(xScaleT)[0];
      const bias = Float32Array.from(bq, (v, c) => v * xs * (scales.length > 1 ? scales[c] : scales[0]));
      added.push(floatTensor(`${base}/B`, [channels], bias));
      inputs.push(`${base}/B`);
    }
    nodes.push(makeNode('DequantizeLinear', [x, xScale, xZero], [`${base}/x`]));
    nodes.push({ ...makeNode('Conv', inputs, [`${base}/y`]), attribute: n.attribute });
    nodes.push(makeNode('QuantizeLinear', [`${base}/y`, yScale, yZero], [n.output![0]]));
    rewritten += 1;
  }
  graph.node = nodes;
  graph.initializer = [...(graph.initializer ?? []), ...added];
  return rewritten;
}

/** The 2-D convolutions with initializer weights, in graph (topological) order. */
function adaptedConvs(model: ModelProto): AdaptedConv[] {
  const graph = model.graph!;
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  return (graph.node ?? []).flatMap((node): AdaptedConv[] => {
    if (node.opType !== 'Conv' || (node.domain ?? '') !== '') return [];
    const w = inits.get(node.input?.[1] ?? '');
    if (!w || w.dataType !== ElemType.FLOAT || (w.dims ?? []).length !== 4) return [];
    const b = node.input?.[2];
    if (b && inits.get(b)?.dataType !== ElemType.FLOAT) return [];
    return [{ node, output: node.output![0], channels: toNumber(w.dims![0]) }];
  });
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
  adaptedBytes: Uint8Array,
  source: ChannelStats[] | null,
  keepOutputs: string[],
): { bytes: Uint8Array; outputs: string[] } {
  const model = decodeModel(adaptedBytes);
  const graph = model.graph!;
  const opset = defaultOpset(model.opsetImport ?? []);
  const convs = adaptedConvs(model);
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
    if (source) conv.node.output = [raw];
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
  const kept = new Set(nodesNeededFor(info, [...outputs, ...keepOutputs]));
  graph.node = info.nodes.filter((n) => kept.has(n));
  const used = new Set(graph.node.flatMap((n) => n.input ?? []));
  graph.input = (graph.input ?? []).filter((v) => !info.initializers.has(v.name ?? '') || used.has(v.name ?? ''));
  graph.initializer = graph.initializer.filter((t) => used.has(t.name ?? ''));
  graph.valueInfo = [];
  graph.output = [...outputs, ...keepOutputs].map((name) => valueInfo(name, ElemType.FLOAT));
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
  /** Quantised convolutions turned into float ones to be adapted. */
  dequantised: number;
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
  const dequantised = floatQuantisedConvs(model);
  const floatBytes = encodeModel(model);
  const convs = adaptedConvs(model);
  if (convs.length === 0) {
    throw new AdaBnError(
      'ADABN_UNSUPPORTED',
      'The backbone has no convolution whose statistics AdaBN can re-estimate.',
    );
  }
  const measure = async (pass: 'source' | 'target', stats: ChannelStats[] | null) => {
    const graph = estimationGraph(floatBytes, stats, []);
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
  return { bytes: encodeModel(model), layers: convs.length, dequantised, source, target };
}

/** Writes W' and b' (file comment) into each convolution's initializers; adds a bias where it had none. */
function foldStatistics(model: ModelProto, convs: AdaptedConv[], source: ChannelStats[], target: ChannelStats[]): void {
  const graph = model.graph!;
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const readers = new Map<string, number>();
  for (const n of graph.node ?? []) for (const i of n.input ?? []) readers.set(i, (readers.get(i) ?? 0) + 1);
  const replaced = new Map<string, TensorProto>();
  convs.forEach((conv, i) => {
    const wName = conv.node.input![1];
    const w = inits.get(wName)!;
    const dims = (w.dims ?? []).map(toNumber);
    const weights = floatValues(w);
    const per = weights.length / conv.channels;
    const b = conv.node.input![2];
    const bias = b ? floatValues(inits.get(b)!) : new Float32Array(conv.channels);
    const s = source[i];
    const t = target[i];
    for (let c = 0; c < conv.channels; c++) {
      const ratio = Math.sqrt(s.variance[c] + EPSILON) / Math.sqrt(t.variance[c] + EPSILON);
      for (let k = 0; k < per; k++) weights[c * per + k] *= ratio;
      bias[c] = s.mean[c] + (bias[c] - t.mean[c]) * ratio;
    }
    // A weight another node also reads gets its own copy, so only this convolution changes.
    const base = `graft_adabn/${conv.output}`;
    const shared = (name: string) => (readers.get(name) ?? 0) > 1;
    const wOut = shared(wName) ? `${base}/W` : wName;
    const bOut = b && !shared(b) ? b : `${base}/B`;
    replaced.set(wOut, floatTensor(wOut, dims, weights));
    replaced.set(bOut, floatTensor(bOut, [conv.channels], bias));
    conv.node.input = [conv.node.input![0], wOut, bOut];
  });
  const kept = (graph.initializer ?? []).filter((t) => !replaced.has(t.name ?? ''));
  graph.initializer = [...kept, ...replaced.values()];
  const used = new Set((graph.node ?? []).flatMap((n) => n.input ?? []));
  graph.initializer = graph.initializer.filter((t) => used.has(t.name ?? ''));
  graph.input = (graph.input ?? []).filter((v) => !inits.has(v.name ?? '') || used.has(v.name ?? ''));
}
