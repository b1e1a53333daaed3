import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as ort from 'onnxruntime-node';
import { readUmdModel } from '../../main/ml/tfjs/tfjs-artifacts';
import { layersModelToOnnx } from '../../main/ml/onnx/layers-to-onnx';
const require = createRequire(__filename);
async function main() {
  setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));
  await tf.setBackend(process.argv[3] ?? 'wasm');
  const root = path.resolve(path.dirname(require.resolve('nsfwjs')), '../..');
  const name = process.argv[2] ?? 'mobilenet_v2';
  const a = await readUmdModel(path.join(root, `dist/models/${name}/model.min.js`));
  let t0 = Date.now();
  const conv = layersModelToOnnx(a);
  console.log('convert ms', Date.now() - t0, conv.bytes.length, conv.inputs, conv.outputs);
  const weightSpecs = a.model.weightsManifest.flatMap((g) => g.weights);
  const total = a.groupData.reduce((n, g) => n + g.length, 0);
  const wd = new Uint8Array(total); let off = 0; for (const g of a.groupData) { wd.set(g, off); off += g.length; }
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: a.model.modelTopology as never, weightSpecs: weightSpecs as never, weightData: wd.buffer }));
  const size = conv.inputs[0].shape[1] as number;
  const x = tf.randomUniform([2, size, size, 3], 0, 1, 'float32', 1);
  t0 = Date.now();
  const y = (model.predict(x) as tf.Tensor).dataSync();
  console.log('tfjs ms', Date.now() - t0);
  const sess = await ort.InferenceSession.create(conv.bytes, { intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
  t0 = Date.now();
  const r = await sess.run({ [conv.inputs[0].name]: new ort.Tensor('float32', x.dataSync(), [2, size, size, 3]) });
  console.log('ort ms', Date.now() - t0);
  const z = r[conv.outputs[0].name].data as Float32Array;
  let m = 0; for (let i = 0; i < z.length; i++) m = Math.max(m, Math.abs(z[i] - y[i]));
  console.log('maxdiff', m, Array.from(y.slice(0, 5)), Array.from(z.slice(0, 5)));
}
main();
