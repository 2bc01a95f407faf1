#!/usr/bin/env bash
# services_check.sh -- ctest "services_reachable" (label integration): asserts that every service
# exported by scripts/lib/services.sh (via scripts/test.sh) really answers:
#   ZooKeeper  ruok -> imok over bash /dev/tcp
#   Redis      PING -> PONG with redis-cli
#   PostgreSQL SELECT 1 with psql and the libpq URI
#   SMTP       a mail sent with curl smtp:// shows up in the Maildir's new/ within a bounded wait
# Exits 77 (ctest: skipped) when the LTS_TEST_* variables are not set.
set -uo pipefail

vars=(LTS_TEST_ZK LTS_TEST_REDIS LTS_TEST_PG LTS_TEST_SMTP LTS_TEST_MAILDIR)
for v in "${vars[@]}"; do
  if [ -z "${!v:-}" ]; then
    echo "SKIP: $v is not set; run the tests through scripts/test.sh (it starts the services)"
    exit 77
  fi
done

failures=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# host:port -> globals host, port
split_addr() {
  host=${1%:*}
  port=${1##*:}
  [[ $port =~ ^[0-9]+$ ]] && [ -n "$host" ] && [ "$host" != "$1" ]
}

# --- ZooKeeper
zk_ruok() (
  exec 3<>"/dev/tcp/$1/$2" || exit 1
  printf ruok >&3
  timeout 5 cat <&3
)
if split_addr "$LTS_TEST_ZK"; then
  reply=$(zk_ruok "$host" "$port" 2>&1)
  if [ "$reply" = imok ]; then pass "zookeeper $LTS_TEST_ZK: ruok -> imok"
  else fail "zookeeper $LTS_TEST_ZK: ruok -> '$reply' (want imok)"; fi
else
  fail "LTS_TEST_ZK='$LTS_TEST_ZK' is not host:port"
fi

# --- Redis
if command -v redis-cli >/dev/null 2>&1; then
  reply=$(timeout 10 redis-cli -u "$LTS_TEST_REDIS" PING 2>&1)
  if [ "$reply" = PONG ]; then pass "redis $LTS_TEST_REDIS: PING -> PONG"
  else fail "redis $LTS_TEST_REDIS: PING -> '$reply' (want PONG)"; fi
else
  fail "redis-cli not installed (package redis-tools)"
fi

# --- PostgreSQL
if command -v psql >/dev/null 2>&1; then
  reply=$(PGCONNECT_TIMEOUT=5 timeout 15 psql "$LTS_TEST_PG" -X -q -t -A -v ON_ERROR_STOP=1 -c 'SELECT 1' 2>&1)
  if [ "$reply" = 1 ]; then pass "postgres $LTS_TEST_PG: SELECT 1 -> 1"
  else fail "postgres $LTS_TEST_PG: SELECT 1 -> '$reply'"; fi
else
  fail "psql not installed (package postgresql-client)"
fi

# --- SMTP sink
if ! command -v curl >/dev/null 2>&1; then
  fail "curl not installed"
elif ! split_addr "$LTS_TEST_SMTP"; then
  fail "LTS_TEST_SMTP='$LTS_TEST_SMTP' is not host:port"
elif [ ! -d "$LTS_TEST_MAILDIR/new" ]; then
  fail "smtp: $LTS_TEST_MAILDIR/new does not exist"
else
  token="lts-services-check-$$-$RANDOM$RANDOM"
  msg=$(mktemp "${TMPDIR:-/tmp}/lts-mail.XXXXXX")
  trap 'rm -f "$msg"' EXIT
  printf 'From: lts-check@example.test\r\nTo: oncall@example.test\r\nSubject: %s\r\n\r\nservices_check.sh test mail %s\r\n' \
    "$token" "$token" >"$msg"
  if out=$(curl -sS --max-time 15 "smtp://$host:$port" --mail-from lts-check@example.test \
             --mail-rcpt oncall@example.test -T "$msg" 2>&1); then
    found=""
    for _ in $(seq 1 100); do                       # up to 10 s
      found=$(grep -l -F -- "$token" "$LTS_TEST_MAILDIR"/new/* 2>/dev/null | head -n 1)
      [ -n "$found" ] && break
      sleep 0.1
    done
    if [ -n "$found" ]; then pass "smtp $LTS_TEST_SMTP: mail delivered to $found"
    else fail "smtp $LTS_TEST_SMTP: curl sent the mail but it is not in $LTS_TEST_MAILDIR/new after 10s"; fi
  else
    fail "smtp $LTS_TEST_SMTP: curl failed: $out"
  fi
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures service check(s) failed"
  exit 1
fi
echo "all services reachable"
