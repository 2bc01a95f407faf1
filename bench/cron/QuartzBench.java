// The peer side of bench_cron: Quartz 2.3.2's CronExpression.getTimeAfter on the same mix
// and the same sequence of start instants as our benchmark. Prints one line:
//   quartz_next_fire_per_sec <rate>
// Usage: java -cp quartz2.jar:<dir> QuartzBench <zone> <seconds> <expr>...

import java.util.Date;
import java.util.TimeZone;
import org.quartz.CronExpression;

public class QuartzBench {
  public static void main(String[] args) throws Exception {
    TimeZone zone = TimeZone.getTimeZone(args[0]);
    double seconds = Double.parseDouble(args[1]);
    CronExpression[] exprs = new CronExpression[args.length - 2];
    for (int i = 2; i < args.length; i++) {
      exprs[i - 2] = new CronExpression(args[i]);
      exprs[i - 2].setTimeZone(zone);
    }
    long sink = 0;
    // Warm-up so the JIT has compiled the hot path before we measure.
    long warmEnd = System.nanoTime() + 2_000_000_000L;
    long t = 1704067200L;
    int i = 0;
    while (System.nanoTime() < warmEnd) {
      Date d = exprs[i++ % exprs.length].getTimeAfter(new Date(t * 1000));
      sink += d == null ? 0 : d.getTime();
      t = t + 3607 < 1704067200L + 315569520L ? t + 3607 : 1704067200L;
    }
    long n = 0;
    t = 1704067200L;
    i = 0;
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    long now;
    do {
      for (int k = 0; k < 256; k++) {
        Date d = exprs[i++ % exprs.length].getTimeAfter(new Date(t * 1000));
        sink += d == null ? 0 : d.getTime();
        t = t + 3607 < 1704067200L + 315569520L ? t + 3607 : 1704067200L;
      }
      n += 256;
      now = System.nanoTime();
    } while (now < end);
    System.out.printf("quartz_next_fire_per_sec %.0f%n", n / ((now - start) / 1e9));
    if (sink == 42) System.out.println();
  }
}
