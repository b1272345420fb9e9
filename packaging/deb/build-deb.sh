#!/usr/bin/env bash
# Builds the Debian package with Debian's own dpkg-deb:
#
#   packaging/deb/build-deb.sh [--out DIR]        (also: make deb, npm run package:deb)
#
#   /usr/lib/tvm-upload/        dist/ (compiled), bin/, package.json, production node_modules, docs
#   /usr/bin/tvm-upload         -> ../lib/tvm-upload/bin/tvm-upload.js
#   /lib/systemd/system/tvm-upload.service   packaging/tvm-upload.service with the package's paths
#   /etc/tvm-upload/config.yaml, environment conffiles (dpkg keeps local edits on upgrade)
#   DEBIAN/postinst, prerm, postrm            system user, state dir, restart on upgrade, purge
#
# Native addons (better-sqlite3, zstd-napi) are compiled for the Node that builds the package,
# so the package depends on that Node major: build it with the Node the vehicles run (24 LTS
# recommended). Production dependencies are this checkout's node_modules pruned of dev
# dependencies (the lockfile's exact versions, no network needed); run `npm ci` first.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=$ROOT/build/deb
while [ $# -gt 0 ]; do
  case $1 in
    --out) OUT=${2:?--out needs a directory}; shift 2 ;;
    -h|--help) sed -n 2,16p "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "build-deb.sh: unknown argument $1 (expected --out DIR)" >&2; exit 2 ;;
  esac
done

die() { echo "build-deb.sh: $*" >&2; exit 1; }
command -v dpkg-deb >/dev/null || die "dpkg-deb not found: apt-get install dpkg"
[ -d "$ROOT/node_modules" ] || die "no node_modules in $ROOT: run npm ci first"

cd "$ROOT"
VERSION=$(node -p 'require("./package.json").version')
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
ARCH=$(dpkg --print-architecture)
MAINTAINER=${DEB_MAINTAINER:-tvm-upload maintainers <tvm-upload@localhost>}
STAGE=$OUT/tvm-upload_${VERSION}_${ARCH}
DEB=$OUT/tvm-upload_${VERSION}_${ARCH}.deb
APP=$STAGE/usr/lib/tvm-upload

echo "== build dist/"
npm run --silent build

echo "== stage $STAGE"
rm -rf "$STAGE" "$DEB"
mkdir -p "$APP" "$STAGE/usr/bin" "$STAGE/lib/systemd/system" "$STAGE/etc/tvm-upload" "$STAGE/DEBIAN" \
  "$STAGE/usr/share/doc/tvm-upload"
cp -a bin dist docs package.json package-lock.json README.md "$APP/"
mkdir -p "$APP/packaging"
cp -a packaging/service-paths.mjs packaging/config.example.yaml packaging/environment.example "$APP/packaging/"
find "$APP/dist" -name '*.map' -delete
cp -a node_modules "$APP/node_modules"
# The lockfile's production tree: dev dependencies (tsx, mocha, s3rver …) go, optional zstd-napi stays.
(cd "$APP" && npm prune --omit=dev --no-audit --no-fund --ignore-scripts >/dev/null)
[ ! -e "$APP/node_modules/tsx" ] || die "npm prune left dev dependencies in the package"
find "$APP/node_modules" -depth -type d -empty -delete
# Native addons: only the compiled .node files are loaded; their objects and the C sources they
# were built from (the sqlite amalgamation alone is 10 MB) stay out of the package.
for build in "$APP"/node_modules/*/build "$APP"/node_modules/@*/*/build; do
  [ -d "$build/Release" ] || continue
  find "$build" -type f \( ! -path "$build/Release/*.node" -o -path "$build/Release/*/*" \) -delete
  find "$build" -depth -type d -empty -delete
  rm -rf "$(dirname "$build")/deps"
done
ln -s ../lib/tvm-upload/bin/tvm-upload.js "$STAGE/usr/bin/tvm-upload"

# The unit install.sh uses, pointed at the package's paths. The drop-in directory and
# /etc/tvm-upload/environment work the same way (docs/OPERATIONS.md). The SDK's Node-version
# warning is not silenced: the daemon logs its own runtime verdict, and both should be seen.
sed -e 's|/opt/tvm-upload/bin/tvm-upload.js|/usr/bin/tvm-upload|' \
    -e '/^# The pinned AWS SDK prints a Node-version notice/d' \
    -e '/^Environment=AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=/d' \
    -e 's|file:/opt/tvm-upload/docs/|file:/usr/lib/tvm-upload/docs/|' \
    -e 's|^# Installed by packaging/install.sh as /etc/systemd/system/tvm-upload.service.|# Installed by the tvm-upload Debian package as /lib/systemd/system/tvm-upload.service.|' \
    packaging/tvm-upload.service >"$STAGE/lib/systemd/system/tvm-upload.service"
grep -q '^ExecStart=/usr/bin/tvm-upload run ' "$STAGE/lib/systemd/system/tvm-upload.service" \
  || die "packaging/tvm-upload.service: ExecStart no longer names /opt/tvm-upload/bin/tvm-upload.js"

install -m 0640 packaging/config.example.yaml "$STAGE/etc/tvm-upload/config.yaml"
install -m 0640 packaging/environment.example "$STAGE/etc/tvm-upload/environment"
printf '%s\n' /etc/tvm-upload/config.yaml /etc/tvm-upload/environment >"$STAGE/DEBIAN/conffiles"
for s in postinst prerm postrm; do install -m 0755 "packaging/deb/$s" "$STAGE/DEBIAN/$s"; done
{
  echo "Files: *"
  echo "License: MIT"
} >"$STAGE/usr/share/doc/tvm-upload/copyright"

SIZE_KB=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
cat >"$STAGE/DEBIAN/control" <<CONTROL
Package: tvm-upload
Version: $VERSION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $SIZE_KB
Depends: nodejs (>= $NODE_MAJOR), nodejs (<< $((NODE_MAJOR + 1))), adduser
Section: admin
Priority: optional
Description: log upload daemon for autonomous vehicles
 Watches log directories, waits until files are stable, compresses them and
 uploads them to S3 with a resumable multipart engine, publishes CloudWatch
 metrics. Runs as the systemd service tvm-upload, configured in
 /etc/tvm-upload/config.yaml. Built for Node.js $NODE_MAJOR (native addons).
CONTROL

echo "== dpkg-deb --build"
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$DEB" >/dev/null
rm -rf "$STAGE"
echo "$DEB"
