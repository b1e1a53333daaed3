// The only module that loads onnxruntime-node: it switches the runtime's telemetry off first, so
// no session in any Graft process can exist with it on. Import `* as ort` from here, never from
// 'onnxruntime-node' (type-only imports excepted); main/ml/onnxruntime.test.ts enforces it.
import './onnxruntime-telemetry';

export * from 'onnxruntime-node';
