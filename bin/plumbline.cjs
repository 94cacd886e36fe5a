#!/usr/bin/env node
'use strict';
// The CLI is bundled by `npm run build` (run by `npm ci` through the prepare script).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const bundle = join(__dirname, '..', 'dist', 'plumbline.cjs');
if (!existsSync(bundle)) {
  process.stderr.write('error: the CLI is not built; run `npm run build` (npm ci does it)\n');
  process.exit(2);
}
require(bundle)
  .main(process.argv.slice(2))
  .then((code) => {
    // Benchmarks read the peak resident set size of the command (bench/sync.ts).
    if (process.env.PLUMBLINE_REPORT_RSS === '1')
      process.stderr.write(`plumbline-max-rss-kb=${process.resourceUsage().maxRSS}\n`);
    process.exitCode = code;
  });
