#!/usr/bin/env bash
# Stops the reference Swift cluster started by start.sh and removes its work directory
# (data, rings, configs, logs). `--keep` (or SWIFT_REF_KEEP=1) keeps the directory, e.g. to
# read the logs. Only processes this cluster started are signalled, each by its pid.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$HERE/common.sh"

KEEP="${SWIFT_REF_KEEP:-0}"
[ "${1:-}" = "--keep" ] && KEEP=1
STOP_TIMEOUT_S=15

if [ ! -d "$SWIFT_REF_DIR" ]; then
  log "nothing to stop ($SWIFT_REF_DIR does not exist)"
  exit 0
fi
[ -f "$SWIFT_REF_DIR/.stowage-swift-ref" ] || die "$SWIFT_REF_DIR was not made by start.sh; not touching it"

# The recorded daemons (Swift's parents stop their workers on SIGTERM), then any worker left.
pids=""
for name in $(daemon_names); do pids="$pids $(live_pid "$name")"; done
pids="$pids $(work_dir_pids)"
pids="$(echo $pids | tr ' ' '\n' | sort -un | tr '\n' ' ')"

if [ -n "${pids// /}" ]; then
  log "stopping pids $pids"
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null; done
  deadline=$((SECONDS + STOP_TIMEOUT_S))
  while [ "$SECONDS" -lt "$deadline" ]; do
    alive=""
    for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive="$alive $pid"; done
    [ -z "$alive" ] && break
    sleep 0.2
  done
  for pid in $pids; do
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid ignored SIGTERM for ${STOP_TIMEOUT_S}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null
    fi
  done
fi
rm -f "$RUN_DIR"/*.pid

if [ "$KEEP" = 1 ]; then
  log "stopped; kept $SWIFT_REF_DIR (logs in $LOG_DIR)"
else
  rm -rf "$SWIFT_REF_DIR"
  log "stopped; removed $SWIFT_REF_DIR"
fi
