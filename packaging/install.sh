#!/usr/bin/env bash
# Installs or upgrades tvm-upload as a systemd service, from a built tree (a checkout after
# `npm ci && npm run build`, or an unpacked `npm pack` tarball that contains dist/).
#
#   sudo packaging/install.sh [--user NAME] [--config FILE] [--offline] [--no-start] [--dry-run]
#
# What it does, in order (every step is safe to repeat):
#   1. stages the application in /opt/tvm-upload.new and installs its production dependencies
#      there (npm ci --omit=dev; --offline copies this tree's node_modules instead);
#   2. creates the service user if needed, /etc/tvm-upload (root:<group> 0750), the config
#      ONLY if none exists (never edits an existing one) and /etc/tvm-upload/environment;
#   3. runs `tvm-upload check-config` as the service user, with the service's environment:
#      an invalid configuration stops here, before anything running is touched;
#   4. asks the configuration which directories the sandbox must open (ReadWritePaths=);
#   5. stops the running service (the Python daemon or an older tvm-upload), keeps the old
#      application for rollback, moves the new one into place, installs the unit and the
#      generated drop-in 50-install.conf, links /usr/local/bin/tvm-upload, then
#      `systemctl daemon-reload` and `enable --now`.
# The configuration still holding a CHANGE-ME placeholder is installed but not started.
# docs/OPERATIONS.md explains every step, upgrading from the Python daemon, and rollback.
set -euo pipefail

# Installation layout. Overridable for tests and unusual layouts; a non-default APP_DIR or
# CONFIG is written into the drop-in's ExecStart=.
APP_DIR=${TVM_UPLOAD_APP_DIR:-/opt/tvm-upload}
ETC_DIR=${TVM_UPLOAD_ETC_DIR:-/etc/tvm-upload}
UNIT_DIR=${TVM_UPLOAD_UNIT_DIR:-/etc/systemd/system}
BIN_LINK=${TVM_UPLOAD_BIN_LINK:-/usr/local/bin/tvm-upload}
CONFIG=$ETC_DIR/config.yaml
ENV_FILE=$ETC_DIR/environment
UNIT=tvm-upload.service
DROPIN_DIR=$UNIT_DIR/$UNIT.d
DEFAULT_USER=tvm-upload
# systemd's PATH for services; node must be found there or the drop-in extends it.
SYSTEMD_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
MIN_NODE=20.19.0

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SVC_USER=""
CONFIG_SOURCE=""
OFFLINE=0
NO_START=0
DRY_RUN=0

STAGE=""          # where the new application is staged: APP_DIR.new
RUN_FROM=""       # the tree check-config and service-paths run from (SRC in a dry run)
SVC_GROUP=""
SVC_HOME=""
USER_EXISTS=0
NODE_DIR_FOR_PATH=""
PLACEHOLDERS=0
PYTHON_UNIT=0
RW_PATHS=()
RO_PATHS=()
ENV_VARS=()

usage() {
  cat <<EOF
usage: $0 [options]

Installs or upgrades tvm-upload from this tree ($SRC) as the systemd service $UNIT.

  --from DIR      install from DIR instead (a built checkout or an unpacked npm pack tarball)
  --user NAME     run the service as NAME (default: the user it runs as now, else the User=
                  of the Python daemon's unit, else the system user $DEFAULT_USER, created)
  --config FILE   install FILE as $CONFIG when no configuration exists yet
                  (default: packaging/config.example.yaml); an existing file is never changed
  --offline       copy this tree's node_modules and prune dev dependencies instead of
                  running npm ci (no registry needed; build on the same CPU and Node major)
  --no-start      install and enable, but do not start the service (a running one is
                  still stopped for the upgrade)
  --dry-run       print what would be done, change nothing
  -h, --help      this text
EOF
}

say() { printf 'install: %s\n' "$*"; }
warn() { printf 'install: warning: %s\n' "$*" >&2; }
die() { printf 'install: error: %s\n' "$*" >&2; exit 1; }

# Runs a command that changes the system, or prints it under --dry-run.
run() {
  if [[ $DRY_RUN == 1 ]]; then
    printf '+'; printf ' %q' "$@"; printf '\n'
  else
    "$@"
  fi
}

# write_file PATH MODE OWNER GROUP < content: atomically (temp file + rename in the same dir).
write_file() {
  local path=$1 mode=$2 owner=$3 group=$4 content tmp
  content=$(cat)
  if [[ $DRY_RUN == 1 ]]; then
    printf '+ write %s (mode %s, %s:%s):\n' "$path" "$mode" "$owner" "$group"
    printf '%s\n' "$content" | sed 's/^/    | /'
    return
  fi
  mkdir -p "$(dirname "$path")"
  tmp=$(mktemp "$path.XXXXXX")
  printf '%s\n' "$content" >"$tmp"
  chown "$owner:$group" "$tmp"
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$path"
}

parse_args() {
  while [[ $# -gt 0 ]]; do
    case $1 in
      --from) [[ $# -ge 2 ]] || die "--from needs a directory"; SRC=$(cd "$2" && pwd); shift 2 ;;
      --user) [[ $# -ge 2 ]] || die "--user needs a name"; SVC_USER=$2; shift 2 ;;
      --config) [[ $# -ge 2 ]] || die "--config needs a file"; CONFIG_SOURCE=$2; shift 2 ;;
      --offline) OFFLINE=1; shift ;;
      --no-start) NO_START=1; shift ;;
      --dry-run) DRY_RUN=1; shift ;;
      -h|--help) usage; exit 0 ;;
      *) usage >&2; die "unknown option: $1" ;;
    esac
  done
}

version_at_least() { # version_at_least HAVE WANT (dotted numbers)
  [[ $(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1) == "$2" ]]
}

check_source() {
  if [[ ! -f $SRC/package.json ]] || ! grep -q '"name": *"tvm-upload"' "$SRC/package.json"; then
    die "$SRC is not a tvm-upload tree (no package.json named tvm-upload)"
  fi
  [[ -f $SRC/bin/tvm-upload.js ]] || die "$SRC/bin/tvm-upload.js is missing"
  [[ -f $SRC/dist/main.js ]] ||
    die "$SRC/dist/main.js is missing: build first (npm ci && npm run build), or use a tarball that contains dist/"
  [[ -f $SRC/packaging/$UNIT ]] || die "$SRC/packaging/$UNIT is missing"
  if [[ $OFFLINE == 1 && ! -d $SRC/node_modules ]]; then
    die "--offline needs $SRC/node_modules (run npm ci there first)"
  fi
}

check_node() {
  local node version systemd_node
  node=$(command -v node) || die "node is not on PATH (Node.js >= $MIN_NODE is required)"
  version=$("$node" -p 'process.versions.node')
  version_at_least "$version" "$MIN_NODE" || die "node $version at $node is too old: Node.js >= $MIN_NODE is required"
  if [[ $OFFLINE == 0 ]]; then command -v npm >/dev/null || die "npm is not on PATH (or use --offline)"; fi
  systemd_node=$(PATH=$SYSTEMD_PATH command -v node || true)
  if [[ $systemd_node != "$node" ]]; then
    # The unit runs `#!/usr/bin/env node` on systemd's PATH; point it at the node checked here.
    NODE_DIR_FOR_PATH=$(dirname "$node")
    say "node $version is at $node, outside systemd's PATH: the drop-in will add $NODE_DIR_FOR_PATH"
    case $node in /root/*) warn "$node is under /root, which other users cannot read: install Node.js system-wide" ;; esac
  else
    say "node $version at $node"
  fi
  if ! command -v systemctl >/dev/null; then
    [[ $DRY_RUN == 1 ]] || die "systemctl not found: this installer needs systemd"
    warn "systemctl not found: a real run would stop here"
  fi
}

# True for the Python daemon's unit: its ExecStart= runs python (ours runs bin/tvm-upload.js).
is_python_unit() {
  [[ -f $1 ]] && grep -Eqi '^[[:space:]]*ExecStart=.*python' "$1"
}

# The User= of a unit or drop-in file, if it sets one.
unit_user() {
  [[ -f $1 ]] || return 0
  sed -n 's/^[[:space:]]*User=[[:space:]]*//p' "$1" | tail -n 1
}

# Who the service runs as: --user, else whoever it runs as now (a previous install.sh run), else
# the Python daemon's user (the config's ~ and ${HOME} paths belong to that user), else a
# dedicated system user.
decide_user() {
  local previous python_user=""
  previous=$(unit_user "$DROPIN_DIR/50-install.conf")
  if is_python_unit "$UNIT_DIR/$UNIT"; then
    PYTHON_UNIT=1
    python_user=$(unit_user "$UNIT_DIR/$UNIT")
    say "found the Python daemon's unit $UNIT_DIR/$UNIT${python_user:+ (User=$python_user)}"
  fi
  if [[ -z $SVC_USER ]]; then
    if [[ -n $previous ]]; then
      SVC_USER=$previous
    elif [[ -n $python_user && $python_user != root ]]; then
      SVC_USER=$python_user
      say "keeping the Python daemon's user $SVC_USER (override with --user)"
    else
      SVC_USER=$DEFAULT_USER
    fi
  fi
  [[ $SVC_USER != root ]] || die "refusing to run the service as root: pick a user with --user"
  if id -u "$SVC_USER" >/dev/null 2>&1; then
    USER_EXISTS=1
  elif [[ $SVC_USER == "$DEFAULT_USER" ]]; then
    say "creating the system user $SVC_USER"
    run useradd --system --user-group --home-dir /var/lib/tvm-upload --no-create-home \
      --shell /usr/sbin/nologin --comment "tvm-upload log uploader" "$SVC_USER"
    [[ $DRY_RUN == 1 ]] || USER_EXISTS=1
  else
    die "user $SVC_USER does not exist"
  fi
  if [[ $USER_EXISTS == 1 ]]; then
    SVC_GROUP=$(id -gn "$SVC_USER")
    SVC_HOME=$(getent passwd "$SVC_USER" | cut -d: -f6)
  else
    SVC_GROUP=$SVC_USER
    SVC_HOME=/var/lib/tvm-upload
  fi
  say "service user: $SVC_USER (group $SVC_GROUP, home $SVC_HOME)"
}

stage_app() {
  if [[ $DRY_RUN == 1 ]]; then
    say "would stage $SRC in $APP_DIR.new and install production dependencies there"
    STAGE=$APP_DIR.new
    RUN_FROM=$SRC
    return
  fi
  STAGE=$APP_DIR.new
  RUN_FROM=$STAGE
  rm -rf "$STAGE"
  mkdir -p "$STAGE"
  local item
  for item in bin dist packaging docs package.json package-lock.json README.md LICENSE; do
    [[ -e $SRC/$item ]] && cp -a "$SRC/$item" "$STAGE/"
  done
  if [[ $OFFLINE == 1 ]]; then
    say "copying node_modules from $SRC and pruning dev dependencies (offline)"
    mkdir "$STAGE/node_modules"
    cp -a "$SRC/node_modules/." "$STAGE/node_modules/"
    (cd "$STAGE" && npm prune --omit=dev --offline --no-audit --no-fund >/dev/null)
  elif [[ -f $STAGE/package-lock.json ]]; then
    say "installing production dependencies (npm ci --omit=dev)"
    (cd "$STAGE" && npm ci --omit=dev --no-audit --no-fund >/dev/null)
  else
    say "installing production dependencies (npm install --omit=dev; no package-lock.json)"
    (cd "$STAGE" && npm install --omit=dev --no-audit --no-fund --no-package-lock >/dev/null)
  fi
  # Code is root's and read-only to everyone else: the service cannot modify what it runs.
  chown -R root:root "$STAGE"
  chmod -R u=rwX,go=rX "$STAGE"
  chmod 0755 "$STAGE/bin/tvm-upload.js"
}

install_config() {
  run install -d -m 0750 -o root -g "$SVC_GROUP" "$ETC_DIR"
  local source_file
  if [[ -e $CONFIG ]]; then
    say "keeping the existing configuration $CONFIG (never modified by this script)"
    source_file=$CONFIG
  else
    source_file=${CONFIG_SOURCE:-$SRC/packaging/config.example.yaml}
    [[ -f $source_file ]] || die "$source_file does not exist"
    say "installing $source_file as $CONFIG"
    run install -m 0640 -o root -g "$SVC_GROUP" "$source_file" "$CONFIG"
  fi
  # Comments are ignored: the example's header mentions the placeholder by name.
  if sed 's/#.*//' "$source_file" | grep -qi 'change-me'; then
    PLACEHOLDERS=1
    warn "$CONFIG still contains CHANGE-ME placeholders: the service will be installed but not started"
  fi
  if [[ ! -e $ENV_FILE ]]; then
    say "creating $ENV_FILE (environment and credentials for the service)"
    { cat "$SRC/packaging/environment.example"; python_unit_aws_env; } | write_file "$ENV_FILE" 0640 root "$SVC_GROUP"
  fi
}

# The AWS_* variables the Python daemon's unit set (its repo unit had AWS_PROFILE=china and the
# credential file paths there), so the new service finds the same credentials.
python_unit_aws_env() {
  [[ $PYTHON_UNIT == 1 ]] || return 0
  local line rest assignment found=0
  while IFS= read -r line; do
    [[ $line =~ ^[[:space:]]*Environment=(.*)$ ]] || continue
    rest=${BASH_REMATCH[1]}
    # Environment=A=1 "B=two words": split on spaces outside double quotes.
    while [[ $rest =~ ^[[:space:]]*(\"([^\"]*)\"|([^[:space:]\"]+))(.*)$ ]]; do
      assignment=${BASH_REMATCH[2]:-${BASH_REMATCH[3]}}
      rest=${BASH_REMATCH[4]}
      if [[ $assignment == AWS_* ]]; then
        [[ $found == 1 ]] || printf '\n# Carried over from the Python daemon'"'"'s unit (%s):\n' "$UNIT_DIR/$UNIT"
        found=1
        printf '%s\n' "$assignment"
      fi
    done
  done <"$UNIT_DIR/$UNIT"
}

# KEY=value lines of the EnvironmentFile, as systemd reads them (no shell evaluation).
load_env_file() {
  ENV_VARS=()
  local file=$ENV_FILE line key value
  [[ -r $file ]] || file=$SRC/packaging/environment.example
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line#"${line%%[![:space:]]*}"}
    [[ -z $line || $line == \#* || $line == \;* ]] && continue
    [[ $line =~ ^(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || { warn "$file: ignoring line: $line"; continue; }
    key=${BASH_REMATCH[2]}
    value=${BASH_REMATCH[3]}
    if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then value=${BASH_REMATCH[1]}; fi
    ENV_VARS+=("$key=$value")
  done <"$file"
}

# Runs a command as the service user with the environment systemd will give the service.
as_service_user() {
  local path=$SYSTEMD_PATH
  [[ -n $NODE_DIR_FOR_PATH ]] && path=$NODE_DIR_FOR_PATH:$SYSTEMD_PATH
  local envs=(HOME="$SVC_HOME" USER="$SVC_USER" LOGNAME="$SVC_USER" PATH="$path" NODE_ENV=production
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true "${ENV_VARS[@]}")
  if [[ $USER_EXISTS == 1 && $(id -u) == 0 ]]; then
    runuser -u "$SVC_USER" -- env -i "${envs[@]}" "$@"
  else
    env -i "${envs[@]}" "$@"
  fi
}

check_config() {
  local config=$CONFIG out rc=0
  [[ -e $config ]] || config=${CONFIG_SOURCE:-$SRC/packaging/config.example.yaml}
  if [[ $DRY_RUN == 1 && ! -d $RUN_FROM/node_modules ]]; then
    say "would run: tvm-upload check-config --config $CONFIG (as $SVC_USER)"
    return
  fi
  if [[ $USER_EXISTS == 1 && $(id -u) == 0 ]] && ! runuser -u "$SVC_USER" -- test -r "$config"; then
    die "$SVC_USER cannot read $config: make it readable by group $SVC_GROUP (chgrp $SVC_GROUP $config; chmod 0640 $config)"
  fi
  say "checking the configuration as $SVC_USER: tvm-upload check-config --config $config"
  out=$(as_service_user node "$RUN_FROM/bin/tvm-upload.js" check-config --config "$config" 2>&1) || rc=$?
  printf '%s\n' "$out" | sed 's/^/    /'
  case $rc in
    0) ;;
    2) die "the configuration is invalid (problems above): fix $config and run install.sh again; nothing running was changed" ;;
    *) die "tvm-upload check-config failed (exit $rc); nothing running was changed" ;;
  esac
}

collect_paths() {
  local config=$CONFIG out rc=0 kind path why
  [[ -e $config ]] || config=${CONFIG_SOURCE:-$SRC/packaging/config.example.yaml}
  if [[ $DRY_RUN == 1 && ! -d $RUN_FROM/node_modules ]]; then
    say "would derive ReadWritePaths= from the log directories in $CONFIG"
    return
  fi
  out=$(as_service_user node "$RUN_FROM/packaging/service-paths.mjs" "$RUN_FROM/dist/config/load.js" "$config") || rc=$?
  [[ $rc == 0 ]] || die "cannot work out the directories of $config (exit $rc)"
  while IFS=$'\t' read -r kind path why; do
    case $kind in
      rw) RW_PATHS+=("$path") ;;
      ro) RO_PATHS+=("$path") ;;
      warn) warn "$path: $why" ;;
    esac
  done <<<"$out"
}

# Creates missing log directories as the service user (so parents in a home directory get the
# right owner) and warns when the service user lacks the access a directory needs.
prepare_dirs() {
  local p
  [[ $PLACEHOLDERS == 0 ]] || return 0
  for p in "${RW_PATHS[@]}" "${RO_PATHS[@]}"; do
    if [[ ! -e $p ]]; then
      say "creating missing directory $p"
      if [[ $DRY_RUN == 1 || $USER_EXISTS == 0 ]]; then
        run runuser -u "$SVC_USER" -- mkdir -p "$p"
      elif ! runuser -u "$SVC_USER" -- mkdir -p "$p" 2>/dev/null; then
        warn "$SVC_USER cannot create $p: create it and give $SVC_USER access"
      fi
    fi
  done
  [[ $DRY_RUN == 0 && $USER_EXISTS == 1 ]] || return 0
  for p in "${RW_PATHS[@]}"; do
    [[ -d $p ]] || continue
    runuser -u "$SVC_USER" -- test -r "$p" -a -x "$p" -a -w "$p" ||
      warn "$SVC_USER cannot read and write $p: files there cannot be uploaded or deleted. Install with --user <owner of the logs>, or give group $SVC_GROUP rwx on it"
  done
  for p in "${RO_PATHS[@]}"; do
    [[ -d $p ]] || continue
    runuser -u "$SVC_USER" -- test -r "$p" -a -x "$p" ||
      warn "$SVC_USER cannot read $p: its files cannot be uploaded"
  done
}

# Stops whatever runs as tvm-upload.service and sets the current application aside for rollback.
stop_and_swap() {
  local stamp
  stamp=$(date +%Y%m%d%H%M%S)
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$UNIT" 2>/dev/null; then
    say "stopping the running $UNIT"
    run systemctl stop "$UNIT"
  fi
  if [[ $PYTHON_UNIT == 1 && ! -e $ETC_DIR/rollback/$UNIT.python ]]; then
    say "saving the Python daemon's unit as $ETC_DIR/rollback/$UNIT.python"
    run install -d -m 0750 -o root -g "$SVC_GROUP" "$ETC_DIR/rollback"
    run cp -a "$UNIT_DIR/$UNIT" "$ETC_DIR/rollback/$UNIT.python"
  fi
  if [[ -e $APP_DIR/src/main.py ]]; then
    local keep=$APP_DIR.python
    [[ -e $keep ]] && keep=$APP_DIR.python-$stamp
    say "keeping the Python daemon's files as $keep"
    run mv "$APP_DIR" "$keep"
  elif [[ -e $APP_DIR ]]; then
    say "keeping the previous version as $APP_DIR.previous"
    run rm -rf "$APP_DIR.previous"
    run mv "$APP_DIR" "$APP_DIR.previous"
  fi
  run mv "$STAGE" "$APP_DIR"
  # `tvm-upload status` / `upload-now` / `check-config` on the PATH of operators.
  run ln -sfn "$APP_DIR/bin/tvm-upload.js" "$BIN_LINK"
}

systemd_quote() { # one ReadWritePaths= word: "-" = ignore if missing; quoted when it has spaces
  if [[ $1 == *[[:space:]]* ]]; then printf '"-%s"' "$1"; else printf -- '-%s' "$1"; fi
}

install_unit() {
  say "installing $UNIT_DIR/$UNIT"
  run install -D -m 0644 "$APP_DIR/packaging/$UNIT" "$UNIT_DIR/$UNIT"
  [[ $DRY_RUN == 1 ]] || [[ -f $UNIT_DIR/$UNIT ]] || die "could not install $UNIT_DIR/$UNIT"
  local p lines=()
  lines+=("# Generated by packaging/install.sh from $CONFIG. Do not edit: re-run install.sh after")
  lines+=("# changing the service user or log_directories. Your own settings go in 60-local.conf.")
  lines+=("[Service]" "User=$SVC_USER" "Group=$SVC_GROUP")
  for p in "${RW_PATHS[@]}"; do lines+=("ReadWritePaths=$(systemd_quote "$p")"); done
  [[ -n $NODE_DIR_FOR_PATH ]] && lines+=("Environment=PATH=$NODE_DIR_FOR_PATH:$SYSTEMD_PATH")
  if [[ $APP_DIR != /opt/tvm-upload || $CONFIG != /etc/tvm-upload/config.yaml ]]; then
    lines+=("ExecStart=" "ExecStart=$APP_DIR/bin/tvm-upload.js run --config $CONFIG")
  fi
  printf '%s\n' "${lines[@]}" | write_file "$DROPIN_DIR/50-install.conf" 0644 root root
}

start_service() {
  run systemctl daemon-reload
  if [[ $PLACEHOLDERS == 1 ]]; then
    run systemctl enable "$UNIT"
    say "installed but NOT started: replace the CHANGE-ME placeholders in $CONFIG, then run install.sh again"
    return
  fi
  if [[ $NO_START == 1 ]]; then
    run systemctl enable "$UNIT"
    say "installed and enabled; start it with: systemctl start tvm-upload"
    return
  fi
  run systemctl enable --now "$UNIT"
  [[ $DRY_RUN == 0 ]] || return 0
  sleep 5
  if ! systemctl is-active --quiet "$UNIT"; then
    journalctl -u "$UNIT" -n 30 --no-pager >&2 || true
    die "$UNIT did not stay up (journal above): see docs/OPERATIONS.md, Troubleshooting"
  fi
  say "$UNIT is running. Queue:"
  as_service_user node "$APP_DIR/bin/tvm-upload.js" status --config "$CONFIG" | sed 's/^/    /' || true
}

# A failed run leaves the running service and the installed application as they were.
cleanup() {
  if [[ $DRY_RUN == 0 && -n $STAGE && -d $STAGE ]]; then rm -rf "$STAGE"; fi
}

main() {
  parse_args "$@"
  trap cleanup EXIT
  [[ $DRY_RUN == 1 || $(id -u) == 0 ]] || die "run as root (or with --dry-run to see what it would do)"
  [[ $DRY_RUN == 0 ]] || say "dry run: nothing will be changed"
  check_source
  check_node
  decide_user
  stage_app
  install_config
  load_env_file
  check_config
  collect_paths
  prepare_dirs
  stop_and_swap
  install_unit
  start_service
  if [[ $PYTHON_UNIT == 1 ]]; then
    say "rollback to the Python daemon: docs/OPERATIONS.md, \"Rollback\""
  fi
}

main "$@"
