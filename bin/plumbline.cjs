#!/usr/bin/env node
'use strict';
// The CLI is bundled by `npm run build` (run by `npm ci` through the prepare script).
//
// Compiling the 4 MB bundle is most of a short command's start-up (about 0.2 s of 0.4 s), so the
// compiled code is cached on disk: Node ≥ 22.1 does it itself (module.enableCompileCache); on Node 20
// the bundle runs through vm.Script with V8's code cache, written after the command has run so that
// it holds the functions the command compiled. V8 checks the cache against the source and its own
// version and flags, and ignores a stale or damaged one. PLUMBLINE_NO_COMPILE_CACHE=1 turns it off.
const fs = require('node:fs');
const Module = require('node:module');
const { homedir, tmpdir } = require('node:os');
const path = require('node:path');

// The AWS SDK prints nine lines on Node < 22 about its releases after January 2027; the lockfile pins
// one that supports Node 20 (README), so for a command-line user the warning only buries the output (#8).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const bundle = path.join(__dirname, '..', 'dist', 'plumbline.cjs');
if (!fs.existsSync(bundle)) {
  process.stderr.write('error: the CLI is not built; run `npm run build` (npm ci does it)\n');
  process.exit(2);
}

function cacheDir() {
  const base =
    process.env.PLUMBLINE_CACHE_DIR ||
    (process.env.XDG_CACHE_HOME && path.join(process.env.XDG_CACHE_HOME, 'plumbline')) ||
    (homedir() ? path.join(homedir(), '.cache', 'plumbline') : path.join(tmpdir(), 'plumbline-cache'));
  return path.join(base, 'compile');
}

/** Loads the bundle; returns its exports and a function that saves the code cache (or nothing). */
function load() {
  if (process.env.PLUMBLINE_NO_COMPILE_CACHE === '1') return { cli: require(bundle), save() {} };
  if (typeof Module.enableCompileCache === 'function') {
    Module.enableCompileCache(cacheDir());
    return { cli: require(bundle), save() {} };
  }
  const vm = require('node:vm');
  const { createHash } = require('node:crypto');
  const source = fs.readFileSync(bundle, 'utf8');
  const key = createHash('sha256').update(process.version).update(source).digest('hex').slice(0, 32);
  const file = path.join(cacheDir(), `plumbline-${key}.v8`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(file);
  } catch {
    // First run, or no cache directory: compile from source.
  }
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  const m = new Module(bundle, module);
  m.filename = bundle;
  m.paths = Module._nodeModulePaths(path.dirname(bundle));
  const localRequire = (id) => m.require(id);
  localRequire.resolve = (request, options) => Module._resolveFilename(request, m, false, options);
  script.runInThisContext().call(m.exports, m.exports, localRequire, m, bundle, path.dirname(bundle));
  m.loaded = true;
  const stale = cachedData === undefined || script.cachedDataRejected === true;
  return {
    cli: m.exports,
    save() {
      if (!stale) return;
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, file);
        // Caches of earlier builds or Node versions.
        for (const name of fs.readdirSync(path.dirname(file)))
          if (name.startsWith('plumbline-') && name !== path.basename(file))
            fs.rmSync(path.join(path.dirname(file), name), { force: true });
      } catch {
        // A read-only or full disk only costs start-up time.
      }
    },
  };
}

/**
 * This process's peak resident set size in KiB. Linux carries getrusage's maxRSS across fork and
 * exec, so a child started by a large parent reports the parent's size; VmHWM is this image's own.
 */
function peakRssKb() {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]);
  } catch {
    // Not Linux: getrusage is the best there is.
  }
  return process.resourceUsage().maxRSS;
}

const { cli, save } = load();
cli.main(process.argv.slice(2)).then((code) => {
  save();
  // Benchmarks read the peak resident set size of the command (bench/sync.ts).
  if (process.env.PLUMBLINE_REPORT_RSS === '1') process.stderr.write(`plumbline-max-rss-kb=${peakRssKb()}\n`);
  process.exitCode = code;
});
