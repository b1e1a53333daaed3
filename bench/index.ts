// npm run bench -- <name> [args]: benchmarks that print their figures (not part of npm test).
import { benchImport } from './import';

const BENCHES: Record<string, (args: string[]) => Promise<void>> = {
  import: benchImport,
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
