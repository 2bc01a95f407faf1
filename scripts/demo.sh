#!/usr/bin/env bash
# scripts/demo.sh -- build LTS and run the all-in-one demo in the foreground:
#   build/bin/lts standalone --http 127.0.0.1:8080 --config lts-data/demo.yaml [extra args...]
# which starts a JobTracker, a shell TaskTracker, sample jobs (lts submit), the Admin console
# on http://127.0.0.1:8080 (user admin, password made on the first run and printed), an embedded
# registry and a SQLite job store under ./lts-data.
# Installs only the build group of packages (scripts/lib/deps.sh), and the console's npm packages
# (chart.js: npm ci --omit=dev --prefix web) unless web/node_modules has them. Ctrl-C stops the demo.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source-path=SCRIPTDIR/..
source scripts/lib/deps.sh

JOBS=$(nproc 2>/dev/null || echo 2)
LTS=build/bin/lts
ADDR=127.0.0.1:8080

echo "==== deps"
lts_deps_install build
echo "==== configure build/ (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
echo "==== build"
lts_with_build_lock cmake --build build -j"$JOBS"

if [ ! -x "$LTS" ]; then
  echo "demo: $LTS was not built" >&2
  exit 1
fi

# The console draws its charts with chart.js from web/node_modules (served at /vendor/chart.js/).
if [ ! -d web/node_modules/chart.js ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "==== npm ci --omit=dev --prefix web (chart.js for the console)"
    npm ci --omit=dev --prefix web --no-audit --no-fund --loglevel=error >/dev/null ||
      echo "demo: npm ci failed: the console runs without its charts" >&2
  else
    echo "demo: npm is not installed: the console runs without its charts" >&2
  fi
fi

DATA=lts-data
mkdir -p "$DATA"
# The console's login: user 'admin' with a password made on the first run and kept in
# $DATA/admin-password (only its argon2id hash goes into the config).
CONFIG=$DATA/demo.yaml
if [ ! -s "$DATA/admin-password" ] || [ ! -s "$CONFIG" ]; then
  (umask 077; head -c 12 /dev/urandom | base64 | tr -d '/+=' > "$DATA/admin-password")
  hash=$(tr -d '\n' < "$DATA/admin-password" | "$LTS" admin hash-password)
  (umask 077; cat > "$CONFIG" <<YAML
# Made by scripts/demo.sh: the console's users (docs/http_api.md).
admin:
  users:
    - name: admin
      password: "$hash"
      role: admin
YAML
  )
fi
PASSWORD=$(cat "$DATA/admin-password")

echo "==== starting lts standalone: JobTracker on 127.0.0.1:35001, a shell TaskTracker (group"
echo "     'shell'), embedded registry, SQLite store in ./$DATA, console on http://$ADDR."
echo "     Ctrl-C stops it."
"$LTS" standalone --data-dir "$DATA" --config "$CONFIG" --http "$ADDR" "$@" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null' INT TERM EXIT
for _ in $(seq 1 100); do
  "$LTS" job counts >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { echo "demo: lts standalone exited" >&2; exit 1; }
  sleep 0.2
done
echo "==== sample jobs"
"$LTS" submit --group shell --task-id demo-date --cron '*/10 * * * * ?' \
  --param command='date -u' --replace
"$LTS" submit --group shell --task-id demo-flaky --replace \
  --param command='echo "trying, attempt $LTS_ATTEMPT"; exit 75' --param laterExitCodes=75 \
  --max-retries 3 --retry-backoff fixed --retry-delay-ms 5000
cat <<MSG
==== the demo is running. In another terminal:
  $LTS job list --queue cron             the cron job (every 10 s, runs 'date -u')
  $LTS job logs shell demo-date          its runs
  $LTS job logs shell demo-date --biz    what it printed
  $LTS job logs shell demo-flaky         a job that fails and is retried 3 times
  $LTS job list --queue dead             where it ends after its last retry
  $LTS submit --group shell --task-id hello --param command='echo hello'

==== the web console: http://$ADDR/   user: admin   password: $PASSWORD
     (the password is kept in $DATA/admin-password)
MSG
wait "$pid"
