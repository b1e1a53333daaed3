// npm run bench -- <name> [args]: benchmarks that print their figures (not part of npm test).
import { benchActiveLearning } from './active-learning';
import { benchAdaBnSpeed } from './adabn-speed';
import { benchAdaptation } from './adaptation';
import { runBackbonesBench } from './backbones';
import { benchCrash } from './crash';
import { benchFinetune } from './finetune';
import { finetuneCompareBenchmark } from './finetune-compare';
import { benchGridScroll } from './grid-scroll';
import { benchHealth } from './health';
import { benchImport } from './import';
import { benchPredict } from './predict';
import { benchResponsiveness } from './responsiveness';
import { benchScale } from './scale';
import { benchTrain } from './train';

const BENCHES: Record<string, (args: string[]) => Promise<void>> = {
  import: benchImport,
  backbones: runBackbonesBench,
  train: benchTrain,
  predict: benchPredict,
  responsiveness: benchResponsiveness,
  crash: benchCrash,
  finetune: benchFinetune,
  'finetune-compare': finetuneCompareBenchmark,
  'grid-scroll': benchGridScroll,
  scale: benchScale,
  'active-learning': benchActiveLearning,
  adaptation: benchAdaptation,
  'adabn-speed': benchAdaBnSpeed,
  health: benchHealth,
};

const [name, ...args] = process.argv.slice(2);
const bench = name ? BENCHES[name] : undefined;
if (!bench) {
  console.log(`Usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [args]`);
  process.exit(name ? 2 : 0);
}
bench(args).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
