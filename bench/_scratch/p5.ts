import fs from 'node:fs';
import { proposeTap } from '../../main/ml/onnx/propose-tap';
for (const p of ['/work/shared/backbones/mobilenetv2-12-int8-onnx/mobilenetv2-12-int8.onnx', '/work/shared/backbones/shufflenet-v2-12-qdq-onnx/shufflenet-v2-12-qdq.onnx']) {
  const r = proposeTap(new Uint8Array(fs.readFileSync(p)));
  console.log(r.tap, r.reason, r.candidates.slice(0, 6));
}
