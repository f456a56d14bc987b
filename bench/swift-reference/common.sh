# Shared settings of the reference Swift cluster (sourced by start.sh and stop.sh).
#
# Everything lives under one work directory (SWIFT_REF_DIR, default /tmp/stowage-swift-ref):
#   etc/     swift.conf, the rings and one config file per daemon
#   srv/     the devices: srv/node<N>/sdb<N> for storage host N
#   log/     one log file per daemon (the daemons' console log: no rsyslog involved)
#   run/     one pid file per daemon
# Nothing is written under /etc beyond what apt-get itself installs.

SWIFT_REF_DIR="${SWIFT_REF_DIR:-/tmp/stowage-swift-ref}"
ETC_DIR="$SWIFT_REF_DIR/etc"
SRV_DIR="$SWIFT_REF_DIR/srv"
LOG_DIR="$SWIFT_REF_DIR/log"
RUN_DIR="$SWIFT_REF_DIR/run"

# The proxy: same shape as Stowage's (tempauth at /auth/v1.0), on its own port.
PROXY_IP=127.0.0.1
PROXY_PORT="${SWIFT_REF_PROXY_PORT:-8090}"
AUTH_URL="http://$PROXY_IP:$PROXY_PORT/auth/v1.0"

# Storage hosts 127.0.1.1 ... 127.0.1.4 (never Stowage's 127.0.0.1-4), Swift's usual ports.
NODES=4
node_ip() { echo "127.0.1.$1"; }
OBJECT_PORT=6200
CONTAINER_PORT=6201
ACCOUNT_PORT=6202

# memcached for tempauth's token cache (the proxy's `cache` middleware).
MEMCACHED_IP=127.0.1.1
MEMCACHED_PORT=11211

# Rings: the local cluster's part power and replica count (DESIGN.md §7).
PART_POWER=10
REPLICAS=3
MIN_PART_HOURS=1

# Worker processes per daemon. 1 is what Swift's all-in-one development setup (SAIO) uses:
# a parent plus one worker process per server. `auto` means one worker per CPU core.
WORKERS="${SWIFT_REF_WORKERS:-1}"
PROXY_WORKERS="${SWIFT_REF_PROXY_WORKERS:-1}"

PACKAGES="swift swift-proxy swift-object swift-container swift-account memcached python3-swiftclient"

# Each daemon: "<name> <command> <config>" (config empty for memcached).
daemon_names() {
  echo memcached
  for n in $(seq 1 "$NODES"); do
    echo "account-$n" "container-$n" "object-$n"
  done
  echo proxy
}

log() { echo "swift-reference: $*" >&2; }
die() { log "error: $*"; exit 1; }

# Pid of a recorded daemon if it is still alive, else empty.
live_pid() {
  local f="$RUN_DIR/$1.pid" pid
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

# Pids of processes whose command line mentions this cluster's work directory (the daemons'
# worker processes, which Swift forks itself and so have no pid file of ours).
work_dir_pids() {
  local p
  for p in /proc/[0-9]*; do
    if tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF -- "$ETC_DIR/"; then
      echo "${p#/proc/}"
    fi
  done
}
