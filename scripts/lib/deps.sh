# shellcheck shell=bash
# scripts/lib/deps.sh -- sourced by scripts/test.sh and scripts/demo.sh.
#
#   lts_deps_install <group>...   install the Debian packages of the groups that are missing
#   lts_deps_missing <pkg>...     print the packages (one per line) that are not installed
#   lts_with_build_lock <cmd>...  run cmd holding /tmp/lts-build.lock (house rule: one build at a time)
#
# Groups: build (compile the tree), test (servers and tools the tests use, chromium and node for
# the browser test).
# Only packages that dpkg does not report as installed are ever named to apt: naming an installed
# package can upgrade it (libpq-dev would drag the preinstalled PostgreSQL server along).
# Env: LTS_DEPS_DRY_RUN=1 prints what would be installed and stops there.
#      LTS_DEPS_UPDATE_TIMEOUT (s, default 300), LTS_DEPS_INSTALL_TIMEOUT (s, default 1200),
#      LTS_DEPS_LOCK_TIMEOUT (s to wait for the dpkg/apt locks, default 300).

# shellcheck disable=SC2034  # read through ${!var} in lts_deps_install
LTS_DEPS_GROUP_build=(
  cmake g++ make lld pkg-config git ca-certificates tzdata
  libspdlog-dev libfmt-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libhowardhinnant-date-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libzookeeper-mt-dev libhiredis-dev libsqlite3-dev libpq-dev libcpp-httplib-dev libcurl4-openssl-dev
  libzstd-dev liblz4-dev libssl-dev libleveldb-dev librocksdb-dev libsodium-dev libjemalloc-dev
)
# shellcheck disable=SC2034
LTS_DEPS_GROUP_test=(
  clang libclang-rt-14-dev
  zookeeperd redis-server python3-aiosmtpd postgresql-15 curl beanstalkd
  libquartz2-java openjdk-17-jdk-headless
  chromium
)
# node and npm: `npm ci --prefix web` and the browser test (tests/admin/browser). The machines
# normally come with Node 20 and the npm bundled in its nodejs package (NodeSource): naming
# Debian's nodejs/npm there would fight that package, so each joins the group only when its
# command is missing. (Debian 12's nodejs is 18: web/'s playwright-core asks for Node >= 20.)
command -v node >/dev/null 2>&1 || LTS_DEPS_GROUP_test+=(nodejs)
command -v npm >/dev/null 2>&1 || LTS_DEPS_GROUP_test+=(npm)

_lts_deps_log() { printf '[deps] %s\n' "$*" >&2; }

# Seconds since $1 (an $EPOCHREALTIME value), one decimal.
_lts_deps_since() {
  local now=$EPOCHREALTIME
  awk -v a="$1" -v b="$now" 'BEGIN { printf "%.1f", b - a }'
}

# True if dpkg has the package fully installed (any architecture). "rc" (removed, config
# files left), half-installed, unpacked-only and unknown packages all count as missing.
_lts_deps_installed() {
  local status
  status=$(dpkg-query -W -f='${db:Status-Status}\n' "$1" 2>/dev/null) || return 1
  grep -qx 'installed' <<<"$status"
}

lts_deps_missing() {
  local p
  for p in "$@"; do
    _lts_deps_installed "$p" || printf '%s\n' "$p"
  done
}

# Sets the array _lts_deps_root to the prefix that runs a command as root: nothing when root,
# else sudo (non-interactive when there is no terminal to ask for a password on).
_lts_deps_root_prefix() {
  _lts_deps_root=()
  [ "$(id -u)" -eq 0 ] && return 0
  if ! command -v sudo >/dev/null 2>&1; then
    _lts_deps_log "not root and sudo is not installed: cannot install packages"
    return 1
  fi
  if [ -t 0 ]; then _lts_deps_root=(sudo); else _lts_deps_root=(sudo -n); fi
}

# One apt-get update + one apt-get install of exactly the given (missing) packages.
_lts_deps_apt_install() {
  local log t0 rc=0
  local upd_to=${LTS_DEPS_UPDATE_TIMEOUT:-300} inst_to=${LTS_DEPS_INSTALL_TIMEOUT:-1200}
  local lock_to=${LTS_DEPS_LOCK_TIMEOUT:-300}
  local -a _lts_deps_root
  _lts_deps_root_prefix || return 1
  log=$(mktemp /tmp/lts-apt.XXXXXX.log) || return 1
  t0=$EPOCHREALTIME
  _lts_deps_log "apt-get update (timeout ${upd_to}s)"
  if ! "${_lts_deps_root[@]}" env DEBIAN_FRONTEND=noninteractive \
      timeout --kill-after=10 "$upd_to" apt-get update -q -o DPkg::Lock::Timeout="$lock_to" >>"$log" 2>&1; then
    # Keep going: the current lists may well be enough. The install below reports if not.
    _lts_deps_log "apt-get update failed; trying the install with the current package lists"
    tail -n 5 "$log" >&2
  fi
  _lts_deps_log "apt-get install (timeout ${inst_to}s): $*"
  "${_lts_deps_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    timeout --kill-after=10 "$inst_to" apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout="$lock_to" -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "$@" >>"$log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    [ "$rc" -eq 124 ] && _lts_deps_log "apt-get install timed out after ${inst_to}s"
    _lts_deps_log "apt-get install failed (rc=$rc) after $(_lts_deps_since "$t0")s; last lines of $log:"
    tail -n 30 "$log" >&2
    return 1
  fi
  _lts_deps_log "installed $# package(s) in $(_lts_deps_since "$t0")s"
  rm -f "$log"
}

lts_deps_install() {
  local group var p t0
  local -a wanted=() missing=()
  local -A seen=()
  if [ "$#" -eq 0 ]; then
    _lts_deps_log "usage: lts_deps_install <group>... (groups: build test)"
    return 2
  fi
  t0=$EPOCHREALTIME
  for group in "$@"; do
    var="LTS_DEPS_GROUP_${group}[@]"
    if ! [[ $group =~ ^[a-z]+$ ]] || ! declare -p "LTS_DEPS_GROUP_${group}" >/dev/null 2>&1; then
      _lts_deps_log "unknown group '$group' (groups: build test)"
      return 2
    fi
    for p in "${!var}"; do
      [ -n "${seen[$p]:-}" ] && continue
      seen[$p]=1
      wanted+=("$p")
    done
  done
  if ! command -v dpkg-query >/dev/null 2>&1; then
    _lts_deps_log "dpkg-query not found: this needs Debian 12 (or a derivative)"
    return 1
  fi
  mapfile -t missing < <(lts_deps_missing "${wanted[@]}")
  if [ "${#missing[@]}" -eq 0 ]; then
    _lts_deps_log "all ${#wanted[@]} packages of group(s) '$*' are installed ($(_lts_deps_since "$t0")s)"
    return 0
  fi
  _lts_deps_log "${#missing[@]} of ${#wanted[@]} packages of group(s) '$*' are missing: ${missing[*]}"
  if [ "${LTS_DEPS_DRY_RUN:-0}" = 1 ]; then
    _lts_deps_log "LTS_DEPS_DRY_RUN=1: not installing"
    return 0
  fi
  _lts_deps_apt_install "${missing[@]}" || return 1
  # Verify: apt can exit 0 yet leave a package unconfigured.
  mapfile -t missing < <(lts_deps_missing "${missing[@]}")
  if [ "${#missing[@]}" -ne 0 ]; then
    _lts_deps_log "still not installed after apt-get: ${missing[*]}"
    return 1
  fi
}

# lts_with_build_lock CMD...: runs CMD while holding the build lock, so that two builds never
# run at once. If this shell already holds the lock through an inherited descriptor (someone
# ran `flock /tmp/lts-build.lock scripts/test.sh`), CMD runs directly instead of deadlocking.
lts_with_build_lock() {
  local lock=${LTS_BUILD_LOCK:-/tmp/lts-build.lock} fd
  for fd in /proc/"$BASHPID"/fd/*; do
    [ "$(readlink "$fd" 2>/dev/null)" = "$lock" ] || continue
    # flock on a descriptor whose open file already holds the lock succeeds at once.
    if flock -n "${fd##*/}" 2>/dev/null; then
      "$@"
      return
    fi
  done
  if ! flock -n "$lock" true 2>/dev/null; then
    _lts_deps_log "waiting for the build lock $lock (another build is running)"
  fi
  flock "$lock" "$@"
}
