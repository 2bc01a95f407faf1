// CronRef: batch reference oracle for cron conformance tests.
//
// Evaluates cron expressions with the real org.quartz.CronExpression
// (Quartz 2.3.2, Debian's libquartz2-java) so that the C++ implementation
// (`lts cron next`) can be compared against it.
//
// Usage:
//   java -Duser.timezone=UTC -Duser.language=en -Duser.country=US \
//        -cp <workdir>:/usr/share/java/quartz2.jar CronRef <cases.tsv> [<out.tsv>]
// (Quartz uses Calendar.getInstance(zone), whose calendar system depends on the
// default locale, hence the pinned locale.)
//
// Input: one case per line, tab separated:
//   id <TAB> tz <TAB> from_epoch_seconds <TAB> count <TAB> expression
// The expression is the last field; it may contain spaces. Because the
// corpus also exercises tabs/newlines inside expressions, the expression
// field is backslash-escaped: "\t" = TAB, "\n" = LF, "\r" = CR,
// "\\" = backslash (any other "\x" stands for "x"). Plain expressions
// without backslashes are therefore stored verbatim. Empty lines and lines
// starting with '#' are ignored.
//
// Output: one line per case (stdout, or <out.tsv> when given):
//   id <TAB> OK <TAB> t1 t2 ... [END]   (epoch seconds; END when
//                                        getTimeAfter returned null early;
//                                        just "END" if the first call did)
//   id <TAB> INVALID <TAB> message      (constructor threw ParseException)
//   id <TAB> EXCEPTION <TAB> class: msg (parse ok, getTimeAfter threw)
//   id <TAB> TIMEOUT <TAB> detail       (getTimeAfter did not return within
//                                        -Dcronref.timeoutMs, default 10000)
//   id <TAB> BADCASE <TAB> detail       (the input line itself is malformed)
// Messages have tabs/newlines replaced by spaces.

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TimeZone;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.quartz.CronExpression;

public final class CronRef {

    /** The thread of the current worker executor (so that a hung one can be stopped). */
    private static volatile Thread workerThread;

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cronref-worker");
            t.setDaemon(true); // an abandoned (hung) worker must not block exit
            workerThread = t;
            return t;
        });
    }

    /**
     * Quartz has inputs on which getTimeAfter loops forever (e.g. day-of-month "0W").
     * Interrupting does not help (it never checks), so stop the thread where the JDK
     * still allows it (17 does); otherwise it is just abandoned as a daemon.
     */
    @SuppressWarnings({"deprecation", "removal"})
    private static void killWorker(Thread t) {
        if (t == null) {
            return;
        }
        try {
            t.stop();
        } catch (Throwable ignored) {
            // UnsupportedOperationException on JDK 20+: leave the daemon thread behind.
        }
    }

    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                switch (n) {
                    case 't': b.append('\t'); break;
                    case 'n': b.append('\n'); break;
                    case 'r': b.append('\r'); break;
                    default: b.append(n); break;
                }
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    static String clean(String s) {
        if (s == null) {
            return "null";
        }
        return s.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    }

    /** Result of evaluating one case: status and payload. */
    static final class Outcome {
        final String status;
        final String payload;

        Outcome(String status, String payload) {
            this.status = status;
            this.payload = payload;
        }
    }

    static Outcome evaluate(final String expr, final String tz, final long from, final int count,
                            ExecutorService[] worker, long timeoutMs) {
        final CronExpression ce;
        try {
            ce = new CronExpression(expr);
        } catch (ParseException pe) {
            return new Outcome("INVALID", clean(pe.getMessage()));
        } catch (RuntimeException e) {
            // Not expected (buildExpression wraps everything), but a rejection all the same.
            return new Outcome("INVALID", clean(e.getClass().getName() + ": " + e.getMessage()));
        }
        ce.setTimeZone(TimeZone.getTimeZone(tz));

        Future<String> fut = worker[0].submit(() -> {
            StringBuilder out = new StringBuilder();
            long t = from;
            for (int i = 0; i < count; i++) {
                Date next = ce.getTimeAfter(new Date(t * 1000L));
                if (next == null) {
                    if (out.length() > 0) {
                        out.append(' ');
                    }
                    out.append("END");
                    return out.toString();
                }
                long ms = next.getTime();
                // Quartz works in whole seconds; floorDiv keeps this exact even if not.
                t = Math.floorDiv(ms, 1000L);
                if (out.length() > 0) {
                    out.append(' ');
                }
                out.append(t);
            }
            return out.toString();
        });
        try {
            return new Outcome("OK", fut.get(timeoutMs, TimeUnit.MILLISECONDS));
        } catch (ExecutionException ee) {
            Throwable c = ee.getCause() != null ? ee.getCause() : ee;
            return new Outcome("EXCEPTION", clean(c.getClass().getName() + ": " + c.getMessage()));
        } catch (TimeoutException te) {
            Thread hung = workerThread;
            fut.cancel(true);
            worker[0].shutdownNow();
            killWorker(hung);
            worker[0] = newWorker(); // the old thread may be stuck for good
            return new Outcome("TIMEOUT", "getTimeAfter did not finish within " + timeoutMs + " ms");
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return new Outcome("TIMEOUT", "interrupted");
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: CronRef <cases.tsv> [<out.tsv>]");
            System.exit(64);
        }
        long timeoutMs = Long.getLong("cronref.timeoutMs", 10000L);
        ExecutorService[] worker = {newWorker()};
        // TimeZone.getTimeZone silently falls back to GMT for unknown ids; refuse those instead.
        Set<String> knownZones = new HashSet<>(java.util.Arrays.asList(TimeZone.getAvailableIDs()));

        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                new FileInputStream(args[0]), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
            }
        }

        PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(
                args.length == 2 ? new FileOutputStream(args[1]) : System.out,
                StandardCharsets.UTF_8)));
        int n = 0;
        for (String line : lines) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t", 5);
            if (f.length != 5) {
                out.println((f.length > 0 ? f[0] : "?") + "\tBADCASE\texpected 5 tab-separated fields, got " + f.length);
                continue;
            }
            long from;
            int count;
            try {
                from = Long.parseLong(f[2].trim());
                count = Integer.parseInt(f[3].trim());
            } catch (NumberFormatException e) {
                out.println(f[0] + "\tBADCASE\tbad from/count: " + clean(e.getMessage()));
                continue;
            }
            if (!knownZones.contains(f[1])) {
                out.println(f[0] + "\tBADCASE\tunknown time zone: " + clean(f[1]));
                continue;
            }
            Outcome o = evaluate(unescape(f[4]), f[1], from, count, worker, timeoutMs);
            out.println(f[0] + "\t" + o.status + "\t" + o.payload);
            n++;
        }
        out.flush();
        if (out.checkError()) {
            System.err.println("CronRef: error writing output");
            System.exit(1);
        }
        worker[0].shutdownNow();
        System.err.println("CronRef: evaluated " + n + " cases");
        System.exit(0);
    }
}
