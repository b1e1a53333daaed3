// Reads an ONNX initializer's numbers, and dequantises weights the two ways quantised ONNX
// models store them: QDQ (a DequantizeLinear node reading an int8/uint8 initializer) and
// QOperator (QLinearConv's own weight, scale and zero-point inputs). ONNX operator spec:
// DequantizeLinear y = (x - zero_point) * scale, per tensor or per slice along `axis`.
import { ElemType, type TensorProto, toNumber } from '../onnx/onnx-proto';
import { FineTuneError } from './finetune-error';

/** A float tensor in ONNX layout (row-major over `dims`). */
export interface OnnxWeight {
  dims: number[];
  data: Float32Array;
}

/** The initializer's values as float32, from raw_data or the typed field (float, int8/uint8/int32, int64). */
export function tensorValues(t: TensorProto): OnnxWeight {
  const dims = (t.dims ?? []).map((d) => toNumber(d));
  const count = dims.reduce((a, b) => a * b, 1);
  const type = t.dataType ?? 0;
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  const out = new Float32Array(count);
  if (raw) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < count; i++) {
      if (type === ElemType.FLOAT) out[i] = view.getFloat32(i * 4, true);
      else if (type === ElemType.INT8) out[i] = view.getInt8(i);
      else if (type === ElemType.UINT8) out[i] = view.getUint8(i);
      else if (type === ElemType.INT32) out[i] = view.getInt32(i * 4, true);
      else if (type === ElemType.INT64) out[i] = Number(view.getBigInt64(i * 8, true));
      else throw unsupportedType(t);
    }
    return { dims, data: out };
  }
  const typed =
    type === ElemType.FLOAT
      ? t.floatData
      : type === ElemType.INT8 || type === ElemType.UINT8 || type === ElemType.INT32
        ? t.int32Data
        : type === ElemType.INT64
          ? t.int64Data
          : null;
  if (!typed) throw unsupportedType(t);
  for (let i = 0; i < count; i++) out[i] = toNumber(typed[i] ?? 0);
  return { dims, data: out };
}

/**
 * (q - zeroPoint) * scale, with scale/zeroPoint one value or one per index along `axis` of q.
 * Throws FineTuneError FINETUNE_UNSUPPORTED when the parameter lengths fit neither.
 */
export function dequantise(q: OnnxWeight, scale: OnnxWeight, zeroPoint: OnnxWeight | null, axis: number): OnnxWeight {
  const n = scale.data.length;
  const ax = axis < 0 ? axis + q.dims.length : axis;
  if (n !== 1 && q.dims[ax] !== n) {
    throw new FineTuneError(
      'FINETUNE_UNSUPPORTED',
      `A quantised weight of shape [${q.dims}] has ${n} scales; Graft reads one per tensor or per axis ${axis}.`,
    );
  }
  const inner = q.dims.slice(ax + 1).reduce((a, b) => a * b, 1);
  const data = new Float32Array(q.data.length);
  for (let i = 0; i < data.length; i++) {
    const c = n === 1 ? 0 : Math.floor(i / inner) % n;
    data[i] = (q.data[i] - (zeroPoint?.data[c] ?? 0)) * scale.data[c];
  }
  return { dims: q.dims, data };
}

/** The float interval a quantised tensor can hold: its integer range through (q - zeroPoint) * scale. */
export function quantisedRange(scale: number, zeroPoint: number, zeroPointType: number): [number, number] {
  const [lo, hi] = zeroPointType === ElemType.INT8 ? [-128, 127] : [0, 255];
  return [(lo - zeroPoint) * scale, (hi - zeroPoint) * scale];
}

function unsupportedType(t: TensorProto): FineTuneError {
  return new FineTuneError(
    'FINETUNE_UNSUPPORTED',
    `Initializer "${t.name}" holds ONNX element type ${t.dataType}; Graft reads float, int8, uint8, int32 and int64 weights.`,
  );
}
