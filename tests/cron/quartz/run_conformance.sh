#!/usr/bin/env bash
# run_conformance.sh <lts-binary> <work-dir>
#
# ctest entry point of the Quartz 2.3.2 cron conformance test:
#   add_test(NAME cron_quartz_conformance
#            COMMAND tests/cron/quartz/run_conformance.sh $<TARGET_FILE:lts> <binary dir>/quartz)
# Exits 77 (ctest: skipped) when java/javac or the Quartz jar are missing;
# otherwise compiles CronRef into <work-dir>/classes, runs compare.py with its
# defaults and passes its exit status through.
# Environment: LTS_CRON_SEED, LTS_CRON_CASES (corpus seed / size),
# QUARTZ_JAR (default /usr/share/java/quartz2.jar).
set -u

if [[ $# -ne 2 ]]; then
    echo "usage: $0 <lts-binary> <work-dir>" >&2
    exit 2
fi
lts=$1 work=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

jdk=/usr/lib/jvm/java-17-openjdk-amd64/bin
if [[ -x $jdk/java && -x $jdk/javac ]]; then
    JAVA=$jdk/java JAVAC=$jdk/javac
else
    JAVA=$(command -v java || true) JAVAC=$(command -v javac || true)
fi
jar=${QUARTZ_JAR:-/usr/share/java/quartz2.jar}
if [[ -z $JAVA ]]; then echo "SKIP: no java (apt-get install openjdk-17-jdk-headless)"; exit 77; fi
if [[ -z $JAVAC ]]; then echo "SKIP: no javac (apt-get install openjdk-17-jdk-headless)"; exit 77; fi
if [[ ! -f $jar ]]; then echo "SKIP: no $jar (apt-get install libquartz2-java)"; exit 77; fi

py=/usr/bin/python3
if [[ ! -x $py ]]; then
    py=$(command -v python3 || true)
    [[ -n $py ]] || { echo "SKIP: no python3"; exit 77; }
fi

mkdir -p "$work/classes" || exit 1
if ! "$JAVAC" -nowarn -Xlint:none -encoding UTF-8 -cp "$jar" -d "$work/classes" "$here/CronRef.java"; then
    echo "FAIL: could not compile CronRef.java" >&2
    exit 1
fi

args=(--lts "$lts" --work "$work")
[[ -n ${LTS_CRON_SEED:-} ]] && args+=(--seed "$LTS_CRON_SEED")
[[ -n ${LTS_CRON_CASES:-} ]] && args+=(--count "$LTS_CRON_CASES")
"$py" "$here/compare.py" "${args[@]}"
exit $?
