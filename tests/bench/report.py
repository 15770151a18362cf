#!/usr/bin/env python3
"""Turn the raw results of tests/bench/run into tables, docs/performance.md and plots.

    report.py RESULTS_DIR DOCS_DIR

RESULTS_DIR holds index.tsv (what was measured, see run), one hyperfine JSON per
timed command (ID.json), ID.fail for a command whose pilot run failed, and ID.bw,
the benchwrap log of each timed call.
"""

import glob
import json
import math
import os
import shutil
import statistics
import subprocess
import sys

TOOLS = {
    "svcctl": "svcctl",
    "svcctl1": "svcctl, ready_seconds=1 (default)",
    "svcctlq": "svcctl -q",
    "ssd": "start-stop-daemon",
    "ssdx": "start-stop-daemon, stop by --exec",
    "dz": "daemonize (+ hand-rolled stop, status)",
    "dm": "libslack daemon",
    "sup": "supervisord",
    "sup1": "supervisord, startsecs=1",
}
PLOT_TOOLS = ["svcctl", "ssd", "ssdx", "dz", "dm", "sup"]
SCENARIOS = {
    "start/tp": "start",
    "status/tp": "status",
    "stop/tp": "stop, TERM-responsive",
    "stop/tpi": "stop, TERM-ignoring (1 s grace, then KILL)",
    "restart/tp": "restart",
}
MODES = {"reaper": "prompt reaper", "init": "PID 1 (late reaper)"}
SCALE_OPS = ["start-all", "status-all", "stop-all", "stop-all, PID 1"]


def load(results):
    index = {"lat": [], "scale": [], "cor": [], "fact": {}, "rss": {}}
    with open(os.path.join(results, "index.tsv")) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            kind = cols[0]
            if kind == "fact":
                index["fact"][cols[1]] = cols[2]
            elif kind == "cor":
                index["cor"].append(cols[1:])
            elif kind == "rss":
                index["rss"][(cols[1], int(cols[2]), cols[3])] = cols[4]
            else:
                index[kind].append(cols[1:])
    return index


def p90(times):
    s = sorted(times)
    return s[max(0, math.ceil(0.9 * len(s)) - 1)]


class Result:
    """One timed command: median, p90 in ms, failures, and benchwrap notes."""

    def __init__(self, results, ident):
        self.ident = ident
        self.ok = False
        self.note = ""
        fail = os.path.join(results, ident + ".fail")
        path = os.path.join(results, ident + ".json")
        if os.path.exists(fail):
            code = open(fail).read().strip()
            pilot = os.path.join(results, ident + ".pilot")
            msg = open(pilot).read().strip().splitlines() if os.path.exists(pilot) else []
            self.note = "failed: %s%s" % (code, (" (" + msg[-1][:90] + ")") if msg else "")
            if code == "exit 124":
                self.note = "failed: program still running 10 s after the tool returned"
            return
        # the runs come in rounds, one file each (ID.r1.json ...), or in ID.json
        parts = sorted(glob.glob(os.path.join(results, ident + ".r*.json")))
        if os.path.exists(path):
            parts.append(path)
        if not parts:
            self.note = "not measured"
            return
        self.times, self.codes = [], []
        for part in parts:
            r = json.load(open(part))["results"][0]
            self.times += [t * 1000 for t in r["times"]]
            self.codes += r.get("exit_codes", [])
        self.runs = len(self.times)
        self.median = statistics.median(self.times)
        self.p90 = p90(self.times)
        self.ok = True
        notes = []
        bad = [c for c in self.codes if c != 0]
        if bad:
            notes.append("%d/%d runs exited non-zero (%s)" % (len(bad), len(self.codes),
                                                            ",".join(sorted(set(map(str, bad))))))
        bw = os.path.join(results, ident + ".bw")
        if os.path.exists(bw):
            lines = [dict(kv.split("=") for kv in l.split()) for l in open(bw) if l.strip()]
            late = [float(l["waited_ms"]) for l in lines if l["reached_at_return"] == "0"]
            if late:
                notes.append("returned early in %d/%d runs (end point %.1f ms later, median)" %
                             (len(late), len(lines), statistics.median(late)))
        self.note = "; ".join(notes)


def fmt_ms(v):
    if v is None:
        return "-"
    if v >= 100:
        return "%.0f" % v
    if v >= 10:
        return "%.1f" % v
    return "%.2f" % v


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    r = a / b
    return ("%.0f×" % r) if r >= 10 else ("%.1f×" % r) if r >= 1 else ("%.2f×" % r)


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def text_table(header, rows):
    rows = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def main():
    results, docs = sys.argv[1], sys.argv[2]
    idx = load(results)
    facts = idx["fact"]
    quick = facts.get("quick") == "1"
    floor = os.path.join(results, "floor.json")
    if os.path.exists(floor):
        facts["floor"] = "%.2f ms" % (statistics.median(json.load(open(floor))["results"][0]["times"]) * 1000)

    # ---- latency
    lat = {}
    for scenario, mode, tool, ident in idx["lat"]:
        lat[(scenario, mode, tool)] = Result(results, ident)
    lat_rows = []
    order = []
    for scenario, mode, tool, _ in idx["lat"]:
        if (scenario, mode) not in order:
            order.append((scenario, mode))
    lat_sections = []
    for scenario, mode in order:
        base = lat.get((scenario, mode, "svcctl"))
        base_med = base.median if base is not None and base.ok else None
        rows = []
        for (s, m, tool), r in lat.items():
            if (s, m) != (scenario, mode):
                continue
            med = r.median if r.ok else None
            rows.append([TOOLS[tool], fmt_ms(med), fmt_ms(r.p90 if r.ok else None),
                         r.runs if r.ok else "-",
                         "" if tool == "svcctl" or med is None else ratio(med, base_med), r.note])
            lat_rows.append([SCENARIOS[scenario], MODES[mode]] + rows[-1])
        lat_sections.append((scenario, mode, rows))

    # ---- scale
    scale = {}
    for scenario, mode, tool, ident in idx["scale"]:
        op, n = scenario.split("/")
        if mode == "init":
            op += ", PID 1"
        scale[(op, int(n), tool)] = Result(results, ident)
    # supervisord is its programs' parent: who adopts orphans does not matter to it
    for (op, n, tool), r in list(scale.items()):
        if op == "stop-all" and tool == "sup":
            scale.setdefault(("stop-all, PID 1", n, "sup"), r)
    sizes = sorted({n for (_, n, _) in scale})
    scale_rows = []
    for n in sizes:
        for op in SCALE_OPS:
            a, b = scale.get((op, n, "svcctl")), scale.get((op, n, "sup"))
            am = a.median if a and a.ok else None
            bm = b.median if b and b.ok else None
            scale_rows.append([n, op, fmt_ms(am), fmt_ms(a.p90 if a and a.ok else None),
                               fmt_ms(bm), fmt_ms(b.p90 if b and b.ok else None), ratio(bm, am),
                               "; ".join(x for x in [a.note if a else "", b.note if b else ""] if x)])
    rss = idx["rss"]
    rss_rows = []
    for n in sizes:
        g = lambda tool, what: rss.get((tool, n, what), "-")
        kb = lambda v: "-" if v in ("-", "") else "%.1f MiB" % (int(v) / 1024)
        rss_rows.append([n, g("svcctl", "running"), g("sup", "running"),
                         kb(g("sup", "idle_kb")), kb(g("sup", "resident_kb")),
                         "%s process(es), 0 MiB" % g("svcctl", "resident_procs"),
                         kb(g("svcctl", "client_peak_kb")), kb(g("sup", "client_peak_kb"))])

    # ---- correctness
    cor = {}
    for tool, case, rc, detail in idx["cor"]:
        cor[(tool, case)] = (rc, detail)

    def verdict(tool, case):
        if (tool, case) not in cor:
            return "-"
        rc, detail = cor[(tool, case)]
        codes = rc.split(",")
        if not all(c.isdigit() for c in codes):
            return rc
        if case == "zombie":
            state = {"Z": "zombie", "gone": "reaped"}.get(detail, detail)
            return ("%s (exit %s, program %s)" % ("yes" if rc != "0" else "NO: says running", rc, state))
        failed = [c for c in codes if c != "0"]
        exits = "exit " + "/".join(sorted(set(codes), key=int))
        if len(failed) == len(codes):
            return "yes (%s)" % exits
        if not failed:
            return "NO (%s)" % exits
        return "only in %d/%d tries (%s)" % (len(failed), len(codes), exits)

    def left(tool):
        parts = []
        for case in ("fail", "miss"):
            if (tool, case) not in cor:
                continue
            what = [w for w in cor[(tool, case)][1].split(",") if w not in ("-", "nothing")]
            n = len(cor[(tool, case)][1].split(","))
            for w in sorted(set(what)):
                parts.append("%s: %s in %d/%d tries" % ({"fail": "exit 1", "miss": "missing"}[case], w,
                                                        what.count(w), n))
        return "; ".join(parts) or "nothing"

    cor_rows = []
    for tool in ["svcctl", "svcctl1", "ssd", "dz", "dm", "sup", "sup1"]:
        if not any(k[0] == tool for k in cor):
            continue
        cor_rows.append([TOOLS[tool], verdict(tool, "fail"), verdict(tool, "miss"), left(tool),
                         verdict(tool, "zombie") if (tool, "zombie") in cor else "(same as above)"])

    # ---- targets
    def med(scenario, mode, tool):
        r = lat.get((scenario, mode, tool))
        return r.median if r is not None and r.ok else None

    targets = []

    def target(what, svc, anchor, anchor_name, need, how):
        if svc is None or anchor is None:
            targets.append([what, fmt_ms(svc), anchor_name + " " + fmt_ms(anchor), "-", need, "not measured"])
            return
        r = anchor / svc
        ok = r >= need if how == "ratio" else svc <= anchor
        targets.append([what, fmt_ms(svc), "%s %s" % (anchor_name, fmt_ms(anchor)), ratio(anchor, svc),
                        ("≥ %g×" % need) if how == "ratio" else "≤ 1× (no slower)", "met" if ok else "MISSED"])

    target("start (ready_seconds=0)", med("start/tp", "reaper", "svcctl"), med("start/tp", "reaper", "ssd"),
           "start-stop-daemon", 1, "le")
    for mode in ("reaper", "init"):
        target("stop, TERM-responsive, %s" % MODES[mode], med("stop/tp", mode, "svcctl"),
               med("stop/tp", mode, "ssd"), "start-stop-daemon", 10, "ratio")
    target("status", med("status/tp", "reaper", "svcctl"), med("status/tp", "reaper", "ssd"),
           "start-stop-daemon --status", 1, "le")
    big = sizes[-1] if sizes else None
    if big is not None:
        a, b = scale.get(("status-all", big, "svcctl")), scale.get(("status-all", big, "sup"))
        target("status of %d services" % big, a.median if a and a.ok else None,
               b.median if b and b.ok else None, "supervisorctl status", 50, "ratio")

    # A busy machine inflates the CPU-bound figures (svcctl's, a millisecond or two)
    # far more than the sleep-bound ones (start-stop-daemon's 20 ms poll).
    busy = ""
    try:
        loads = [float(facts.get(k, "0").split()[0]) for k in ("load_before", "load_after")]
        if max(loads) > 0.5 * float(facts.get("nproc", "1")):
            busy = ("the machine was busy during this run (load average %s at the start, %s at "
                    "the end, on %s CPUs): the fast, CPU-bound figures are inflated; rerun on an idle "
                    "machine before trusting the verdicts" % (loads[0], loads[1], facts.get("nproc")))
    except ValueError:
        pass
    facts["busy"] = busy

    # ---- stdout
    print()
    if busy:
        print("WARNING: " + busy)
    print("svcctl benchmark%s — %s, %s CPUs, kernel %s" % (" (QUICK)" if quick else "", facts.get("date"),
                                                           facts.get("nproc"), facts.get("kernel")))
    print()
    print("Targets (medians, ms)")
    print(text_table(["target", "svcctl", "anchor", "anchor/svcctl", "needed", "verdict"], targets))
    print()
    print("Latency, ms (×svcctl = this tool's median / svcctl's)")
    print(text_table(["scenario", "reaper", "tool", "median", "p90", "runs", "×svcctl", "note"], lat_rows))
    print()
    print("Correctness: does start fail (non-zero exit)?  does status see a killed, unreaped program as dead?")
    print(text_table(["tool", "program exits 1", "program missing", "left behind", "status of zombie"], cor_rows))
    print()
    print("Scale, ms (×svcctl = supervisord's median / svcctl's)")
    print(text_table(["N", "operation", "svcctl med", "p90", "supervisord med", "p90", "×svcctl", "note"],
                     scale_rows))
    print()
    print("Memory")
    print(text_table(["N", "svcctl running", "supervisord running", "supervisord RSS idle",
                      "supervisord RSS, N running", "svcctl resident", "svcctl status peak RSS",
                      "supervisorctl status peak RSS"], rss_rows))

    # ---- plots
    plots = make_plots(results, docs, lat, order, scale, sizes, rss)

    # ---- markdown
    write_markdown(docs, facts, quick, targets, lat_sections, cor_rows, scale_rows, rss_rows, plots)


def make_plots(results, docs, lat, order, scale, sizes, rss):
    gnuplot = shutil.which("gnuplot")
    if gnuplot is None:
        return []
    terms = subprocess.run([gnuplot, "-e", "set terminal"], capture_output=True, text=True)
    term = "pngcairo size 1200,680 font 'sans,10'" if "pngcairo" in terms.stdout + terms.stderr \
        else "png size 1200,680"
    made = []

    lat_dat = os.path.join(results, "latency.dat")
    with open(lat_dat, "w") as f:
        f.write("scenario " + " ".join('"%s"' % TOOLS[t] for t in PLOT_TOOLS) + "\n")
        for scenario, mode in order:
            label = "%s\\n(%s)" % (SCENARIOS[scenario].split(" (")[0].replace("TERM-", "TERM-\\n"),
                                   "reaper" if mode == "reaper" else "PID 1")
            vals = []
            for t in PLOT_TOOLS:
                r = lat.get((scenario, mode, t))
                vals.append("%.4f" % r.median if r is not None and r.ok else "NaN")
            f.write('"%s" %s\n' % (label, " ".join(vals)))
    out = os.path.join(docs, "bench-latency.png")
    script = """
set terminal %s
set output '%s'
set title 'Latency per scenario (median, ms, log scale; missing bar = failed or not applicable)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set yrange [0.3:*]
set ylabel 'ms'
set grid ytics
set key below horizontal maxrows 2
set bmargin 7
set xtics font ',9' offset 0,-0.5
plot for [i=2:%d] '%s' using i:xtic(1) title columnheader(i)
""" % (term, out, len(PLOT_TOOLS) + 1, lat_dat)
    if subprocess.run([gnuplot], input=script, text=True).returncode == 0:
        made.append("bench-latency.png")

    if sizes:
        sc_dat = os.path.join(results, "scale.dat")
        with open(sc_dat, "w") as f:
            f.write("N " + " ".join("%s_%s" % (t, op.replace(", PID 1", "_init")) for t in ("svcctl", "sup")
                                    for op in SCALE_OPS) +
                    " sup_rss_idle sup_rss_running svcctl_resident svcctl_client sup_client\n")
            for n in sizes:
                vals = []
                for t in ("svcctl", "sup"):
                    for op in SCALE_OPS:
                        r = scale.get((op, n, t))
                        vals.append("%.4f" % r.median if r is not None and r.ok else "NaN")
                for key in (("sup", "idle_kb"), ("sup", "resident_kb"), ("svcctl", "resident_kb"),
                            ("svcctl", "client_peak_kb"), ("sup", "client_peak_kb")):
                    v = rss.get((key[0], n, key[1]))
                    vals.append("%.3f" % (int(v) / 1024) if v not in (None, "", "-") else "NaN")
                f.write("%d %s\n" % (n, " ".join(vals)))
        out = os.path.join(docs, "bench-scale.png")
        script = """
set terminal %s
set output '%s'
set multiplot layout 1,2 title 'Cost vs number of services N (svcctl: solid, supervisord: dashed)'
set logscale xy
set xrange [7:1500]
set yrange [1:100000]
set xlabel 'N services'
set ylabel 'median, ms'
set grid
set key top left box opaque
set xtics (10, 100, 1000)
set title 'time'
plot '%s' u 1:2 w lp lw 2 pt 7 lc 1 t 'svcctl start --all', \\
     '' u 1:3 w lp lw 2 pt 5 lc 2 t 'svcctl status', \\
     '' u 1:4 w lp lw 2 pt 9 lc 3 t 'svcctl stop --all', \\
     '' u 1:5 w lp lw 2 pt 11 lc 4 t 'svcctl stop --all, under PID 1', \\
     '' u 1:6 w lp lw 2 pt 6 dt 2 lc 1 t 'supervisorctl start all', \\
     '' u 1:7 w lp lw 2 pt 4 dt 2 lc 2 t 'supervisorctl status', \\
     '' u 1:8 w lp lw 2 pt 8 dt 2 lc 3 t 'supervisorctl stop all'
unset logscale y
set ylabel 'RSS, MiB'
set yrange [0:*]
set key center right
set title 'memory'
plot '%s' u 1:11 w lp lw 2 pt 6 dt 2 lc 4 t 'supervisord resident, N running', \\
     '' u 1:10 w lp lw 2 pt 4 dt 2 lc 7 t 'supervisord resident, idle', \\
     '' u 1:12 w lp lw 2 pt 7 lc 4 t 'svcctl resident (nothing)', \\
     '' u 1:13 w lp lw 2 pt 5 lc 2 t 'svcctl status, peak', \\
     '' u 1:14 w lp lw 2 pt 4 dt 2 lc 2 t 'supervisorctl status, peak'
unset multiplot
""" % (term, out, sc_dat, sc_dat)
        if subprocess.run([gnuplot], input=script, text=True).returncode == 0:
            made.append("bench-scale.png")
    return made


def write_markdown(docs, facts, quick, targets, lat_sections, cor_rows, scale_rows, rss_rows, plots):
    reap = facts.get("orphan_reap_ms", "")
    adopter = facts.get("orphan_adopter", "?")
    md = []
    w = md.append
    w("# svcctl performance")
    w("")
    w("Generated by `make bench` (`tests/bench/run`) on %s%s. Do not edit by hand: rerun it." %
      (facts.get("date"), " — **quick run (`BENCH_QUICK=1`), few runs: indicative only**" if quick else ""))
    w("")
    if facts.get("busy"):
        w("**Warning: %s.**" % facts["busy"])
        w("")
    w("## Machine")
    w("")
    w(md_table(["fact", "value"], [
        ["CPUs (`nproc`)", facts.get("nproc")],
        ["kernel (`uname -r`)", facts.get("kernel")],
        ["CPU", facts.get("cpu")],
        ["memory", facts.get("memory")],
        ["OS", facts.get("os")],
        ["PID 1", "`%s`" % facts.get("pid1")],
        ["orphans adopted by", "PID %s" % adopter],
        ["time an orphan stays a zombie after it dies (5 samples, ms)", reap],
        ["load average before / after the run", "%s / %s" % (facts.get("load_before"), facts.get("load_after"))],
        ["fork + exec + wait of `true` (the floor of every figure)", facts.get("floor", "-")],
        ["svcctl", facts.get("svcctl_version")],
        ["start-stop-daemon (dpkg)", facts.get("version_dpkg")],
        ["daemonize", facts.get("version_daemonize")],
        ["libslack daemon", facts.get("version_daemon")],
        ["supervisor", facts.get("version_supervisor")],
        ["hyperfine", facts.get("version_hyperfine")],
    ]))
    w("")
    w("## Targets")
    w("")
    w("Medians in ms from the same run; anchor/svcctl is how many times faster svcctl is.")
    w("")
    w(md_table(["target", "svcctl", "anchor", "anchor/svcctl", "needed", "verdict"], targets))
    w("")
    w("## Method")
    w("")
    w("""* Each figure is the wall time of the tool's command line, from just before it is forked
  to the end point below, with an untimed set-up before each run (a stop before each timed
  start, a start before each timed stop). *status* and the scale rows are timed by
  [hyperfine](https://github.com/sharkdp/hyperfine) with `--shell=none` and `--prepare`;
  start, stop and restart by the same kind of loop in `tests/bench/benchwrap.c`, which
  also checks the end point (so its own exec is not in the figure). No shell start-up is
  in any figure except where the tool needs one (hand-rolled scripts). The number of runs
  comes from a pilot run and a time budget per row (%s); the `runs` column says how many
  were made. The rows of one table are measured together in rounds, each round giving
  every tool a share of its runs in turn, so that a passing load on this small machine
  falls on all the tools compared rather than on one. Figures are the median and the
  90th percentile (nearest rank).
* The test program is `tests/bench/termprog.c`: it waits in `pause()` and exits at once on
  SIGTERM; `termprog ignore` ignores SIGTERM; `termprog fail` exits 1 at once. (A shell
  loop is unfit: `sh` runs its TERM trap only after the foreground `sleep` ends.)
* **Same end point for every tool** (`tests/bench/benchwrap.c`): *start* ends when the
  tool has returned and its pidfile (for libslack daemon and supervisord: the supervisor's
  child) names a live, non-zombie process whose `/proc/PID/exe` is the program; *stop*
  ends when the tool has returned and the program has exited (a zombie counts as exited);
  *restart* needs both. A tool that returns before that point is charged the time until
  it is reached, and the note column says how often that happened. *status* is the bare
  command.
* **Two reapers.** Every classic tool double-forks, so a daemon's parent is whoever adopts
  orphans. "prompt reaper" runs the benchmark under `tests/bench/reaper.c`, a
  `PR_SET_CHILD_SUBREAPER` process that reaps at once, as a conventional init does.
  "PID 1" runs it under this machine's PID 1, which reaps orphans late (see Machine), so a
  stopped daemon stays a zombie for a while. A tool that polls `kill -0` sees a zombie
  as alive and waits until PID 1 gets round to it.
* Commands, as an init script would write them (`$R` is the run directory):
  * svcctl: `svcctl -c CONF NAME start|stop|status|restart`, with `ready_seconds = 0` and
    `stop_timeout = 1` unless the row says otherwise.
  * start-stop-daemon: `--start --background --make-pidfile --pidfile $R/x.pid --exec PROG`;
    `--stop --pidfile $R/x.pid --name termprog --retry TERM/1/KILL/5 --remove-pidfile`
    (the match of Debian's `/etc/init.d/skeleton`); the "stop by --exec" row matches with
    `--exec PROG` instead; `--status --pidfile $R/x.pid`; restart = stop then start
    (a two-line script).
  * daemonize: `daemonize -p $R/x.pid -l $R/x.lock PROG`. daemonize has no stop or status:
    stop is what users hand-roll — `kill -TERM`, poll `kill -0` every 0.1 s, `kill -KILL`
    after 1 s; status is `kill -0 $(cat pidfile)`; restart = that stop, then start.
  * libslack daemon: `daemon --name=x --pidfiles=$R --unsafe -- PROG` (`--unsafe`: daemon
    refuses, as root, to run a program under the world-writable /tmp); `--stop`,
    `--running`; `--restart` works only on a daemon started with `--respawn`, so the restart
    row uses one.
  * supervisord: its own instance in the temporary directory on a unix socket, programs
    with `autostart=false`, `startsecs=0`, `startretries=0`, `stopwaitsecs=1`;
    `supervisorctl start|stop|status|restart NAME`.
* Scale: N services running `sleep 1000` (`ready_seconds = 0`; supervisord `startsecs=0`),
  `svcctl start --all`, `svcctl status`, `svcctl stop --all` against `supervisorctl start all`,
  `status`, `stop all`, under the prompt reaper; `svcctl stop --all` also under PID 1
  (supervisord is its programs' parent, so who adopts orphans makes no difference to it:
  that row repeats its prompt-reaper figure). RSS is read from `/proc/PID/status` of what
  stays resident; the peak RSS of the status client comes from `wait4`.
""" % ("about 1.5 s, quick run" if quick else "about 6 s, at least 5 runs"))
    w("## Latency")
    w("")
    w("Median and p90 in ms. ×svcctl = this tool's median / svcctl's median in the same scenario.")
    w("")
    for scenario, mode, rows in lat_sections:
        w("### %s — %s" % (SCENARIOS[scenario], MODES[mode]))
        w("")
        w(md_table(["tool", "median", "p90", "runs", "×svcctl", "note"], rows))
        w("")
    if "bench-latency.png" in plots:
        w("![latency per scenario and tool](bench-latency.png)")
        w("")
    w("## Correctness")
    w("")
    w("Does `start` exit non-zero when the program exits 1 at once, or is missing? What does a")
    w("failed start leave behind? Each is tried %s times (a third as often for the rows that" % facts.get("tries", "several"))
    w("wait 1 s), since the outcome can be a race. Does `status` call a program dead when it was")
    w("killed and is still an unreaped zombie (checked under PID 1)? \"yes\" is the right answer.")
    w("")
    w(md_table(["tool", "program exits 1", "program missing", "left behind", "status of a zombie"], cor_rows))
    w("")
    w("## Scale")
    w("")
    w("Median and p90 in ms; ×svcctl = supervisord's median / svcctl's.")
    w("")
    w(md_table(["N", "operation", "svcctl median", "p90", "supervisord median", "p90", "×svcctl", "note"],
               scale_rows))
    w("")
    w(md_table(["N", "svcctl running", "supervisord running", "supervisord RSS idle",
                "supervisord RSS, N running", "svcctl resident", "`svcctl status` peak RSS",
                "`supervisorctl status` peak RSS"], rss_rows))
    w("")
    if "bench-scale.png" in plots:
        w("![cost against number of services](bench-scale.png)")
        w("")
    w("## Reading the figures")
    w("")
    w(NOTES)
    with open(os.path.join(docs, "performance.md"), "w") as f:
        f.write("\n".join(md) + "\n")


NOTES = """* start-stop-daemon `--background` returns before the child has exec'd the program: its
  pidfile can name a process that is still `start-stop-daemon` (the start row's note counts
  how often); it cannot tell that the program failed, and leaves a stale pidfile.
* start-stop-daemon's stop polls `kill(pid, 0)`, about every 20 ms and more slowly as time
  passes; matched by `--name`, a zombie still matches, so under a late-reaping PID 1 stop
  takes as long as PID 1 does. Matched by `--exec`, a zombie (no `/proc/PID/exe`) no longer
  matches, which is why that row is faster under PID 1 — by accident rather than design.
* libslack daemon's `--stop` sends SIGTERM and returns at once; it never escalates to
  SIGKILL, so a program that ignores TERM keeps running.
* supervisorctl is a Python program: about 0.2 s of every supervisorctl figure is its own
  start-up, and supervisord stays resident.
* With `ready_seconds = 0`, svcctl's start returns as soon as exec has succeeded, like
  start-stop-daemon's; whether it also catches a program that exits at once is then a race
  (the correctness table counts the tries). The default, `ready_seconds = 1`, always does.
* svcctl leaves nothing resident for a simple service: the figures are the cost of the
  command itself.
* **Why single `status` can come out slower than `start-stop-daemon --status`.** Both are a
  dynamically linked C program; the floor of either is the fork + exec of a process (see
  Machine). start-stop-daemon then reads one pidfile and calls `kill(pid, 0)`. svcctl
  parses its global config with libconfuse and the service's INI file with inih, reads the
  pidfile, the state file, `/proc/PID/stat` and the boot id (what it needs to refuse a
  recycled PID or a zombie, which start-stop-daemon reports as running: see
  Correctness), and the detailed form also reads the command line, the time zone and the
  log tail. Counted with callgrind, all of svcctl's user-space work is about 245,000
  instructions, half of them the dynamic loader's; the rest of the difference is the
  kernel's exec and page faults of a larger binary. What is left to take out would be
  libc's dynamic linking (a fully static binary measured at parity), which breaks NSS
  (`user =`) and is not worth it; so the target stays missed by a tenth of a millisecond,
  knowingly.
"""

if __name__ == "__main__":
    main()
