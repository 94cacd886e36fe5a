import { processIo } from '../lib/cli/io';
import { runBench } from './run';

/** `npm run bench -- [NAME...]`: the benchmarks, bundled apart from the CLI (scripts/build.mjs). */
void runBench(process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code;
});
