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
    process.exitCode = code;
  });
