#!/usr/bin/python3
"""Generate a deterministic corpus of cron cases for the Quartz conformance test.

Usage: gen_corpus.py --seed N [--count M] --out FILE

Output: one case per line, tab separated:
    id <TAB> tz <TAB> from_epoch_seconds <TAB> count <TAB> expression
The expression (last field) is backslash-escaped so that the few cases that
put tabs/newlines inside an expression survive the TSV format:
"\\t" TAB, "\\n" LF, "\\r" CR, "\\\\" backslash (see CronRef.java).
Lines starting with '#' are comments (a header with seed, count, tzdata).

Ids look like "0042.dst": a running number plus a category:
    fixed    hand-written cases for every Quartz feature (valid)
    invalid  hand-written and generated expressions Quartz rejects
    quirk    inputs that Quartz 2.3.2 accepts/handles leniently or oddly
    long     very long inputs (valid and invalid)
    random   generated valid expressions (grammar-based)
    mutant   generated near-valid expressions (valid or not, Quartz decides)
    dst      expressions aimed at a DST transition of the zone, `from` shortly
             before the transition

The corpus is a pure function of the seed, --count and the system tzdata
(DST transitions are computed with zoneinfo from /usr/share/zoneinfo).
Standard library only; meant for Debian's /usr/bin/python3.
"""

import argparse
import datetime as dt
import math
import os
import random
import sys

try:
    import zoneinfo
except ImportError:  # pragma: no cover - python < 3.9
    sys.exit("gen_corpus.py: needs Python >= 3.9 (zoneinfo)")

DEFAULT_COUNT = 1000

UTC_ZONES = ["UTC", "Asia/Kolkata"]  # no DST in 2000-2035
DST_ZONES = [
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Sydney",
    "Australia/Lord_Howe",   # 30-minute DST
    "America/Sao_Paulo",     # DST at midnight, abolished in 2019
    "Pacific/Chatham",       # +12:45/+13:45, changes at 02:45/03:45
    "America/St_Johns",      # -03:30/-02:30
]
ALL_ZONES = UTC_ZONES + DST_ZONES

EPOCH_2000 = 946684800   # 2000-01-01T00:00:00Z
EPOCH_2035 = 2051222400  # 2035-01-01T00:00:00Z
EPOCH_2036 = 2082758400  # 2036-01-01T00:00:00Z (hard upper bound for `from`)

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN",
          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]  # Quartz: SUN=1 .. SAT=7


def escape(expr):
    return (expr.replace("\\", "\\\\").replace("\t", "\\t")
            .replace("\n", "\\n").replace("\r", "\\r"))


# --------------------------------------------------------------------------
# DST transitions
# --------------------------------------------------------------------------

def _offset(zone, t):
    return dt.datetime.fromtimestamp(t, zone).utcoffset().total_seconds()


def transitions(zone_name, start=EPOCH_2000, end=EPOCH_2036 - 3 * 86400):
    """List of (instant, offset_before, offset_after) in [start, end)."""
    zone = zoneinfo.ZoneInfo(zone_name)
    out = []
    step = 86400
    t = start
    prev = _offset(zone, t)
    while t < end:
        n = min(t + step, end)
        off = _offset(zone, n)
        if off != prev:
            lo, hi = t, n  # offset(lo) == prev, offset(hi) != prev
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset(zone, mid) == prev:
                    lo = mid
                else:
                    hi = mid
            out.append((hi, int(prev), int(off)))
            prev = off
        t = n
    return out


# --------------------------------------------------------------------------
# Small helpers for random expressions
# --------------------------------------------------------------------------

class Gen:
    def __init__(self, rng):
        self.r = rng

    # ---- presentation: case and whitespace --------------------------------
    def recase(self, expr):
        x = self.r.random()
        if x < 0.12:
            return expr.lower()
        if x < 0.20:
            return "".join(c.lower() if self.r.random() < 0.5 else c for c in expr)
        return expr

    def join(self, fields):
        x = self.r.random()
        if x < 0.85:
            return " ".join(fields)
        seps = [" ", "  ", "\t", " \t ", "   "]
        s = ""
        for i, f in enumerate(fields):
            if i:
                s += self.r.choice(seps)
            s += f
        if self.r.random() < 0.4:
            s = self.r.choice([" ", "\t", "  "]) + s
        if self.r.random() < 0.4:
            s = s + self.r.choice([" ", "\t", "  "])
        return s

    # ---- numeric fields ----------------------------------------------------
    def num_field(self, lo, hi, max_step, dense_ok=True):
        """A field over lo..hi: *, n, a-b, wrap a-b, a/b, */b, /b, a-b/c, lists."""
        r = self.r
        k = r.random()
        if k < 0.10 and dense_ok:
            return "*"
        if k < 0.30:
            return str(r.randint(lo, hi))
        if k < 0.42:
            a = r.randint(lo, hi - 1)
            b = r.randint(a + 1, hi)
            return "%d-%d" % (a, b)
        if k < 0.48:  # wrap-around range
            a = r.randint(lo + 1, hi)
            b = r.randint(lo, a - 1)
            return "%d-%d" % (a, b)
        if k < 0.58:
            return "%d/%d" % (r.randint(lo, hi), r.randint(1, max_step))
        if k < 0.66:
            return "*/%d" % r.randint(1, max_step)
        if k < 0.69:
            return "/%d" % r.randint(1, max_step)
        if k < 0.78:
            a = r.randint(lo, hi - 1)
            b = r.randint(a + 1, hi)
            return "%d-%d/%d" % (a, b, r.randint(1, max_step))
        # list of 2..4 simple items
        items = []
        for _ in range(r.randint(2, 4)):
            j = r.random()
            if j < 0.6:
                items.append(str(r.randint(lo, hi)))
            elif j < 0.85:
                a = r.randint(lo, hi - 1)
                items.append("%d-%d" % (a, r.randint(a + 1, hi)))
            else:
                items.append("%d/%d" % (r.randint(lo, hi), r.randint(1, max_step)))
        return ",".join(items)

    def sec_field(self):
        return self.num_field(0, 59, 59)

    def min_field(self):
        return self.num_field(0, 59, 59)

    def hour_field(self):
        return self.num_field(0, 23, 23)

    def month_field(self):
        r = self.r
        k = r.random()
        if k < 0.45:
            return "*"
        if k < 0.60:
            return self.num_field(1, 12, 12)
        if k < 0.72:
            return r.choice(MONTHS)
        if k < 0.82:
            a, b = r.sample(range(12), 2)  # either order: plain or wrap range
            return "%s-%s" % (MONTHS[a], MONTHS[b])
        if k < 0.92:
            return ",".join(MONTHS[i] for i in sorted(r.sample(range(12), r.randint(2, 4))))
        return "%d/%d" % (r.randint(1, 12), r.randint(1, 6))

    def dom_field(self):
        r = self.r
        k = r.random()
        if k < 0.30:
            return "*"
        if k < 0.60:
            return self.num_field(1, 31, 31, dense_ok=False)
        if k < 0.67:
            return "L"
        if k < 0.74:
            return "L-%d" % r.randint(0, 30)
        if k < 0.79:
            return "LW"
        if k < 0.84:
            return "L-%dW" % r.randint(1, 20)
        return "%dW" % r.randint(1, 31)

    def dow_field(self):
        r = self.r
        k = r.random()
        if k < 0.20:
            return "*"
        if k < 0.35:
            return self.num_field(1, 7, 7, dense_ok=False)
        if k < 0.45:
            return r.choice(DAYS)
        if k < 0.55:
            a, b = r.sample(range(7), 2)  # either order: plain or wrap range
            return "%s-%s" % (DAYS[a], DAYS[b])
        if k < 0.62:
            return ",".join(DAYS[i] for i in sorted(r.sample(range(7), r.randint(2, 4))))
        if k < 0.70:
            return "%dL" % r.randint(1, 7)
        if k < 0.75:
            return "%sL" % r.choice(DAYS)
        if k < 0.88:
            return "%d#%d" % (r.randint(1, 7), r.choice([1, 2, 3, 4, 5, 5]))
        return "%s#%d" % (r.choice(DAYS), r.choice([1, 2, 3, 4, 5]))

    def year_field(self):
        r = self.r
        k = r.random()
        if k < 0.25:
            return "*"
        if k < 0.45:
            return str(r.choice([r.randint(2000, 2040), 2030, 1999, 2100, 2037]))
        if k < 0.65:
            a = r.randint(2000, 2035)
            return "%d-%d" % (a, r.randint(a, a + 15))
        if k < 0.75:
            return "%d/%d" % (r.randint(2000, 2035), r.randint(1, 5))
        if k < 0.85:
            a = r.randint(2000, 2030)
            return "%d-%d/%d" % (a, r.randint(a + 1, a + 30), r.randint(1, 4))
        if k < 0.92:
            return "*/%d" % r.randint(1, 6)
        return ",".join(str(y) for y in sorted(r.sample(range(2000, 2101), r.randint(2, 4))))

    def random_valid(self):
        r = self.r
        sec = self.sec_field() if r.random() < 0.5 else r.choice(["0", "0", "30", "*/15"])
        mn = self.min_field() if r.random() < 0.7 else r.choice(["0", "*/5", "15", "0,30"])
        hr = self.hour_field()
        if r.random() < 0.5:
            dom, dow = self.dom_field(), "?"
        else:
            dom, dow = "?", self.dow_field()
        fields = [sec, mn, hr, dom, self.month_field(), dow]
        if r.random() < 0.35:
            fields.append(self.year_field())
        return self.join(fields)

    # ---- time helpers ----------------------------------------------------------
    def random_from(self):
        r = self.r
        t = r.randrange(EPOCH_2000, EPOCH_2035)
        k = r.random()
        if k < 0.15:
            t -= t % 3600  # on an hour boundary (may equal a fire time)
        elif k < 0.30:
            t -= t % 86400  # midnight UTC
        return t

    def zone_any(self, dst_share=0.35):
        """Zone for a non-DST-targeted case: DST zones with prob dst_share."""
        if self.r.random() < dst_share:
            return self.r.choice(DST_ZONES)
        return self.r.choice(UTC_ZONES) if self.r.random() < 0.75 else "UTC"

    def count(self):
        return self.r.randint(1, 12)


# --------------------------------------------------------------------------
# Hand-written cases
# --------------------------------------------------------------------------

FIXED = [
    # basics, 6 and 7 fields
    "0 0 12 * * ?", "0 15 10 ? * *", "0 15 10 * * ? *", "0 15 10 * * ? 2030",
    "0 15 10 * * ? 2025-2027", "0 15 10 * * ? 2025/2", "0 15 10 * * ? 2024-2040/5",
    "0 0 0 1 1 ? 1999", "0 0 0 1 1 ? 2100", "0 0 0 1 1 ? 1999,2030,2100",
    "0 0 12 * * ? 2030-2030", "0 0 12 ? * * 2026,2028", "0 0 0 29 2 ? 2001-2030",
    "* * * * * ?", "0-59 * * * * ?", "0 * * * * ?", "0 0 * * * ?",
    # ranges, steps, lists
    "0 * 14 * * ?", "0 0/5 14 * * ?", "0 0/5 14,18 * * ?", "0 0-5 14 * * ?",
    "*/7 * * * * ?", "/20 * * * * ?", "0 /15 * * * ?", "5/15 * * * * ?",
    "10-50/20 * * * * ?", "0 0 0-23/6 * * ?", "0 0 12 1/5 * ?", "0 0 12 */5 * ?",
    "0,15,30,45 * * * * ?", "0 0 12 1,15 * ?", "0 0 12 1-5,10-15 * ?",
    "0 0 12 ? * 2-6", "0 0 12 ? * */2", "0 0 12 ? * 1/3", "0 0 12 ? */3 *",
    "0 0 12 1 */4 ?", "0 0 */23 * * ?", "*/59 * * * * ?", "0 0 12 */31 * ?",
    "0 0 12 ? */12 *", "0 0 12 ? * */7", "0 11 11 11 11 ?", "59 59 23 31 12 ?",
    "0 59 23 L 12 ?", "0 0 0 ? * 1-7", "0 0 0 ? * 1,2,3,4,5,6,7", "0 30 9 1-7 * ?",
    # wrap-around ranges
    "0 0 22-2 * * ?", "0 50-10 * * * ?", "50-10 * * * * ?", "0 0 12 ? * FRI-MON",
    "0 0 12 ? * SAT-SUN", "0 0 12 ? * 7-2", "0 0 12 28-3 * ?", "0 0 12 1 NOV-FEB ?",
    "0 0 12 1 11-2 ?", "0 0 20-4/3 * * ?", "0 0 12 ? DEC-JAN MON",
    # names
    "0 10,44 14 ? 3 WED", "0 15 10 ? * MON-FRI", "0 0 12 ? JAN,JUL TUE",
    "0 0 12 ? jan-mar mon,wed,fri", "0 0 12 ? Jan,Jul Tue", "0 0 12 1 JAN-JUN ?",
    "0 0 12 ? * SUN", "0 0 12 ? * sat", "0 0 12 ? FEB *", "0 0 12 15 Aug ?",
    # L, L-n, W, LW, L-nW
    "0 15 10 L * ?", "0 15 10 L-2 * ?", "0 0 12 L-30 * ?", "0 0 12 L-0 * ?",
    "0 0 12 L-27 2 ?", "0 0 12 15W * ?", "0 0 12 1W * ?", "0 0 12 31W * ?",
    "0 0 12 30W * ?", "0 0 12 LW * ?", "0 0 12 L-3W * ?", "0 0 12 L-10W * ?",
    "0 0 12 lw * ?", "0 0 12 l * ?", "0 0 12 15w * ?", "0 0 0 1W 2 ?", "0 0 0 LW 2 ?",
    "0 0 0 L 2 ?", "0 0 0 L-1 3 ?", "0 0 0 2W * ?", "0 0 0 16W * ?",
    # nth and last weekday of month
    "0 15 10 ? * 6L", "0 15 10 ? * 6L 2025-2027", "0 15 10 ? * 6#3", "0 0 12 ? * 5#5",
    "0 0 12 ? * MON#2", "0 0 12 ? * SUN#1", "0 0 12 ? * FRIL", "0 0 12 ? * 1L",
    "0 0 12 ? * L", "0 0 12 ? * 7L", "0 0 12 ? * sun#2", "0 0 12 ? * SAT#5",
    "0 0 12 ? * 1#5", "0 0 12 ? 2 1#5", "0 0 12 ? * 2#1", "0 0 12 ? * 4#4",
    "0 0 12 ? MAR 1#2", "0 0 12 ? 11 1#1", "0 0 12 ? * thuL",
    # dense / sparse
    "0 0 12 29 2 ?", "0 0 12 31 * ?", "0 0 12 30 * ?", "0 0 12 ? 2 6#5",
    # whitespace
    "  0   0\t12  *  * ?  ", "0\t0\t12\t*\t*\t?", " 0 0 12 ? * MON-FRI", "0 0 12 * * ?\t",
]

INVALID = [
    "", "   ", "\t", "0", "0 0 12", "0 0 12 * *", "0 0 12 * * ", "* * * * *",
    "60 * * * * ?", "0 60 * * * ?", "0 0 24 * * ?", "0 0 12 0 * ?", "0 0 12 32 * ?",
    "0 0 12 ? 13 *", "0 0 12 ? 0 *", "0 0 12 ? * 0", "0 0 12 ? * 8", "0 0 12 ? * 0L",
    "0 0 12 ? * 8L", "1-60 * * * * ?", "0 0 20-24 * * ?",
    "0 0 12 25-32 * ?", "0 0 12 ? 6-13 *", "0 0 12 ? * 1-8",
    # day-of-month vs day-of-week
    "0 0 12 * * *", "0 0 12 ? * ?", "0 0 12 1 * MON", "0 0 12 L * 6L", "0 0 12 15W * 1#2",
    # '?' in the wrong field
    "? 0 12 * * ?", "0 ? 12 * * ?", "0 0 ? * * ?", "0 0 12 * ? ?", "0 0 12 * * ? ?",
    # names
    "0 0 12 ? FOO *", "0 0 12 ? * FOO", "0 0 12 ? * MON-FOO", "0 0 12 ? JAN-FOO *",
    "0 0 12 ? * MO", "0 0 12 JAN * ?", "0 0 MON * * ?", "JAN 0 12 * * ?",
    "0 0 12 ? * MON-5", "0 0 12 ? * 2-FRI", "0 0 12 ? MAR-5 *",
    # L / W / # misuse
    "0 0 12 L,15 * ?", "0 0 12 1,LW * ?", "0 0 12 ? * 1L,2", "0 0 12 ? * L,1",
    "0 0 12 ? * 1#2,3#4", "0 0 12 ? * MON#2,FRI#1", "0 0 12 ? * 1#6", "0 0 12 ? * 1#0",
    "0 0 12 ? * MON#6", "0 0 12 ? * 1#", "0 0 12 ? * 1#x", "0 0 12 ? * #2",
    "0 0 12 ? * 1#2-3", "0 0 12 15L * ?", "0 0 12 ? * 3W", "0 0 12 5#2 * ?",
    "0 0 12W * * ?", "0 0 12 L-31 * ?", "0 0 12 L- * ?", "0 0 12 32W * ?",
    "0 0 12 W * ?", "0 0 12 LW-3 * ?", "5L * * * * ?",
    # dangling / and -
    "0/ * * * * ?", "/ * * * * ?", "*/ * * * * ?", "0- * * * * ?", "0 0 12- * * ?",
    "0 0 12 * * ? 2025-", "0 0 12 */ * ?", "0 0 12 ? * 1/", "0 0 1-/2 * * ?",
    "5/2X * * * * ?", "*/5X * * * * ?",
    # steps too large
    "*/61 * * * * ?", "*/60 * * * * ?", "0 */61 * * * ?", "0 0 */24 * * ?",
    "0 0 */25 * * ?", "0 0 12 */32 * ?", "0 0 12 ? */13 *", "0 0 12 ? * */8",
    "5/60 * * * * ?", "0 0 12 1/32 * ?",
    # garbage
    "@ * * * * ?", "0 0 12 * * ? #", "-5 * * * * ?", "0 0 12 * * ? 2030-2020",
    "0 0 99999999999 * * ?", "x y z a b c", "0 0 12 , * ?", "0 0 12 ?XY * *",
    "0 0 12 ? * MON-", "0 0 12 ? JAN- *", "0 0 12 ? * 5L,", "0 0 12 a * ?",
    "0 0 12 ? * %", "0 0 12 * * ? 20-",
]

QUIRKS = [
    # trailing garbage after a number / name / '*' / '?' is ignored by Quartz
    "5X * * * * ?", "0 0 12X * * ?", "0 0 1$ * * ?", "*X * * * * ?", "** * * * * ?",
    "5-10X * * * * ?", "0 0 12 ?X * *", "0 0 12 * * ?X", "0 0 12 ? * MONDAY",
    "0 0 12 ? JANUARY *", "0 0 12 ? * MON-FRI/2", "0 0 12 ? JAN-DEC/2 *",
    "0 0 12 * * ? 20x5",
    # more than 7 fields: the rest is ignored
    "0 0 12 * * ? 2025 extra garbage", "0 0 12 * * ? * * * *", "0 0 12 ? * MON * foo",
    # odd but accepted
    "0 0 12 ?,5 * *", "0 0 12 ? * 2,6#2", "0 0 12 ? * 1#2,3", "1-5/0 * * * * ?",
    "*/0 * * * * ?", "0-10/30 * * * * ?", "0 0 12 1-5/99 * ?", "0 0 12 15W,20 * ?",
    "0 0 12 ? * 6L-2", "0 0 12 ? * L-2", "0 0 12 ? * LW", "0 0 12 * * ? 99999",
    "0 0 12 * * ? 3000", "0 0 12 30W 2 ?", "*,5 * * * * ?", "0 0 12 ? * SUN-SAT/2",
    "0 0 12 * * ? ,", "0 0 12 ? * ,", ", 0 12 * * ?", "0 , 12 * * ?", "0 0 , * * ?",
    "0 0 12 ? ,, *", "0 0 L * * ?", "0,,30 * * * * ?", "0 0 12 * * ?\n",
    "0 0 12 * * ? 2025\n", "0 0 12 ? * 5,5#3", "0 0 1.5 * * ?", "0 0 12 ? * 9#2",
    "0 0 12 * * ?, *", "0 0 12 ? * 0#2", "0 0 12 ? * SAT-SUN#2",
]


def long_inputs():
    """Very long expressions (valid and invalid)."""
    secs = ",".join(str(i % 60) for i in range(1500))  # ~4000 chars, valid
    mins = ",".join(str((i * 7) % 60) for i in range(800))
    return [
        secs + " 0 12 * * ?",
        "0 " + mins + " * * * ?",
        "0 0 12 * * ? " + ",".join(str(2000 + i % 100) for i in range(1000)),
        "0 0 12 * * ? " + "x" * 5000,          # 8th+ fields: ignored by Quartz
        "0 0 12 " + "1" * 3000 + " * ?",      # number overflow
        "0 0 12 * * " + "?" * 4000,
        "0" + " " * 3000 + "0 12 * * ?",
        " ".join(["0"] * 2000),                # many fields: both day fields numeric
        "0 0 12 ? * " + "MON" * 1500,
    ]


# --------------------------------------------------------------------------
# Mutations (near-valid inputs)
# --------------------------------------------------------------------------

def mutate(g, expr):
    r = g.r
    fields = expr.split()
    k = r.random()
    i = r.randrange(len(fields))
    junk = ["60", "24", "32", "13", "0", "8", "-1", "?", "L", "W", "#", "/", "-", "X",
            "5#", "L-", "1-", "*/", "//", "JAN", "MON", "FOO", "1,,2", ",", "*/99",
            "3W", "2L", "5#6", "99", "LW", "1-2-3", "1/2/3", "7-1", "SUN#5"]
    if k < 0.15:  # drop a field
        del fields[i]
    elif k < 0.25:  # extra fields
        fields += [r.choice(["*", "2030", "?", "FOO", "0"]) for _ in range(r.randint(1, 3))]
    elif k < 0.75:  # replace a field by junk
        fields[i] = r.choice(junk)
    elif k < 0.90:  # append junk to a field
        fields[i] = fields[i] + r.choice(["X", "-", "/", "#2", "L", "W", ",", "?", "5", "-3/2"])
    else:  # swap two fields
        j = r.randrange(len(fields))
        fields[i], fields[j] = fields[j], fields[i]
    out = " ".join(fields)
    # Quartz loops forever on day-of-month "0W" (getTimeAfter never returns): avoid it.
    if any(f.upper().startswith("0W") or ",0W" in f.upper() for f in out.split()):
        out = out.replace("0W", "1W").replace("0w", "1w")
    return out


# --------------------------------------------------------------------------
# DST-targeted cases
# --------------------------------------------------------------------------

def dst_case(g, zone_name, trans):
    """One case around a DST transition of zone_name."""
    r = g.r
    zone = zoneinfo.ZoneInfo(zone_name)
    t, off_before, off_after = r.choice(trans)
    # local wall clock just before and at the transition
    before = dt.datetime.fromtimestamp(t - 1, zone)
    after = dt.datetime.fromtimestamp(t, zone)
    hours = sorted({before.hour, after.hour, (before.hour + 1) % 24, (after.hour + 23) % 24})
    lo, hi = hours[0], hours[-1]

    # seconds / minutes: sparse-ish so the transition is reached with count <= 12
    sec = r.choice(["0", "0", "0", "*/20", "0,30", "15", "*/30", "30"])
    mn = r.choice(["*/15", "*/30", "0", "30", "0/30", "45", "0,15,30,45", "15-45/15",
                   "*/10", "59", "0/15", "*/5", "0,30"])
    hk = r.random()
    if hk < 0.30:
        hr = str(r.choice(hours))
    elif hk < 0.55 and hi > lo and hi - lo < 12:
        hr = "%d-%d" % (lo, hi)
    elif hk < 0.65:
        hr = ",".join(str(h) for h in hours)
    elif hk < 0.75:
        hr = "*"
    elif hk < 0.85:
        hr = "%d/1" % lo if hi - lo < 12 else "*"
    else:
        hr = "%d-%d" % (hours[-1], hours[0]) if hi - lo >= 12 else str(after.hour)
    # dense variants: every second/minute right at the transition
    dense = False
    if r.random() < 0.08:
        sec, mn, hr, dense = "*", "*", "*", True
    elif r.random() < 0.08:
        sec, mn, dense = "0", "*", True

    # day fields aimed at the transition's local date (either side of it)
    day = r.choice([before, after])
    dk = r.random()
    month = "*"
    if dk < 0.55:
        dom, dow = r.choice([("*", "?"), ("?", "*")])
    elif dk < 0.65:
        dom, dow = str(day.day), "?"
        month = r.choice(["*", str(day.month), MONTHS[day.month - 1]])
    elif dk < 0.75:
        qdow = (day.isoweekday() % 7) + 1  # Quartz numbering SUN=1
        nth = (day.day - 1) // 7 + 1
        dom, dow = "?", r.choice(["%d#%d" % (qdow, nth), "%s#%d" % (DAYS[qdow - 1], nth)])
        month = r.choice(["*", str(day.month)])
    elif dk < 0.82:
        qdow = (day.isoweekday() % 7) + 1
        dom, dow = "?", r.choice(["%dL" % qdow, "%sL" % DAYS[qdow - 1]])
    elif dk < 0.88:
        qdow = (day.isoweekday() % 7) + 1
        dom, dow = "?", r.choice([DAYS[qdow - 1], str(qdow), "%d-%d" % (qdow, qdow % 7 + 1)])
    elif dk < 0.93:
        dom, dow = r.choice(["L", "LW", "%dW" % day.day, "L-%d" % r.randint(0, 3)]), "?"
    else:
        dom, dow = "?", r.choice(["MON-FRI", "SAT,SUN", "1-7"])
    fields = [sec, mn, hr, dom, month, dow]
    if r.random() < 0.15:
        fields.append(r.choice(["*", str(day.year), "%d-%d" % (day.year, day.year + 1)]))
    expr = g.recase(g.join(fields)) if r.random() < 0.3 else " ".join(fields)

    count = r.randint(3, 12) if r.random() < 0.8 else r.randint(1, 12)
    # fire density near the transition (per hour), to place `from` so that the
    # `count` results reach the transition often
    nsec = {"0": 1, "15": 1, "30": 1, "*/20": 3, "0,30": 2, "*/30": 2, "*": 60}[sec]
    nmin = {"*/15": 4, "*/30": 2, "0": 1, "30": 1, "0/30": 2, "45": 1, "0,15,30,45": 4,
            "15-45/15": 3, "*/10": 6, "59": 1, "0/15": 4, "*/5": 12, "0,30": 2, "*": 60}[mn]
    per_hour = nsec * nmin
    fk = r.random()
    if dense:
        frm = t - r.randint(1, 12 * 60 if sec == "0" else 12)
    elif fk < 0.35:
        frm = t - r.randint(1, 2 * 86400)  # anywhere within 2 days before
    elif fk < 0.85:
        span = int(3600 * (count / per_hour + 1))
        if hr not in ("*",) and per_hour * len(hours) < count:
            span = max(span, 86400 * min(2, count // max(1, per_hour * len(hours))))
        frm = t - r.randint(1, max(2, min(span, 2 * 86400)))
    else:
        # just before, or inside the repeated/skipped wall-clock interval
        diff = abs(off_after - off_before)
        frm = t + r.randint(-diff - 600, diff + 600)
    frm = min(frm, EPOCH_2036 - 86400)
    return zone_name, frm, count, expr


# --------------------------------------------------------------------------

def generate(seed, total):
    rng = random.Random(seed)
    g = Gen(rng)
    cases = []  # (category, tz, from, count, expr)

    trans = {z: transitions(z) for z in DST_ZONES}

    n_dst = int(math.ceil(total * 0.36))
    fixed = ([("fixed", e) for e in FIXED] + [("invalid", e) for e in INVALID]
             + [("quirk", e) for e in QUIRKS] + [("long", e) for e in long_inputs()])
    room = max(0, total - n_dst)
    if len(fixed) > room:  # small corpora: a deterministic subset
        fixed = rng.sample(fixed, room)
    for cat, e in fixed:
        # a few presentation variants of the plain valid cases
        if cat == "fixed" and "\t" not in e and rng.random() < 0.25:
            e = g.recase(g.join(e.split()))
        cases.append((cat, g.zone_any(), g.random_from(), g.count(), e))

    n_rest = total - n_dst - len(cases)
    for i in range(max(0, n_rest)):
        if rng.random() < 0.78:
            e = g.recase(g.random_valid())
            cases.append(("random", g.zone_any(), g.random_from(), g.count(), e))
        else:
            e = g.recase(mutate(g, g.random_valid()))
            cases.append(("mutant", g.zone_any(), g.random_from(), g.count(), e))

    zones_with_trans = [z for z in DST_ZONES if trans[z]]
    for i in range(n_dst):
        z = zones_with_trans[i % len(zones_with_trans)] if i < len(zones_with_trans) * 4 \
            else rng.choice(zones_with_trans)
        tz, frm, cnt, e = dst_case(g, z, trans[z])
        cases.append(("dst", tz, frm, cnt, e))

    rng.shuffle(cases)
    return cases, trans


def tzdata_version():
    for p in ("/usr/share/zoneinfo/tzdata.zi",):
        try:
            with open(p, encoding="utf-8") as f:
                line = f.readline().strip()
            if line.startswith("# version"):
                return line.split()[-1]
        except OSError:
            pass
    return "unknown"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--count", type=int, default=DEFAULT_COUNT,
                    help="number of cases (default %d)" % DEFAULT_COUNT)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    if a.count < 1:
        ap.error("--count must be >= 1")

    cases, _ = generate(a.seed, a.count)
    tmp = a.out + ".tmp%d" % os.getpid()
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write("# gen_corpus.py seed=%d count=%d tzdata=%s\n"
                % (a.seed, len(cases), tzdata_version()))
        f.write("# id\ttz\tfrom\tcount\texpression (backslash-escaped)\n")
        for n, (cat, tz, frm, cnt, e) in enumerate(cases, 1):
            assert EPOCH_2000 - 86400 <= frm < EPOCH_2036, (frm, e)
            f.write("%04d.%s\t%s\t%d\t%d\t%s\n" % (n, cat, tz, frm, cnt, escape(e)))
    os.replace(tmp, a.out)

    cats = {}
    dst_zone = 0
    for cat, tz, _, _, _ in cases:
        cats[cat] = cats.get(cat, 0) + 1
        dst_zone += tz in DST_ZONES
    print("gen_corpus: seed=%d cases=%d (%s); %d%% in DST zones; tzdata %s -> %s"
          % (a.seed, len(cases), ", ".join("%s %d" % kv for kv in sorted(cats.items())),
             round(100 * dst_zone / max(1, len(cases))), tzdata_version(), a.out),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
