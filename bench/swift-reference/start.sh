#!/usr/bin/env bash
# Starts a reference OpenStack Swift cluster from Debian's packages, shaped like Stowage's
# local cluster: 4 storage hosts (127.0.1.1-4), each with an object, container and account
# server on ports 6200/6201/6202 and one device; rings of part power 10 with 3 replicas in
# zones 1-4; a proxy with tempauth on 127.0.0.1:8090; memcached on 127.0.1.1:11211.
#
# Usage: bench/swift-reference/start.sh        (stop with bench/swift-reference/stop.sh)
# Env:   SWIFT_REF_DIR (work dir, default /tmp/stowage-swift-ref), SWIFT_REF_PROXY_PORT (8090),
#        SWIFT_REF_WORKERS / SWIFT_REF_PROXY_WORKERS (worker processes per daemon, default 1)
# Stdout carries only KEY=VALUE lines for scripts (bench/run.ts): STARTED=yes|no (no: it was
# already running), WORK_DIR, DEVICES_DIR, CONFIG_DIR, then AUTH_URL last. Everything else
# goes to stderr.
set -Eeuo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$HERE/common.sh"

READY_TIMEOUT_S=90

report() {
  printf '%s\n' "$1" "WORK_DIR=$SWIFT_REF_DIR" "DEVICES_DIR=$SRV_DIR" "CONFIG_DIR=$ETC_DIR" "AUTH_URL=$AUTH_URL"
}

if [ -n "$(live_pid proxy)" ]; then
  log "already running (work dir $SWIFT_REF_DIR)"
  report STARTED=no
  exit 0
fi
if [ -n "$(work_dir_pids)" ]; then
  die "processes of an earlier run are still alive; run $HERE/stop.sh first"
fi

# --- Debian packages --------------------------------------------------------------------
missing=()
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || die "missing packages (${missing[*]}) and no apt-get: this needs Debian or Ubuntu"
  [ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); install them as root: apt-get install -y $PACKAGES"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The package lists may be stale (a security update replaced the version they name), in
  # which case the install fails: refresh them and try once more.
  if ! apt-get install -y $PACKAGES >&2; then
    log "apt-get install failed; running apt-get update and retrying"
    apt-get update >&2 || die "apt-get update failed"
    apt-get install -y $PACKAGES >&2 || die "apt-get install -y $PACKAGES failed"
  fi
fi
for cmd in swift-ring-builder swift-proxy-server swift-object-server swift-container-server swift-account-server memcached curl; do
  command -v "$cmd" >/dev/null || die "$cmd not found after installing $PACKAGES"
done

# --- ports must be free -----------------------------------------------------------------
port_in_use() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
addresses="$PROXY_IP:$PROXY_PORT $MEMCACHED_IP:$MEMCACHED_PORT"
for n in $(seq 1 "$NODES"); do
  for port in $OBJECT_PORT $CONTAINER_PORT $ACCOUNT_PORT; do addresses="$addresses $(node_ip "$n"):$port"; done
done
for a in $addresses; do
  if port_in_use "${a%:*}" "${a#*:}"; then die "$a is already in use (another cluster running? SWIFT_REF_PROXY_PORT moves the proxy)"; fi
done

# --- work directory ---------------------------------------------------------------------
# Only ever delete a directory this script made (it carries the marker file).
if [ -e "$SWIFT_REF_DIR" ]; then
  [ -f "$SWIFT_REF_DIR/.stowage-swift-ref" ] || die "$SWIFT_REF_DIR exists and was not made by this script"
  rm -rf "$SWIFT_REF_DIR"
fi
mkdir -p -m 755 "$SWIFT_REF_DIR"
touch "$SWIFT_REF_DIR/.stowage-swift-ref"
mkdir -p -m 755 "$ETC_DIR" "$SRV_DIR" "$LOG_DIR" "$RUN_DIR"

# Swift keeps object metadata in user.* extended attributes.
probe="$SRV_DIR/.xattr-probe"
touch "$probe"
if ! /usr/bin/python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.swift.probe", b"1")' "$probe" 2>/dev/null; then
  rm -rf "$SWIFT_REF_DIR"
  die "the filesystem of $SWIFT_REF_DIR does not support user.* xattrs; set SWIFT_REF_DIR to a directory on one that does (e.g. under /var/tmp or /work)"
fi
rm -f "$probe"

# The daemons drop privileges to this user (Debian's packages create `swift`).
if [ "$(id -u)" = 0 ] && id swift >/dev/null 2>&1; then RUN_USER=swift; else RUN_USER="$(id -un)"; fi

for n in $(seq 1 "$NODES"); do
  mkdir -p "$SRV_DIR/node$n/sdb$n"
done
chown -R "$RUN_USER" "$SRV_DIR"

# --- configuration ----------------------------------------------------------------------
cat >"$ETC_DIR/swift.conf" <<EOF
[swift-hash]
swift_hash_path_prefix = $(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
swift_hash_path_suffix = $(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')

[storage-policy:0]
name = Policy-0
default = yes
EOF

# Every daemon logs to its console (--verbose), which goes to its file under log/. Swift
# always adds a syslog handler as well; it is pointed at a loopback UDP port where nothing
# listens, so those copies are dropped instead of reaching a system syslog.
common_defaults() {
  cat <<EOF
user = $RUN_USER
swift_dir = $ETC_DIR
log_udp_host = 127.0.1.1
log_udp_port = 5514
EOF
}

storage_conf() { # n kind port
  local n="$1" kind="$2" port="$3"
  cat <<EOF
[DEFAULT]
devices = $SRV_DIR/node$n
mount_check = false
disable_fallocate = true
bind_ip = $(node_ip "$n")
bind_port = $port
workers = $WORKERS
log_name = $kind-$n
$(common_defaults)

[pipeline:main]
pipeline = healthcheck $kind-server

[app:$kind-server]
use = egg:swift#$kind

[filter:healthcheck]
use = egg:swift#healthcheck
EOF
}

for n in $(seq 1 "$NODES"); do
  storage_conf "$n" object "$OBJECT_PORT" >"$ETC_DIR/object-$n.conf"
  storage_conf "$n" container "$CONTAINER_PORT" >"$ETC_DIR/container-$n.conf"
  storage_conf "$n" account "$ACCOUNT_PORT" >"$ETC_DIR/account-$n.conf"
done

# The proxy pipeline is Swift 2.30's sample default (proxy-server.conf-sample) with tempauth.
# Users are Swift's functional-test users, as in Stowage's tempauth.
cat >"$ETC_DIR/proxy.conf" <<EOF
[DEFAULT]
bind_ip = $PROXY_IP
bind_port = $PROXY_PORT
workers = $PROXY_WORKERS
log_name = proxy
$(common_defaults)

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats container_sync bulk tempurl ratelimit tempauth copy container-quotas account-quotas slo dlo versioned_writes symlink proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin
user_test2_tester2 = testing2 .admin
user_test_tester3 = testing3
user_test5_tester5 = testing5 service

[filter:cache]
use = egg:swift#memcache
memcache_servers = $MEMCACHED_IP:$MEMCACHED_PORT

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:container_sync]
use = egg:swift#container_sync
[filter:bulk]
use = egg:swift#bulk
[filter:tempurl]
use = egg:swift#tempurl
[filter:ratelimit]
use = egg:swift#ratelimit
[filter:copy]
use = egg:swift#copy
[filter:container-quotas]
use = egg:swift#container_quotas
[filter:account-quotas]
use = egg:swift#account_quotas
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
[filter:versioned_writes]
use = egg:swift#versioned_writes
[filter:symlink]
use = egg:swift#symlink
EOF

# --- rings ------------------------------------------------------------------------------
ring() { # name port
  local b="$ETC_DIR/$1.builder" rc
  swift-ring-builder "$b" create "$PART_POWER" "$REPLICAS" "$MIN_PART_HOURS" >/dev/null
  for n in $(seq 1 "$NODES"); do
    swift-ring-builder "$b" add "r1z$n-$(node_ip "$n"):$2/sdb$n" 100 >/dev/null
  done
  # Exit status 1 means "finished with warnings", which a fresh ring may give.
  rc=0
  swift-ring-builder "$b" rebalance >"$LOG_DIR/ring-$1.log" 2>&1 || rc=$?
  [ "$rc" -le 1 ] || die "swift-ring-builder $1 rebalance failed: $(cat "$LOG_DIR/ring-$1.log")"
  [ -f "$ETC_DIR/$1.ring.gz" ] || die "no $1.ring.gz after rebalance"
}
ring object "$OBJECT_PORT"
ring container "$CONTAINER_PORT"
ring account "$ACCOUNT_PORT"
chmod -R a+rX "$ETC_DIR"

# --- launch -----------------------------------------------------------------------------
# Each daemon gets a session of its own (setsid; it execs, so $! stays the daemon's pid): a
# Ctrl-C or hang-up meant for whoever ran this script must not reach the cluster, which
# stop.sh takes down.
launch() { # name command args...
  local name="$1"
  shift
  setsid "$@" </dev/null >>"$LOG_DIR/$name.log" 2>&1 &
  echo $! >"$RUN_DIR/$name.pid"
}

# If anything below fails, stop what was started so no half cluster is left behind.
trap 'log "start failed; stopping what was started"; SWIFT_REF_KEEP=1 "$HERE/stop.sh" >/dev/null 2>&1 || true' ERR

launch memcached memcached -l "$MEMCACHED_IP" -p "$MEMCACHED_PORT" -U 0 -m 64 -c 1024 -u "$RUN_USER"
for n in $(seq 1 "$NODES"); do
  launch "account-$n" swift-account-server "$ETC_DIR/account-$n.conf" --verbose
  launch "container-$n" swift-container-server "$ETC_DIR/container-$n.conf" --verbose
  launch "object-$n" swift-object-server "$ETC_DIR/object-$n.conf" --verbose
done
launch proxy swift-proxy-server "$ETC_DIR/proxy.conf" --verbose

# --- wait until healthy and auth works --------------------------------------------------
healthy() { curl -sf -m 2 -o /dev/null "http://$1:$2/healthcheck"; }
all_ready() {
  local n
  for n in $(seq 1 "$NODES"); do
    healthy "$(node_ip "$n")" "$OBJECT_PORT" && healthy "$(node_ip "$n")" "$CONTAINER_PORT" &&
      healthy "$(node_ip "$n")" "$ACCOUNT_PORT" || return 1
  done
  healthy "$PROXY_IP" "$PROXY_PORT" || return 1
  # Auth, then a HEAD of the account: this proves proxy -> memcached -> account servers.
  local headers token url
  headers="$(curl -sf -m 5 -D - -o /dev/null -H 'X-Auth-User: test:tester' -H 'X-Auth-Key: testing' "$AUTH_URL")" || return 1
  token="$(printf '%s' "$headers" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-auth-token"{print $2}')"
  url="$(printf '%s' "$headers" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-storage-url"{print $2}')"
  [ -n "$token" ] && [ -n "$url" ] || return 1
  curl -sf -m 5 -o /dev/null -I -H "X-Auth-Token: $token" "$url"
}

deadline=$((SECONDS + READY_TIMEOUT_S))
until all_ready; do
  for name in $(daemon_names); do
    if [ -z "$(live_pid "$name")" ]; then
      log "$name exited during start-up; last lines of $LOG_DIR/$name.log:"
      tail -n 20 "$LOG_DIR/$name.log" >&2 || true
      false # runs the ERR trap
    fi
  done
  if [ "$SECONDS" -ge "$deadline" ]; then
    log "not ready after ${READY_TIMEOUT_S}s; see the logs in $LOG_DIR"
    false
  fi
  sleep 0.5
done
trap - ERR

log "reference Swift $(dpkg-query -W -f='${Version}' swift-proxy) is running"
log "  proxy:   http://$PROXY_IP:$PROXY_PORT   (workers: proxy $PROXY_WORKERS, storage servers $WORKERS)"
log "  storage: $NODES hosts on 127.0.1.1-$NODES, ports $OBJECT_PORT/$CONTAINER_PORT/$ACCOUNT_PORT, devices under $SRV_DIR"
log "  logs:    $LOG_DIR    stop: $HERE/stop.sh"
log "  try:     swift -A $AUTH_URL -U test:tester -K testing stat"
report STARTED=yes
