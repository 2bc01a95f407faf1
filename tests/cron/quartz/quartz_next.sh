#!/usr/bin/env bash
# quartz_next.sh "<expr>" <from-epoch-seconds> <count> [tz]
#
# Prints what real Quartz 2.3.2 (org.quartz.CronExpression) answers for one
# case, in the output format of `lts cron next`:
#   stdout "t1 t2 ... [END]" and exit 0            - schedule (END if it ran out)
#   stderr "INVALID: <ParseException message>", exit 2
#   stderr "EXCEPTION: <class: message>", exit 2   - parsed, but getTimeAfter threw
#   stderr "TIMEOUT: ...", exit 3                  - getTimeAfter hung
# tz defaults to UTC. CronRef is compiled on demand into a cache dir under /tmp
# (keyed by the hash of CronRef.java). Needs java/javac and
# /usr/share/java/quartz2.jar (override with QUARTZ_JAR).
set -euo pipefail

if [[ $# -lt 3 || $# -gt 4 ]]; then
    echo "usage: $0 \"<expr>\" <from-epoch-seconds> <count> [tz]" >&2
    exit 64
fi
expr=$1 from=$2 count=$3 tz=${4:-UTC}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
jdk=/usr/lib/jvm/java-17-openjdk-amd64/bin
if [[ -x $jdk/java && -x $jdk/javac ]]; then
    JAVA=$jdk/java JAVAC=$jdk/javac
else
    JAVA=$(command -v java || true) JAVAC=$(command -v javac || true)
fi
jar=${QUARTZ_JAR:-/usr/share/java/quartz2.jar}
if [[ -z $JAVA || -z $JAVAC || ! -f $jar ]]; then
    echo "quartz_next.sh: need java, javac and $jar" >&2
    exit 77
fi

sum=$(sha256sum "$here/CronRef.java" | cut -c1-16)
cache=${TMPDIR:-/tmp}/lts-cronref-$(id -u)/$sum
if [[ ! -f $cache/CronRef.class ]]; then
    mkdir -p "$(dirname "$cache")"
    tmp=$(mktemp -d "$(dirname "$cache")/build.XXXXXX")
    "$JAVAC" -nowarn -encoding UTF-8 -cp "$jar" -d "$tmp" "$here/CronRef.java"
    # Atomic publish; a concurrent invocation may have won the race, which is fine.
    mv -T "$tmp" "$cache" 2>/dev/null || rm -rf "$tmp"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/quartz_next.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Escape the expression for the case file (backslash, tab, LF, CR).
esc=${expr//\\/\\\\}
esc=${esc//$'\t'/\\t}
esc=${esc//$'\n'/\\n}
esc=${esc//$'\r'/\\r}
printf '1\t%s\t%s\t%s\t%s\n' "$tz" "$from" "$count" "$esc" >"$work/case.tsv"
"$JAVA" -Duser.timezone=UTC -Duser.language=en -Duser.country=US -cp "$cache:$jar" CronRef "$work/case.tsv" "$work/out.tsv" 2>"$work/err" || {
    cat "$work/err" >&2
    exit 1
}
IFS=$'\t' read -r _id status payload <"$work/out.tsv" || true
case $status in
    OK) printf '%s\n' "$payload" ;;
    INVALID | EXCEPTION) printf '%s: %s\n' "$status" "$payload" >&2; exit 2 ;;
    TIMEOUT) printf '%s: %s\n' "$status" "$payload" >&2; exit 3 ;;
    *) printf '%s: %s\n' "${status:-NO-OUTPUT}" "$payload" >&2; exit 1 ;;
esac
