# shellcheck shell=bash
# scripts/lib/services.sh -- sourced. Starts the servers the integration tests talk to, on
# 127.0.0.1 only, each on a free port, in one temp dir, and stops them again.
#
#   lts_services_start   start ZooKeeper, Redis, PostgreSQL (database lts_test) and an SMTP sink
#                        that writes a Maildir; wait until each answers; export
#                          LTS_TEST_ZK            127.0.0.1:<port>
#                          LTS_TEST_REDIS         redis://127.0.0.1:<port>
#                          LTS_TEST_PG            postgresql://postgres@127.0.0.1:<port>/lts_test
#                          LTS_TEST_SMTP          127.0.0.1:<port>
#                          LTS_TEST_MAILDIR       the Maildir the sink writes (mails land in new/)
#                          LTS_TEST_SERVICES_DIR  the temp dir (data, logs: <name>.log)
#   lts_services_stop    stop them (reverse order, bounded, SIGKILL fallback), remove the temp dir
#
# Call lts_services_start from the top-level shell, not from $(...), a pipeline or a subshell: the
# servers are children of the calling shell. It installs an EXIT trap (in front of any EXIT trap the
# caller already had) and, in a non-interactive shell without INT/TERM/HUP traps, traps that turn
# those signals into an exit, so the servers are stopped on success, failure and Ctrl-C. Every server
# is started through `setpriv --pdeathsig`, so it also dies when the shell is killed with SIGKILL.
#
# Env: LTS_ZK_PORT, LTS_REDIS_PORT, LTS_PG_PORT, LTS_SMTP_PORT  fixed ports (default: free ports
#      chosen by the kernel); LTS_SERVICES_TMPDIR (default /tmp; postgres must be able to enter it);
#      LTS_SERVICES_STOP_TIMEOUT seconds per server before SIGKILL (default 10).
# Needs: zookeeperd, redis-server, postgresql-15, python3-aiosmtpd (scripts/lib/deps.sh group test).

: "${LTS_SERVICES_DIR:=}"
declare -p LTS_SERVICES_PIDS >/dev/null 2>&1 || LTS_SERVICES_PIDS=()   # "name:pid:stopsignal"
declare -p LTS_SERVICES_TIMES >/dev/null 2>&1 || LTS_SERVICES_TIMES=() # "name=seconds"
_lts_svc_t0=0                                                            # launch stamp (us)
_lts_svc_rc=0                                                            # exit status, in the EXIT trap

_lts_svc_log() { printf '[services] %s\n' "$*" >&2; }

# Microseconds since the epoch into the variable named $1 (locale-proof: drop the separator).
_lts_svc_now() { printf -v "$1" '%s' "${EPOCHREALTIME//[!0-9]/}"; }
# Seconds (2 decimals) since the microsecond stamp $2, into the variable named $1.
_lts_svc_elapsed() {
  local _now _d
  _lts_svc_now _now
  _d=$(( (_now - $2) / 10000 ))
  printf -v "$1" '%d.%02d' $(( _d / 100 )) $(( _d % 100 ))
}

# True while the process exists and is not a zombie.
_lts_svc_alive() {
  local state
  kill -0 "$1" 2>/dev/null || return 1
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [ "$state" != Z ]
}

# True if something accepts TCP connections on 127.0.0.1:$1.
_lts_svc_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Prints $1 distinct ports that are free on 127.0.0.1: the kernel picks them (bind to port 0,
# all sockets held open at once so that they differ). Fallback: probe random ports.
_lts_svc_free_ports() {
  local n=$1 p tries=0 got
  local -a out=()
  if [ -x /usr/bin/python3 ]; then
    got=$(/usr/bin/python3 -c '
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
' "$n" 2>/dev/null) && [ -n "$got" ] && { echo "$got"; return 0; }
  fi
  while [ "${#out[@]}" -lt "$n" ] && [ "$tries" -lt 1000 ]; do
    tries=$((tries + 1))
    p=$(( 20000 + RANDOM % 12000 ))
    [[ " ${out[*]} " == *" $p "* ]] && continue
    _lts_svc_port_busy "$p" || out+=("$p")
  done
  [ "${#out[@]}" -eq "$n" ] || return 1
  echo "${out[*]}"
}

_lts_svc_tail() {   # _lts_svc_tail NAME: last lines of that server's log
  local f="$LTS_SERVICES_DIR/$1.log"
  [ -f "$f" ] || return 0
  _lts_svc_log "last lines of $f:"
  tail -n 25 "$f" | sed 's/^/    /' >&2
}

# _lts_svc_wait NAME PID TIMEOUT_S CHECK...: polls CHECK until it succeeds; fails fast if the
# server exits, and after TIMEOUT_S seconds. Prints and records the time since launch stamp
# _lts_svc_t0.
_lts_svc_wait() {
  local name=$1 pid=$2 secs=$3 now deadline took
  shift 3
  _lts_svc_now now
  deadline=$(( now + secs * 1000000 ))
  until "$@" >/dev/null 2>&1; do
    if ! _lts_svc_alive "$pid"; then
      _lts_svc_log "$name exited during start-up (port busy? see its log)"
      _lts_svc_tail "$name"
      return 1
    fi
    _lts_svc_now now
    if [ "$now" -ge "$deadline" ]; then
      _lts_svc_log "$name did not become ready within ${secs}s"
      _lts_svc_tail "$name"
      return 1
    fi
    sleep 0.05
  done
  _lts_svc_elapsed took "$_lts_svc_t0"
  LTS_SERVICES_TIMES+=("$name=$took")
  _lts_svc_log "$name ready in ${took}s (pid $pid)"
}

# Readiness checks.
_lts_svc_zk_ok() (
  exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
  printf ruok >&3
  [ "$(timeout 2 cat <&3)" = imok ]
)
_lts_svc_redis_ok() { [ "$(timeout 2 redis-cli -h 127.0.0.1 -p "$1" PING 2>/dev/null)" = PONG ]; }
_lts_svc_smtp_ok() (
  local line
  exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
  IFS= read -r -t 2 line <&3 || exit 1
  printf 'QUIT\r\n' >&3
  [[ $line == 220* ]]
)

# Removes temp dirs left by runs whose shell was SIGKILLed (their servers died via pdeathsig).
_lts_svc_reap_stale() {
  local d owner
  for d in "${LTS_SERVICES_TMPDIR:-/tmp}"/lts-services.*; do
    [ -f "$d/owner.pid" ] || continue
    owner=$(cat "$d/owner.pid" 2>/dev/null) || continue
    [[ $owner =~ ^[0-9]+$ ]] || continue
    kill -0 "$owner" 2>/dev/null && continue
    _lts_svc_log "removing stale $d (owner pid $owner is gone)"
    rm -rf -- "$d"
  done
}

_lts_svc_install_traps() {
  local prev
  local -a words
  prev=$(trap -p EXIT)
  if [[ $prev != *lts_services_stop* ]]; then
    if [ -n "$prev" ]; then
      eval "words=($prev)"         # trap -- 'CMD' EXIT
      # shellcheck disable=SC2064
      # The caller's trap must still see the exit status the shell is leaving with, as $?. The
      # if/else sets it without tripping `set -e` (which is active in traps too).
      trap "_lts_svc_rc=\$?; lts_services_stop; if (exit \$_lts_svc_rc); then ${words[2]}
else ${words[2]}
fi" EXIT
    else
      trap lts_services_stop EXIT
    fi
  fi
  [[ $- == *i* ]] && return 0     # never make Ctrl-C end an interactive shell
  [ -n "$(trap -p INT)" ] || trap 'exit 130' INT
  [ -n "$(trap -p TERM)" ] || trap 'exit 143' TERM
  [ -n "$(trap -p HUP)" ] || trap 'exit 129' HUP
}

lts_services_start() {
  local d zk_port redis_port pg_port smtp_port p pid pg_bin ports t_all took
  local -a as_pg
  if [ -n "$LTS_SERVICES_DIR" ]; then
    _lts_svc_log "already started (in $LTS_SERVICES_DIR)"
    return 1
  fi
  if [ "$BASHPID" != "$$" ]; then
    _lts_svc_log "warning: called from a subshell; the servers stop when that subshell exits"
  fi
  _lts_svc_now t_all
  local c
  for c in java redis-server redis-cli /usr/bin/python3 setpriv; do
    command -v "$c" >/dev/null 2>&1 || { _lts_svc_log "missing $c (run lts_deps_install test)"; return 1; }
  done
  pg_bin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/postgres" ]; then
    _lts_svc_log "PostgreSQL server binaries not found under /usr/lib/postgresql"
    return 1
  fi
  if [ ! -r /usr/share/java/zookeeper.jar ]; then
    _lts_svc_log "/usr/share/java/zookeeper.jar not found (package zookeeperd)"
    return 1
  fi

  # Ports: explicit ones must be free; the rest come from the kernel.
  ports=$(_lts_svc_free_ports 4) || { _lts_svc_log "could not find free ports"; return 1; }
  read -r zk_port redis_port pg_port smtp_port <<<"$ports"
  zk_port=${LTS_ZK_PORT:-$zk_port}
  redis_port=${LTS_REDIS_PORT:-$redis_port}
  pg_port=${LTS_PG_PORT:-$pg_port}
  smtp_port=${LTS_SMTP_PORT:-$smtp_port}
  for p in "$zk_port" "$redis_port" "$pg_port" "$smtp_port"; do
    if ! [[ $p =~ ^[0-9]+$ ]] || [ "$p" -lt 1 ] || [ "$p" -gt 65535 ]; then
      _lts_svc_log "bad port '$p'"; return 1
    fi
    if _lts_svc_port_busy "$p"; then
      _lts_svc_log "port $p on 127.0.0.1 is already in use"; return 1
    fi
  done

  _lts_svc_reap_stale
  d=$(mktemp -d "${LTS_SERVICES_TMPDIR:-/tmp}/lts-services.XXXXXX") || return 1
  chmod 755 "$d"                       # the postgres user must be able to enter it
  echo "$$" >"$d/owner.pid"
  LTS_SERVICES_DIR=$d
  LTS_SERVICES_PIDS=()
  LTS_SERVICES_TIMES=()
  _lts_svc_install_traps
  _lts_svc_log "starting in $d: zookeeper:$zk_port redis:$redis_port postgres:$pg_port smtp:$smtp_port"

  # --- ZooKeeper 3.8, standalone. Debian's zkServer.sh insists on /etc/zookeeper/conf, so run
  # the JVM directly; the log4j jars + conf_example dir give it a logger.
  mkdir -p "$d/zookeeper/data"
  cat >"$d/zookeeper/zoo.cfg" <<EOF
tickTime=500
minSessionTimeout=1000
maxSessionTimeout=60000
dataDir=$d/zookeeper/data
clientPort=$zk_port
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=*
EOF
  _lts_svc_now _lts_svc_t0
  (cd "$d/zookeeper" && exec setpriv --pdeathsig TERM -- java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -cp /etc/zookeeper/conf_example:/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar \
    -Dzookeeper.root.logger=INFO,CONSOLE -Dzookeeper.console.threshold=INFO \
    org.apache.zookeeper.server.ZooKeeperServerMain "$d/zookeeper/zoo.cfg") >"$d/zookeeper.log" 2>&1 &
  pid=$!
  LTS_SERVICES_PIDS+=("zookeeper:$pid:TERM")
  _lts_svc_wait zookeeper "$pid" 60 _lts_svc_zk_ok "$zk_port" || { lts_services_stop; return 1; }

  # --- Redis 7, no persistence.
  mkdir -p "$d/redis"
  _lts_svc_now _lts_svc_t0
  (cd "$d/redis" && exec setpriv --pdeathsig TERM -- redis-server --bind 127.0.0.1 --port "$redis_port" \
    --save '' --appendonly no --daemonize no --dir "$d/redis") >"$d/redis.log" 2>&1 &
  pid=$!
  LTS_SERVICES_PIDS+=("redis:$pid:TERM")
  _lts_svc_wait redis "$pid" 20 _lts_svc_redis_ok "$redis_port" || { lts_services_stop; return 1; }

  # --- PostgreSQL: a fresh cluster. The server refuses to run as root, so as root it runs as
  # user postgres. The postmaster runs in the foreground so that $! is its pid; SIGINT is its
  # fast shutdown (SIGTERM would wait for clients), also as the parent-death signal.
  as_pg=(setpriv --pdeathsig INT --)
  if [ "$(id -u)" -eq 0 ]; then
    as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups --pdeathsig INT --)
  fi
  mkdir -p "$d/postgres/data" "$d/postgres/sock"
  chmod 700 "$d/postgres/data"
  [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$d/postgres"
  _lts_svc_now _lts_svc_t0
  if ! (cd "$d/postgres" && timeout 120 "${as_pg[@]}" "$pg_bin/initdb" -D "$d/postgres/data" -U postgres \
        -A trust -E UTF8 --locale=C.UTF-8 --no-sync) >"$d/postgres.log" 2>&1; then
    _lts_svc_log "initdb failed"
    _lts_svc_tail postgres
    lts_services_stop
    return 1
  fi
  (cd "$d/postgres" && exec "${as_pg[@]}" "$pg_bin/postgres" -D "$d/postgres/data" \
    -c listen_addresses=127.0.0.1 -p "$pg_port" -k "$d/postgres/sock" \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200) >>"$d/postgres.log" 2>&1 &
  pid=$!
  LTS_SERVICES_PIDS+=("postgres:$pid:INT")
  _lts_svc_wait postgres "$pid" 60 "$pg_bin/pg_isready" -q -t 2 -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres \
    || { lts_services_stop; return 1; }
  if ! timeout 30 "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres lts_test >>"$d/postgres.log" 2>&1; then
    _lts_svc_log "createdb lts_test failed"
    _lts_svc_tail postgres
    lts_services_stop
    return 1
  fi

  # --- SMTP sink: Debian's aiosmtpd (needs /usr/bin/python3: a python3 earlier on PATH may lack
  # it); -n: do not setuid to nobody. The Mailbox handler writes one file per mail into new/.
  mkdir -p "$d/maildir/new" "$d/maildir/cur" "$d/maildir/tmp"
  _lts_svc_now _lts_svc_t0
  (cd "$d" && exec setpriv --pdeathsig TERM -- /usr/bin/python3 -u -m aiosmtpd -n -l "127.0.0.1:$smtp_port" \
    -c aiosmtpd.handlers.Mailbox "$d/maildir") >"$d/smtp.log" 2>&1 &
  pid=$!
  LTS_SERVICES_PIDS+=("smtp:$pid:TERM")
  _lts_svc_wait smtp "$pid" 30 _lts_svc_smtp_ok "$smtp_port" || { lts_services_stop; return 1; }

  export LTS_TEST_ZK="127.0.0.1:$zk_port"
  export LTS_TEST_REDIS="redis://127.0.0.1:$redis_port"
  export LTS_TEST_PG="postgresql://postgres@127.0.0.1:$pg_port/lts_test"
  export LTS_TEST_SMTP="127.0.0.1:$smtp_port"
  export LTS_TEST_MAILDIR="$d/maildir"
  export LTS_TEST_SERVICES_DIR="$d"
  _lts_svc_elapsed took "$t_all"
  LTS_SERVICES_TIMES+=("all=$took")
  _lts_svc_log "all services up in ${took}s"
  _lts_svc_log "LTS_TEST_ZK=$LTS_TEST_ZK LTS_TEST_REDIS=$LTS_TEST_REDIS LTS_TEST_PG=$LTS_TEST_PG"
  _lts_svc_log "LTS_TEST_SMTP=$LTS_TEST_SMTP LTS_TEST_MAILDIR=$LTS_TEST_MAILDIR"
}

lts_services_stop() {
  local - i entry name pid sig n deadline now took t0
  set +e                                  # runs from the EXIT trap: never stop half-way
  [ "${#LTS_SERVICES_PIDS[@]}" -eq 0 ] && [ -z "$LTS_SERVICES_DIR" ] && return 0
  local limit=${LTS_SERVICES_STOP_TIMEOUT:-10}
  for (( i = ${#LTS_SERVICES_PIDS[@]} - 1; i >= 0; i-- )); do
    entry=${LTS_SERVICES_PIDS[i]}
    name=${entry%%:*}; sig=${entry##*:}; pid=${entry#*:}; pid=${pid%%:*}
    if ! _lts_svc_alive "$pid"; then
      wait "$pid" 2>/dev/null
      continue
    fi
    _lts_svc_now t0
    kill -s "$sig" "$pid" 2>/dev/null
    deadline=$(( t0 + limit * 1000000 ))
    while _lts_svc_alive "$pid"; do
      _lts_svc_now now
      if [ "$now" -ge "$deadline" ]; then
        _lts_svc_log "$name (pid $pid) still running ${limit}s after SIG$sig: SIGKILL"
        kill -s KILL "$pid" 2>/dev/null
        for (( n = 0; n < 50; n++ )); do _lts_svc_alive "$pid" || break; sleep 0.1; done
        break
      fi
      sleep 0.05
    done
    wait "$pid" 2>/dev/null
    _lts_svc_elapsed took "$t0"
    _lts_svc_log "$name stopped in ${took}s"
  done
  LTS_SERVICES_PIDS=()
  if [ -n "$LTS_SERVICES_DIR" ]; then
    rm -rf -- "$LTS_SERVICES_DIR"
    LTS_SERVICES_DIR=""
  fi
  unset LTS_TEST_ZK LTS_TEST_REDIS LTS_TEST_PG LTS_TEST_SMTP LTS_TEST_MAILDIR LTS_TEST_SERVICES_DIR
  return 0
}
