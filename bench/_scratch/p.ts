import onnxProto from 'onnx-proto';
const { onnx } = onnxProto;
const m = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }] });
const b = onnx.ModelProto.encode(m).finish();
console.log(b.length, onnx.ModelProto.decode(b).irVersion);
