#!/usr/bin/env bash
# Removes the tvm-upload service installed by packaging/install.sh.
#
#   sudo packaging/uninstall.sh [--keep-data] [--yes] [--dry-run]
#
# Always removed: the unit, the generated drop-in 50-install.conf, /opt/tvm-upload and its
# staging/previous copies, the /usr/local/bin/tvm-upload link. Without --keep-data also: /etc/tvm-upload (configuration, environment,
# the saved Python unit), /var/lib/tvm-upload (the state database with files not yet uploaded,
# the spool, the Python daemon's queue.json/processed_files.json), your 60-local.conf, and the
# system user tvm-upload if install.sh created it. Log directories are never touched, and
# neither is /opt/tvm-upload.python (the Python daemon's files kept for rollback).
set -euo pipefail

APP_DIR=${TVM_UPLOAD_APP_DIR:-/opt/tvm-upload}
ETC_DIR=${TVM_UPLOAD_ETC_DIR:-/etc/tvm-upload}
UNIT_DIR=${TVM_UPLOAD_UNIT_DIR:-/etc/systemd/system}
BIN_LINK=${TVM_UPLOAD_BIN_LINK:-/usr/local/bin/tvm-upload}
STATE_DIR=${TVM_UPLOAD_STATE_DIR:-/var/lib/tvm-upload}
UNIT=tvm-upload.service
DROPIN_DIR=$UNIT_DIR/$UNIT.d
SYSTEM_USER=tvm-upload

KEEP_DATA=0
ASSUME_YES=0
DRY_RUN=0

usage() {
  cat <<EOF
usage: $0 [--keep-data] [--yes] [--dry-run]

  --keep-data   keep $ETC_DIR and $STATE_DIR (configuration, queue, upload history)
  --yes         do not ask for confirmation (needed when stdin is not a terminal)
  --dry-run     print what would be done, change nothing
EOF
}

say() { printf 'uninstall: %s\n' "$*"; }
die() { printf 'uninstall: error: %s\n' "$*" >&2; exit 1; }

# True for the Python daemon's unit: its ExecStart= runs python (ours runs bin/tvm-upload.js).
is_python_unit() {
  [[ -f $1 ]] && grep -Eqi '^[[:space:]]*ExecStart=.*python' "$1"
}

run() {
  if [[ $DRY_RUN == 1 ]]; then
    printf '+'; printf ' %q' "$@"; printf '\n'
  else
    "$@"
  fi
}

while [[ $# -gt 0 ]]; do
  case $1 in
    --keep-data) KEEP_DATA=1; shift ;;
    --yes|-y) ASSUME_YES=1; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

[[ $DRY_RUN == 1 || $(id -u) == 0 ]] || die "run as root (or with --dry-run to see what it would do)"

if [[ $KEEP_DATA == 0 ]]; then
  say "this deletes $ETC_DIR and $STATE_DIR: queued files that were not uploaded yet are forgotten"
  say "(the log files themselves stay where they are); use --keep-data to keep them"
fi
if [[ $ASSUME_YES == 0 && $DRY_RUN == 0 ]]; then
  [[ -t 0 ]] || die "not a terminal: pass --yes to confirm"
  read -r -p "Type yes to remove tvm-upload: " answer
  [[ $answer == yes ]] || die "cancelled"
fi

if is_python_unit "$UNIT_DIR/$UNIT"; then
  die "$UNIT_DIR/$UNIT is the Python daemon's unit, not tvm-upload's: nothing to do"
fi

if command -v systemctl >/dev/null && systemctl cat "$UNIT" >/dev/null 2>&1; then
  say "stopping and disabling $UNIT"
  run systemctl disable --now "$UNIT"
fi

# The service user, read before the drop-in that names it is removed.
svc_user=$SYSTEM_USER
if [[ -f $DROPIN_DIR/50-install.conf ]]; then
  svc_user=$(sed -n 's/^User=//p' "$DROPIN_DIR/50-install.conf" | tail -n 1)
fi

# Drop-ins other than ours (60-local.conf …) are the operator's: kept with --keep-data.
others=()
if [[ -d $DROPIN_DIR ]]; then
  for f in "$DROPIN_DIR"/* "$DROPIN_DIR"/.[!.]*; do
    [[ -e $f && $(basename "$f") != 50-install.conf ]] && others+=("$f")
  done
fi
run rm -f "$UNIT_DIR/$UNIT" "$DROPIN_DIR/50-install.conf"
if [[ $KEEP_DATA == 0 || ${#others[@]} == 0 ]]; then
  [[ ! -d $DROPIN_DIR ]] || run rm -rf "$DROPIN_DIR"
else
  say "kept your drop-ins: ${others[*]}"
fi
if command -v systemctl >/dev/null; then
  run systemctl daemon-reload
  run systemctl reset-failed "$UNIT" 2>/dev/null || true
fi

say "removing $APP_DIR"
if [[ -L $BIN_LINK && $(readlink "$BIN_LINK") == "$APP_DIR"/* ]]; then run rm -f "$BIN_LINK"; fi
run rm -rf "$APP_DIR" "$APP_DIR.new" "$APP_DIR.previous"
[[ ! -e $APP_DIR.python ]] || say "left $APP_DIR.python (the Python daemon's files) in place"

if [[ $KEEP_DATA == 1 ]]; then
  say "kept $ETC_DIR and $STATE_DIR (--keep-data)"
else
  say "removing $ETC_DIR and $STATE_DIR"
  run rm -rf "$ETC_DIR" "$STATE_DIR"
  # Only the dedicated system user install.sh creates; never a vehicle user.
  if [[ $svc_user == "$SYSTEM_USER" ]] && id -u "$SYSTEM_USER" >/dev/null 2>&1 &&
    [[ $(id -u "$SYSTEM_USER") -lt 1000 ]]; then
    say "removing the system user $SYSTEM_USER"
    run userdel "$SYSTEM_USER"
  fi
fi
say "done"
