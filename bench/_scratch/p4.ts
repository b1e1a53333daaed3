import fs from 'node:fs';
import * as ort from 'onnxruntime-node';
import { exposeTaps, exposeNode } from '../../main/ml/onnx/expose-node';
async function main() {
  const bytes = new Uint8Array(fs.readFileSync('/work/shared/backbones/mobilenetv2-12-int8-onnx/mobilenetv2-12-int8.onnx'));
  const ex = exposeTaps(bytes, [{ tensor: '627', reduce: 'spatial-mean-nchw' }]);
  const s = await ort.InferenceSession.create(ex.bytes, { intraOpNumThreads: 1 });
  console.log(s.inputNames, s.outputNames, ex.bytes.length);
  const x = new Float32Array(2 * 3 * 224 * 224).map(() => Math.random());
  const r = await s.run({ input: new ort.Tensor('float32', x, [2, 3, 224, 224]) });
  console.log(r.graft_tap_0.dims, r.graft_tap_0.data.slice(0, 4));
  const b2 = exposeNode(bytes, '627');
  const s2 = await ort.InferenceSession.create(b2);
  const r2 = await s2.run({ input: new ort.Tensor('float32', x, [2, 3, 224, 224]) });
  console.log(Object.keys(r2), r2['627'].dims);
  const d = r2['627'].data as Float32Array; let m=0; for (let i=0;i<49;i++) m+= d[i]; console.log(m/49);
}
main();
