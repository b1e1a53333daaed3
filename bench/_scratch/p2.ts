import { createRequire } from 'node:module';
import path from 'node:path';
import { readUmdModel, decodeWeights } from '../../main/ml/tfjs/tfjs-artifacts';
const require = createRequire(__filename);
async function main() {
  const root = path.resolve(path.dirname(require.resolve('nsfwjs')), '../..');
  for (const name of ['mobilenet_v2', 'mobilenet_v2_mid', 'inception_v3']) {
    const p = path.join(root, `dist/models/${name}/model.min.js`);
    const t0 = Date.now();
    const a = await readUmdModel(p);
    const w = decodeWeights(a);
    const ref = require(p);
    console.log(name, Date.now() - t0, 'ms', JSON.stringify(ref.modelTopology) === JSON.stringify(a.model.modelTopology), w.size, a.groupData.map((g) => g.length));
  }
}
main();
