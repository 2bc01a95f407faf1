#!/usr/bin/python3
"""Compare `lts cron next` with real Quartz 2.3.2 on a generated corpus.

Usage:
  compare.py --lts PATH --work DIR [--seed N] [--count M] [--min-agreement 99.5]
             [--corpus FILE] [--jobs J] [--min-cases 500]

Steps:
  1. generate the corpus with gen_corpus.py (seed printed) into DIR/corpus.tsv,
     unless --corpus FILE is given;
  2. run CronRef (Quartz) once over the whole corpus -> DIR/quartz.tsv
     (CronRef is compiled into DIR/classes if it is not there yet);
  3. run `lts cron next <expr> --from F --count N [--tz Z]` once per case
     (argument list, no shell, 10 s timeout; a timeout is a disagreement)
     -> DIR/lts.tsv;
  4. compare and print the summary and every disagreement, write DIR/report.json.

A case agrees when both produce the same schedule (stdout of lts, minus the
trailing newline, equals Quartz's list, END included), or both reject it
(Quartz INVALID or EXCEPTION, lts exit status 2). Cases on which Quartz itself
hangs (CronRef TIMEOUT) are skipped and listed.

Exit status: 0 iff agreement >= --min-agreement; 1 otherwise, or when the
corpus has fewer than --min-cases cases, or the Java side failed; 77 when
Java/javac/Quartz are not available (ctest "skipped").

Environment: LTS_CRON_SEED / LTS_CRON_CASES supply defaults for --seed /
--count; QUARTZ_JAR overrides /usr/share/java/quartz2.jar.
Standard library only; meant for Debian's /usr/bin/python3.
"""

import argparse
import concurrent.futures
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time

try:
    import zoneinfo
except ImportError:  # pragma: no cover
    zoneinfo = None

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import gen_corpus  # noqa: E402

DEFAULT_SEED = 20261124
LTS_TIMEOUT = 10.0
JDK17 = "/usr/lib/jvm/java-17-openjdk-amd64/bin"


def find_java():
    if os.access(os.path.join(JDK17, "java"), os.X_OK) and \
            os.access(os.path.join(JDK17, "javac"), os.X_OK):
        return os.path.join(JDK17, "java"), os.path.join(JDK17, "javac")
    return shutil.which("java"), shutil.which("javac")


def quartz_jar():
    return os.environ.get("QUARTZ_JAR", "/usr/share/java/quartz2.jar")


def unescape(s):
    if "\\" not in s:
        return s
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            out.append({"t": "\t", "n": "\n", "r": "\r"}.get(n, n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def read_corpus(path):
    cases = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            fid, tz, frm, cnt, expr = line.split("\t", 4)
            cases.append({"id": fid, "tz": tz, "from": int(frm), "count": int(cnt),
                          "expr": unescape(expr)})
    return cases


def compile_cronref(javac, classes):
    src = os.path.join(HERE, "CronRef.java")
    cls = os.path.join(classes, "CronRef.class")
    if os.path.exists(cls) and os.path.getmtime(cls) >= os.path.getmtime(src):
        return True
    os.makedirs(classes, exist_ok=True)
    p = subprocess.run([javac, "-nowarn", "-Xlint:none", "-encoding", "UTF-8",
                        "-cp", quartz_jar(), "-d", classes, src],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if p.returncode != 0:
        print("compare: javac failed:\n" + p.stdout + p.stderr, file=sys.stderr)
        return False
    return True


def run_quartz(java, classes, corpus_path, out_path):
    t0 = time.monotonic()
    # Pin zone and locale: Calendar.getInstance() picks e.g. a Buddhist or Japanese
    # calendar for some default locales.
    cmd = [java, "-Duser.timezone=UTC", "-Duser.language=en", "-Duser.country=US", "-cp", classes + os.pathsep + quartz_jar(),
           "CronRef", corpus_path, out_path]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=3600)
    except subprocess.TimeoutExpired:
        print("compare: CronRef timed out", file=sys.stderr)
        return None, time.monotonic() - t0
    if p.returncode != 0:
        print("compare: CronRef failed (exit %d):\n%s%s" % (p.returncode, p.stdout, p.stderr),
              file=sys.stderr)
        return None, time.monotonic() - t0
    res = {}
    with open(out_path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t", 2)
            if len(parts) != 3:
                print("compare: malformed CronRef line: %r" % line, file=sys.stderr)
                return None, time.monotonic() - t0
            res[parts[0]] = (parts[1], parts[2])
    return res, time.monotonic() - t0


def lts_argv(lts, case):
    argv = [lts, "cron", "next", case["expr"], "--from", str(case["from"]),
            "--count", str(case["count"])]
    # Exercise the default zone too: omit --tz for every other UTC case.
    num = int(case["id"].split(".")[0]) if case["id"].split(".")[0].isdigit() else 0
    if case["tz"] != "UTC" or num % 2 == 0:
        argv += ["--tz", case["tz"]]
    return argv


def run_lts_case(lts, case):
    argv = lts_argv(lts, case)
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=LTS_TIMEOUT)
        return {"rc": p.returncode,
                "stdout": p.stdout.decode("utf-8", "replace"),
                "stderr": p.stderr.decode("utf-8", "replace")}
    except subprocess.TimeoutExpired:
        return {"rc": "timeout", "stdout": "", "stderr": "timed out after %gs" % LTS_TIMEOUT}
    except OSError as e:
        return {"rc": "oserror", "stdout": "", "stderr": str(e)}


def iso_utc(t):
    try:
        return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return "?"


def iso_local(t, tz):
    try:
        z = zoneinfo.ZoneInfo(tz) if zoneinfo else dt.timezone.utc
        return dt.datetime.fromtimestamp(t, z).isoformat()
    except Exception:  # noqa: BLE001 - display only
        return "?"


def describe_times(payload, tz):
    """'t1 t2 END' -> list of 't (local ISO)' strings."""
    out = []
    for tok in payload.split():
        if tok.lstrip("-").isdigit():
            out.append("%s %s" % (tok, iso_local(int(tok), tz)))
        else:
            out.append(tok)
    return out


def show_expr(e, limit=200):
    r = repr(e)
    if len(r) > limit:
        r = r[:limit] + "... (%d chars)" % len(e)
    return r


def compare_case(case, q, lts):
    """-> (verdict, detail). verdict: agree-ok, agree-invalid, agree-exception,
    skip, disagree."""
    qstat, qpay = q
    rc = lts["rc"]
    out = lts["stdout"]
    warnings = []
    if qstat == "TIMEOUT":
        return "skip", warnings
    if qstat == "OK":
        if rc == 0:
            got = out[:-1] if out.endswith("\n") else out
            if got == qpay:
                if lts["stderr"]:
                    warnings.append("stderr not empty on success")
                return "agree-ok", warnings
        return "disagree", warnings
    # Quartz rejects
    if rc == 2:
        lines = lts["stderr"].splitlines()
        if len(lines) != 1:
            warnings.append("exit 2 with %d stderr lines (contract: exactly one)" % len(lines))
        if out:
            warnings.append("exit 2 with non-empty stdout")
        return ("agree-invalid" if qstat == "INVALID" else "agree-exception"), warnings
    return "disagree", warnings


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    env_seed = os.environ.get("LTS_CRON_SEED")
    env_cases = os.environ.get("LTS_CRON_CASES")
    ap.add_argument("--lts", required=True, help="path to the lts binary")
    ap.add_argument("--work", required=True, help="work directory (created)")
    ap.add_argument("--seed", type=int, default=int(env_seed) if env_seed else DEFAULT_SEED)
    ap.add_argument("--count", type=int,
                    default=int(env_cases) if env_cases else gen_corpus.DEFAULT_COUNT)
    ap.add_argument("--min-agreement", type=float, default=99.5, help="percent")
    ap.add_argument("--corpus", help="use this corpus instead of generating one")
    ap.add_argument("--jobs", type=int, default=2, help="parallel lts processes")
    ap.add_argument("--min-cases", type=int, default=500)
    a = ap.parse_args(argv)

    java, javac = find_java()
    if not java or not javac or not os.path.isfile(quartz_jar()):
        print("compare: SKIP: need java, javac and %s" % quartz_jar())
        return 77
    lts = os.path.abspath(a.lts)
    if not os.access(lts, os.X_OK):
        print("compare: lts binary not executable: %s" % lts, file=sys.stderr)
        return 1
    work = os.path.abspath(a.work)
    os.makedirs(work, exist_ok=True)

    # 1. corpus
    if a.corpus:
        corpus_path = os.path.abspath(a.corpus)
        print("corpus: %s (given)" % corpus_path)
        seed = None
    else:
        corpus_path = os.path.join(work, "corpus.tsv")
        seed = a.seed
        print("seed: %d (reproduce: LTS_CRON_SEED=%d, or compare.py --seed %d --count %d)"
              % (seed, seed, seed, a.count))
        rc = gen_corpus.main(["--seed", str(seed), "--count", str(a.count),
                              "--out", corpus_path])
        if rc:
            return 1
    cases = read_corpus(corpus_path)

    # 2. Quartz
    classes = os.path.join(work, "classes")
    if not compile_cronref(javac, classes):
        return 1
    quartz, q_secs = run_quartz(java, classes, corpus_path, os.path.join(work, "quartz.tsv"))
    java_failed = quartz is None
    if not java_failed:
        missing = [c["id"] for c in cases if c["id"] not in quartz]
        bad = [i for i, (s, _) in quartz.items() if s not in
               ("OK", "INVALID", "EXCEPTION", "TIMEOUT")]
        if missing or bad:
            print("compare: Java side incomplete: %d missing, %d bad (%s)"
                  % (len(missing), len(bad), ", ".join((missing + bad)[:10])), file=sys.stderr)
            java_failed = True
    if java_failed:
        print("RESULT: FAIL (Java/Quartz reference failed)")
        return 1
    print("quartz: %d cases in %.1fs" % (len(cases), q_secs))

    # 3. lts
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        lts_res = list(ex.map(lambda c: run_lts_case(lts, c), cases))
    l_secs = time.monotonic() - t0
    print("lts: %d runs in %.1fs" % (len(cases), l_secs))
    with open(os.path.join(work, "lts.tsv"), "w", encoding="utf-8") as f:
        for c, r in zip(cases, lts_res):
            f.write("%s\t%s\t%s\t%s\n" % (c["id"], r["rc"], gen_corpus.escape(r["stdout"]),
                                          gen_corpus.escape(r["stderr"])))

    # 4. compare
    counts = {"agree-ok": 0, "agree-invalid": 0, "agree-exception": 0, "skip": 0,
              "disagree": 0}
    per_cat = {}
    disagreements, skipped, warnings = [], [], []
    for c, r in zip(cases, lts_res):
        qstat, qpay = quartz[c["id"]]
        verdict, warn = compare_case(c, (qstat, qpay), r)
        counts[verdict] += 1
        cat = c["id"].split(".", 1)[1] if "." in c["id"] else "-"
        pc = per_cat.setdefault(cat, [0, 0])
        if verdict != "skip":
            pc[1] += 1
            pc[0] += verdict.startswith("agree")
        rec = {"id": c["id"], "tz": c["tz"], "from": c["from"], "from_utc": iso_utc(c["from"]),
               "count": c["count"], "expr": c["expr"], "argv": lts_argv(lts, c)[1:],
               "quartz": {"status": qstat, "answer": qpay},
               "lts": {"exit": r["rc"], "stdout": r["stdout"], "stderr": r["stderr"]}}
        if verdict == "disagree":
            disagreements.append(rec)
        elif verdict == "skip":
            skipped.append(rec)
        for w in warn:
            warnings.append({"id": c["id"], "warning": w, "expr": c["expr"],
                             "stderr": r["stderr"][:500]})

    total = len(cases)
    considered = total - counts["skip"]
    agreed = counts["agree-ok"] + counts["agree-invalid"] + counts["agree-exception"]
    pct = 100.0 * agreed / considered if considered else 0.0

    for d in disagreements:
        print("-" * 78)
        print("DISAGREE %s  tz=%s  from=%d (%s, local %s)  count=%d"
              % (d["id"], d["tz"], d["from"], d["from_utc"], iso_local(d["from"], d["tz"]),
                 d["count"]))
        print("  expr:   %s" % show_expr(d["expr"]))
        q = d["quartz"]
        if q["status"] == "OK":
            print("  quartz: %s" % q["answer"])
            qt = describe_times(q["answer"], d["tz"])
        else:
            print("  quartz: %s: %s" % (q["status"], q["answer"]))
            qt = []
        r = d["lts"]
        err = r["stderr"].strip().splitlines()
        print("  lts:    exit=%s stdout=%r%s" % (r["exit"], r["stdout"][:300],
                                                 (" stderr=%r" % err[0][:300]) if err else ""))
        lt = describe_times(r["stdout"], d["tz"]) if r["exit"] == 0 else []
        if qt or lt:
            print("  %-44s %s" % ("quartz (local)", "lts (local)"))
            for i in range(max(len(qt), len(lt))):
                qa = qt[i] if i < len(qt) else ""
                la = lt[i] if i < len(lt) else ""
                mark = "  " if qa == la else "<>"
                print("  %-44s %s %s" % (qa, mark, la))
    for s in skipped:
        print("SKIPPED (Quartz hangs) %s tz=%s from=%d expr=%s"
              % (s["id"], s["tz"], s["from"], show_expr(s["expr"])))
    if warnings:
        print("-" * 78)
        print("contract warnings (not counted as disagreements): %d" % len(warnings))
        for w in warnings[:20]:
            print("  %s: %s  expr=%s" % (w["id"], w["warning"], show_expr(w["expr"], 80)))
        if len(warnings) > 20:
            print("  ... %d more in report.json" % (len(warnings) - 20))

    print("=" * 78)
    print("seed:          %s" % (seed if seed is not None else "n/a (corpus %s)" % corpus_path))
    print("total cases:   %d (skipped, Quartz hangs: %d)" % (total, counts["skip"]))
    print("agreements:    %d = %d same schedule + %d both reject (Quartz INVALID %d, "
          "EXCEPTION %d)" % (agreed, counts["agree-ok"],
                             counts["agree-invalid"] + counts["agree-exception"],
                             counts["agree-invalid"], counts["agree-exception"]))
    print("disagreements: %d" % counts["disagree"])
    print("agreement:     %.2f%% (required %.2f%%)" % (pct, a.min_agreement))
    print("by category:   " + ", ".join("%s %d/%d" % (k, v[0], v[1])
                                        for k, v in sorted(per_cat.items())))

    reasons = []
    if total < a.min_cases:
        reasons.append("corpus has %d cases < %d" % (total, a.min_cases))
    if pct < a.min_agreement:
        reasons.append("agreement %.2f%% < %.2f%%" % (pct, a.min_agreement))
    ok = not reasons

    report = {
        "seed": seed, "corpus": corpus_path, "lts": lts, "total": total,
        "considered": considered, "agreements": agreed, "agreement_percent": pct,
        "min_agreement_percent": a.min_agreement, "pass": ok, "fail_reasons": reasons,
        "counts": {"same_schedule": counts["agree-ok"],
                   "both_reject_invalid": counts["agree-invalid"],
                   "both_reject_exception": counts["agree-exception"],
                   "skipped_quartz_timeout": counts["skip"],
                   "disagreements": counts["disagree"]},
        "by_category": {k: {"agree": v[0], "total": v[1]} for k, v in per_cat.items()},
        "quartz_seconds": round(q_secs, 2), "lts_seconds": round(l_secs, 2),
        "disagreements": disagreements, "skipped": skipped, "warnings": warnings,
    }
    with open(os.path.join(work, "report.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("report:        %s" % os.path.join(work, "report.json"))
    print("RESULT: %s" % ("PASS" if ok else "FAIL (" + "; ".join(reasons) + ")"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
