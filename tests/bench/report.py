#!/usr/bin/env python3
"""Turn the raw results of tests/bench/run into tables, docs/performance.md and plots.

    report.py RESULTS_DIR DOCS_DIR

RESULTS_DIR holds index.tsv (what was measured, see run), one hyperfine-format
JSON per timed command (ID.rROUND.json), ID.fail for a command whose pilot run
failed, ID.bw, the benchwrap log of each timed call, and for the scale the
probe lines ("sc" rows of index.tsv) and sc.N.TOOL.status.REP.json.

The section of docs/performance.md between "<!-- run: begin -->" and
"<!-- run: end -->" is rewritten; everything else in the file is kept.
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
    "floor": "floor: fork + exec + wait of /bin/true",
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
SCALE_OPS = ["start-all", "status", "stop-all", "stop-all, PID 1"]
SCALE_TOOLS = ["svcctl", "runit", "sup"]
SCALE_NAMES = {"svcctl": "svcctl", "runit": "runit", "sup": "supervisord"}
SCALE_HOW = {
    "svcctl": {"start-all": "svcctl start --all", "status": "svcctl status",
               "stop-all": "svcctl stop --all", "stop-all, PID 1": "svcctl stop --all under PID 1"},
    "runit": {"start-all": "sv -w 60 start (N names)", "status": "sv status (N names)",
              "stop-all": "sv -w 60 stop (N names)", "stop-all, PID 1": "sv -w 60 stop (N names)"},
    "sup": {"start-all": "supervisorctl start all", "status": "supervisorctl status",
            "stop-all": "supervisorctl stop all", "stop-all, PID 1": "supervisorctl stop all"},
}


def load(results):
    index = {"lat": [], "cor": [], "fact": {}, "mem": {}, "sc": []}
    with open(os.path.join(results, "index.tsv")) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            kind = cols[0]
            if kind == "fact":
                index["fact"][cols[1]] = cols[2]
            elif kind == "cor":
                index["cor"].append(cols[1:])
            elif kind == "mem":
                index["mem"][(int(cols[1]), cols[2], cols[3])] = cols[4]
            elif kind in index:
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
    return ("%.0f×" % r) if r >= 10 else ("%.2f×" % r)


class ScaleResult:
    """The runs of one tool's operation on N services (seconds from probe, or hyperfine)."""

    def __init__(self):
        self.times, self.notes, self.fails = [], [], []
        self.ok = False
        self.median = None

    def done(self):
        if self.times:
            self.ok = True
            self.median = statistics.median(self.times)
            self.p90 = p90(self.times)
            self.runs = len(self.times)
        self.note = "; ".join(sorted(set(self.notes)) + (["%d failed: %s" % (len(self.fails), self.fails[0])]
                                                         if self.fails else []))
        return self


def load_scale(results, idx):
    """{(op, n, tool): ScaleResult} from the probe lines and the status JSON files."""
    scale = {}
    for n, tool, op, rep, out in idx["sc"]:
        n = int(n)
        opname = {"start": "start-all", "stop": "stop-all"}[op]
        if tool == "svcctl_init":
            if op != "stop":
                continue
            tool, opname = "svcctl", "stop-all, PID 1"
        r = scale.setdefault((opname, n, tool), ScaleResult())
        f = out.split()
        if not f or f[0] == "timeout":
            r.fails.append("timed out (%s of %d programs said %s)" % (f[3] if len(f) > 3 else "?", n,
                                                                      "up" if op == "start" else "down"))
            continue
        secs, rc, at_exit = float(f[0]), int(f[1]), int(f[4])
        if rc != 0:
            r.notes.append("exit %d" % rc)
        if op == "start" and at_exit < n:
            r.notes.append("returned with %d of %d running (worst run)" % (at_exit, n))
        if op == "stop" and at_exit > 0:
            r.notes.append("returned with %d still running" % at_exit)
        r.times.append(secs * 1000)
    for path in glob.glob(os.path.join(results, "sc.*.status.*.json")):
        _, n, tool, _, _, _ = os.path.basename(path).split(".")
        res = json.load(open(path))["results"][0]
        r = scale.setdefault(("status", int(n), tool), ScaleResult())
        r.times += [t * 1000 for t in res["times"]]
        bad = [c for c in res.get("exit_codes", []) if c != 0]
        if bad:
            r.notes.append("exit %s" % ",".join(sorted(set(map(str, bad)))))
    # runit and supervisord are their programs' parent: who adopts orphans does
    # not matter to them; their PID 1 row repeats the prompt reaper's
    for (op, n, tool), r in list(scale.items()):
        if op == "stop-all" and tool != "svcctl":
            scale.setdefault(("stop-all, PID 1", n, tool), r)
    return {k: v.done() for k, v in scale.items()}


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
    floor_ms = None
    if os.path.exists(floor):
        t = json.load(open(floor))["results"][0]["times"]
        floor_ms = statistics.median(t) * 1000
        facts["floor"] = "%.2f ms (median of %d)" % (floor_ms, len(t))

    # ---- latency
    lat = {}
    for scenario, mode, tool, ident in idx["lat"]:
        lat[(scenario, mode, tool)] = Result(results, ident)
    order = []
    for scenario, mode, tool, _ in idx["lat"]:
        if (scenario, mode) not in order:
            order.append((scenario, mode))

    def med(scenario, mode, tool):
        r = lat.get((scenario, mode, tool))
        return r.median if r is not None and r.ok else None

    lat_rows, lat_sections = [], []
    for scenario, mode in order:
        base = med(scenario, mode, "svcctl")
        fl = med(scenario, mode, "floor")
        rows = []
        for (s, m, tool), r in lat.items():
            if (s, m) != (scenario, mode):
                continue
            v = r.median if r.ok else None
            rows.append([TOOLS[tool], "" if tool in ("svcctl", "floor") or v is None else ratio(base, v),
                         "" if tool == "floor" else ratio(v, fl), fmt_ms(v),
                         fmt_ms(r.p90 if r.ok else None), r.runs if r.ok else "-", r.note])
            lat_rows.append([SCENARIOS[scenario], MODES[mode]] + rows[-1])
        lat_sections.append((scenario, mode, rows))
    floors = {s.split("/")[0]: med(s, "reaper", "floor") for s in ("start/tp", "status/tp", "stop/tp")}

    # ---- scale
    scale = load_scale(results, idx)
    sizes = sorted({n for (_, n, _) in scale})

    def smed(op, n, tool):
        r = scale.get((op, n, tool))
        return r.median if r is not None and r.ok else None

    scale_rows = []
    for n in sizes:
        for op in SCALE_OPS:
            if not any((op, n, t) in scale for t in SCALE_TOOLS):
                continue
            cells = [n, op, ratio(smed(op, n, "svcctl"), smed(op, n, "runit")),
                     ratio(smed(op, n, "svcctl"), smed(op, n, "sup"))]
            notes, runs = [], []
            for t in SCALE_TOOLS:
                r = scale.get((op, n, t))
                if t == "sup" and r is None and facts.get("sup_skip") and n >= 3000:
                    cells.append("skipped")
                    notes.append("supervisord " + facts["sup_skip"])
                    continue
                cells.append(fmt_ms(r.median if r is not None and r.ok else None))
                runs.append(str(r.runs) if r is not None and r.ok else "-")
                if r is not None and r.note:
                    notes.append("%s: %s" % (SCALE_NAMES[t], r.note))
            cells += ["/".join(runs), "; ".join(notes)]
            scale_rows.append(cells)
    mem = idx["mem"]
    mem_rows = []
    for n in sizes:
        g = lambda tool, what: mem.get((n, tool, what))
        kb = lambda v: "-" if v in (None, "", "-") else "%.1f MiB" % (int(v) / 1024)
        procs = lambda tool: "-" if g(tool, "resident_procs") is None else g(tool, "resident_procs")
        mem_rows.append([n, "%s, %s" % (procs("svcctl"), kb(g("svcctl", "resident_kb"))),
                         "%s, %s" % (procs("runit"), kb(g("runit", "resident_kb"))),
                         "1, %s / %s" % (kb(g("sup", "idle_kb")), kb(g("sup", "resident_kb"))),
                         kb(g("svcctl", "client_peak_kb")), kb(g("runit", "client_peak_kb")),
                         kb(g("sup", "client_peak_kb"))])

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

    # ---- targets: the issue's, in one run; ratio = svcctl ÷ anchor (or ÷ the bound)
    targets = []

    def target(what, svc, anchor, anchor_desc, need):
        if svc is None or anchor is None:
            targets.append([what, "-", fmt_ms(svc), anchor_desc, "≤ %.2f×" % need, "not measured"])
            return
        r = svc / anchor
        targets.append([what, ratio(svc, anchor), fmt_ms(svc), anchor_desc, "≤ %.2f×" % need,
                        "met" if r <= need else "MISSED"])

    def bound(fl, k):
        return None if fl is None else k * fl + 1.0

    def bdesc(fl, k):
        if fl is None:
            return "floor not measured"
        return "%sfloor %s + 1 = %s" % ("2 × " if k == 2 else "", fmt_ms(fl), fmt_ms(k * fl + 1.0))

    st, sp, sr = med("status/tp", "reaper", "svcctl"), med("stop/tp", "reaper", "svcctl"), \
        med("start/tp", "reaper", "svcctl")
    target("status (`svcctl NAME status`) ≤ floor + 1 ms", st, bound(floors["status"], 1), bdesc(floors["status"], 1), 1.0)
    target("stop of a TERM-responsive program ≤ floor + 1 ms", sp, bound(floors["stop"], 1), bdesc(floors["stop"], 1), 1.0)
    target("start (ready_seconds = 0) ≤ 2 × floor + 1 ms", sr, bound(floors["start"], 2),
           bdesc(floors["start"], 2), 1.0)
    a = med("status/tp", "reaper", "ssd")
    target("status ≤ 1.0× start-stop-daemon --status", st, a, "start-stop-daemon %s" % fmt_ms(a), 1.0)
    a = med("start/tp", "reaper", "ssd")
    target("start ≤ 1.0× start-stop-daemon --start (to the program running)", sr, a,
           "start-stop-daemon %s" % fmt_ms(a), 1.0)
    a = med("stop/tp", "reaper", "ssd")
    target("stop ≤ 1.0× start-stop-daemon --stop", sp, a, "start-stop-daemon %s" % fmt_ms(a), 1.0)
    target("stop ≥ 10× faster than start-stop-daemon --stop", sp, a, "start-stop-daemon %s" % fmt_ms(a), 0.1)
    big = 1000 if 1000 in sizes else (max(sizes) if sizes else None)
    if big is not None:
        of = "%d services%s" % (big, "" if big == 1000 else " (target: 1000)")
        for op, what in (("status", "status of %s ≤ 1.0× runit's `sv status`"),
                         ("start-all", "start --all of %s ≤ 1.0× runit's `sv -w 60 start`"),
                         ("stop-all", "stop --all of %s ≤ 1.0× runit's `sv -w 60 stop`")):
            a = smed(op, big, "runit")
            target(what % of, smed(op, big, "svcctl"), a, "runit %s" % fmt_ms(a), 1.0)
    floor_line = ("Floor (fork + exec + wait of /bin/true, by benchwrap's loop, this run): %s ms; "
                  "in the start, status and stop tables, measured in turn with the tools: %s, %s, %s ms" %
                  (fmt_ms(floor_ms), fmt_ms(floors["start"]), fmt_ms(floors["status"]), fmt_ms(floors["stop"])))

    # A busy machine inflates the CPU-bound figures (svcctl's, a millisecond or two)
    # far more than the sleep-bound ones (start-stop-daemon's 20 ms poll). Judged
    # by the load before the run and after the latency part: the scale part
    # loads the machine itself, so the load at the very end is its own (older
    # runs recorded no load after the latency part: the end's is used then).
    busy = ""
    try:
        after_key = "load_after_latency" if "load_after_latency" in facts else "load_after"
        loads = [float(facts.get(k, "0").split()[0]) for k in ("load_before", after_key)]
        if max(loads) > 0.5 * float(facts.get("nproc", "1")):
            busy = ("the machine was busy during this run (load average %s at the start, %s %s, "
                    "on %s CPUs): the fast, CPU-bound figures are inflated; rerun on an idle "
                    "machine before trusting the verdicts" %
                    (loads[0], loads[1], "after the latency part" if after_key == "load_after_latency"
                     else "at the end", facts.get("nproc")))
    except ValueError:
        pass
    facts["busy"] = busy

    # ---- stdout
    H_TARGETS = ["target", "svcctl ÷ anchor", "svcctl, ms", "anchor, ms", "needed", "verdict"]
    H_LAT = ["tool", "svcctl ÷ tool", "×floor", "median", "p90", "runs", "note"]
    H_SCALE = ["N", "operation", "svcctl ÷ runit", "svcctl ÷ supervisord", "svcctl, ms", "runit, ms",
               "supervisord, ms", "runs", "note"]
    H_MEM = ["N", "svcctl resident (processes, Pss)", "runit resident (runsvdir + N runsv, Pss)",
             "supervisord resident (idle / N running, Pss)", "`svcctl status` peak RSS",
             "`sv status` peak RSS", "`supervisorctl status` peak RSS"]
    print()
    if busy:
        print("WARNING: " + busy)
    print("svcctl benchmark%s — %s, %s CPUs, kernel %s" % (" (QUICK)" if quick else "", facts.get("date"),
                                                           facts.get("nproc"), facts.get("kernel")))
    print(floor_line)
    print()
    print("Targets (medians; svcctl ÷ anchor: below 1 is faster)")
    print(text_table(H_TARGETS, targets))
    print()
    print("Latency, ms (svcctl ÷ tool: svcctl's median over this tool's; ×floor: this row over the floor row)")
    print(text_table(["scenario", "reaper"] + H_LAT, lat_rows))
    print()
    print("Correctness: does start fail (non-zero exit)?  does status see a killed, unreaped program as dead?")
    print(text_table(["tool", "program exits 1", "program missing", "left behind", "status of zombie"], cor_rows))
    print()
    print("Scale, medians in ms (svcctl ÷ X: svcctl's median over X's)")
    print(text_table(H_SCALE, scale_rows))
    print()
    print("Memory")
    print(text_table(H_MEM, mem_rows))

    # ---- plots
    plots = make_plots(results, docs, lat, order, scale, sizes, mem)

    # ---- markdown
    write_markdown(docs, facts, quick, floor_line, (H_TARGETS, targets), (H_LAT, lat_sections), cor_rows,
                   (H_SCALE, scale_rows), (H_MEM, mem_rows), plots)


def make_plots(results, docs, lat, order, scale, sizes, mem):
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
        cols = [(t, op) for t in SCALE_TOOLS for op in SCALE_OPS]
        with open(sc_dat, "w") as f:
            f.write("N " + " ".join("%s_%s" % (t, op.replace(", PID 1", "_init")) for t, op in cols) +
                    " svcctl_pss runit_pss sup_pss\n")
            for n in sizes:
                vals = []
                for t, op in cols:
                    r = scale.get((op, n, t))
                    vals.append("%.4f" % r.median if r is not None and r.ok else "NaN")
                for t in SCALE_TOOLS:
                    v = mem.get((n, t, "resident_kb"))
                    vals.append("%.3f" % max(int(v) / 1024, 0.01) if v not in (None, "", "-") else "NaN")
                f.write("%d %s\n" % (n, " ".join(vals)))
        col = {c: i + 2 for i, c in enumerate(cols)}
        out = os.path.join(docs, "bench-scale.png")
        panels = []
        for op, title in (("start-all", "start all N (to all running)"), ("status", "status of all N"),
                          ("stop-all", "stop all N (to all gone)")):
            lines = []
            for t, lc, pt in (("svcctl", 1, 7), ("runit", 2, 5), ("sup", 3, 9)):
                lines.append("'%s' u 1:%d w lp lw 2 pt %d lc %d t '%s'" % (sc_dat, col[(t, op)], pt, lc,
                                                                         SCALE_HOW[t][op]))
                if t == "svcctl" and op == "stop-all":
                    lines.append("'%s' u 1:%d w lp lw 2 pt 11 dt 2 lc 1 t 'svcctl stop --all, under PID 1'" %
                                 (sc_dat, col[(t, "stop-all, PID 1")]))
            panels.append("set title '%s'\nplot %s" % (title, ", \\\n     ".join(lines)))
        mem_base = len(cols) + 2
        panels.append("set title 'resident memory while N run (Pss)'\nset ylabel 'MiB'\nplot %s" % ", \\\n     ".join(
            "'%s' u 1:%d w lp lw 2 pt %d lc %d t '%s'" % (sc_dat, mem_base + i, pt, lc, name)
            for i, (name, lc, pt) in enumerate((("svcctl (0 when nothing stays)", 1, 7),
                                                 ("runit: runsvdir + N runsv", 2, 5),
                                                 ("supervisord", 3, 9)))))
        script = """
set terminal %s
set output '%s'
set multiplot layout 2,2 title 'Cost vs number of services N (log-log; medians)'
set logscale xy
set xrange [7:%d]
set xlabel 'N services'
set ylabel 'ms'
set grid
set key top left box opaque font ',8'
set xtics (10, 100, 1000, 3000)
%s
unset multiplot
""" % (term.replace("1200,680", "1200,900"), out, max(sizes) * 1.5, "\n".join(panels))
        if subprocess.run([gnuplot], input=script, text=True).returncode == 0:
            made.append("bench-scale.png")
    return made


BEGIN, END = "<!-- run: begin -->", "<!-- run: end -->"


def write_markdown(docs, facts, quick, floor_line, targets, lat, cor_rows, scale, mem, plots):
    reap = facts.get("orphan_reap_ms", "")
    adopter = facts.get("orphan_adopter", "?")
    md = [BEGIN]
    w = md.append
    w("Generated by `make bench` (`tests/bench/run`) on %s%s. Do not edit by hand: rerun it." %
      (facts.get("date"), " — **quick run (`BENCH_QUICK=1`), few runs: indicative only**" if quick else ""))
    w("")
    if facts.get("busy"):
        w("**Warning: %s.**" % facts["busy"])
        w("")
    w("**%s.**" % floor_line)
    w("")
    w("## Targets")
    w("")
    w("The issue's targets, all from this one run: medians in ms; svcctl ÷ anchor below 1 means svcctl")
    w("is faster. The floor bounds use the floor row measured in turn with that table's tools")
    w("(prompt reaper).")
    w("")
    w(md_table(*targets))
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
        ["load average before the run / after its latency part / at its end (the scale part loads the machine itself)",
         "%s / %s / %s" % (facts.get("load_before"), facts.get("load_after_latency", "-"), facts.get("load_after"))],
        ["fork + exec + wait of `true` (the floor)", facts.get("floor", "-")],
        ["svcctl", facts.get("svcctl_version")],
        ["start-stop-daemon (dpkg)", facts.get("version_dpkg")],
        ["daemonize", facts.get("version_daemonize")],
        ["libslack daemon", facts.get("version_daemon")],
        ["runit", facts.get("version_runit")],
        ["supervisor", facts.get("version_supervisor")],
        ["hyperfine", facts.get("version_hyperfine")],
    ]))
    w("")
    w("## Method")
    w("")
    w(METHOD % ("about 1.5 s, quick run" if quick else "about 6 s, at least 5 runs"))
    w("## Latency")
    w("")
    w("Median and p90 in ms. svcctl ÷ tool = svcctl's median over this tool's in the same table (below 1:")
    w("svcctl is faster); ×floor = this row's median over the floor row's, measured in turn with it.")
    w("")
    header, sections = lat
    for scenario, mode, rows in sections:
        w("### %s — %s" % (SCENARIOS[scenario], MODES[mode]))
        w("")
        w(md_table(header, rows))
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
    w("Medians in ms; svcctl ÷ X = svcctl's median over X's (below 1: svcctl is faster); runs per tool")
    w("in the order svcctl/runit/supervisord.")
    w("")
    w(md_table(*scale))
    w("")
    w(md_table(*mem))
    w("")
    if "bench-scale.png" in plots:
        w("![cost against number of services](bench-scale.png)")
        w("")
    w("## Reading the figures")
    w("")
    w(NOTES)
    w(END)
    path = os.path.join(docs, "performance.md")
    text = open(path).read() if os.path.exists(path) else ""
    section = "\n".join(md)
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        text = before + section + rest.split(END, 1)[1]
    else:
        # a file from before the markers: what precedes the first other
        # script's section is this script's old output
        cut = text.find("\n<!-- ")
        rest = text[cut + 1:] if cut >= 0 else ""
        text = "# svcctl performance\n\n" + section + ("\n\n" + rest if rest else "\n")
    with open(path, "w") as f:
        f.write(text)


METHOD = """* Each figure is the wall time of the tool's command line, from just before it is forked
  to the end point below, with an untimed set-up before each run (a stop before each timed
  start, a start before each timed stop). The single calls (start, status, stop, restart and
  the floor) are all timed by the same loop, `tests/bench/benchwrap.c`, which also checks the
  end point (so its own exec is not in the figure). No shell start-up is in any figure
  except where the tool needs one (hand-rolled scripts). The number of runs comes from a
  pilot run and a time budget per row (%s); the `runs` column says how many were made.
  The rows of one table are measured together in rounds, each round giving every row a
  share of its runs in turn, so that a passing load on this small machine falls on all the
  tools compared rather than on one. Figures are the median and the 90th percentile
  (nearest rank).
* **The floor** is the fork + exec + wait of `/bin/true` by that same loop: once at the
  start of the run (300 runs, printed at the top) and as a row of every latency table,
  measured in turn with the tools. The targets' bounds (floor + 1 ms, 2 × floor + 1 ms) use
  the floor row of the table the svcctl figure comes from.
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
* **Scale**: N = 10, 100, 1000, 3000 services (a quick run: 10 and 100), every tool running
  the same program, `tests/bench/notifier.c -a SOCKET`, which says "up PID TIME" to the
  harness first thing in `main` and "down PID TIME" on SIGTERM. start-all and stop-all are
  timed by `tests/bench/probe.c gather` from just before the command is forked until it has
  returned *and* all N programs have said up (or down); status of all N by hyperfine
  (`-N`, one warm-up). svcctl: `svcctl start --all`, `svcctl status`, `svcctl stop --all`
  (`ready_seconds = 0`, `stop_timeout = 5`), under the prompt reaper and, up to N = 1000,
  stop-all also under PID 1. runit: `runsvdir -P` over N service directories of our own,
  each with a `down` file, every runsv brought up untimed before the timing (as a boot
  would have done); then `sv -w 60 start` of all N in one command, `sv status` of all N
  in one command, `sv -w 60 stop` of all N. supervisord: its own instance, N programs with
  `autostart=false`, `startsecs=0`, `stopwaitsecs=5`; `supervisorctl start all`, `status`,
  `stop all`; skipped at 3000 when its start of 1000 took over 40 s (the row says so).
  Each tool runs in its own turn, one after the other in every repetition (3 at N ≤ 1000,
  2 at 3000, 2 in a quick run); runsvdir and supervisord run only during their own turn,
  so that their idle processes are not in `/proc` while another tool is timed. Resident
  memory is the Pss (`/proc/PID/smaps_rollup`) of what stays while the N programs run;
  the peak RSS of the status client comes from `wait4`.
"""

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
* runit's `sv -w` sends every command first, then checks all N services and sleeps 0.42 s
  between checks until each is done: at small N its start-all and stop-all are mostly that
  sleep (in svcctl's favour there); at large N the sleep is a small part. runsv calls a
  service up as soon as it has forked the program, before its exec; the figures are timed
  to the programs' own "up" all the same. runit's figures leave out the N runsv that were
  started before the timing and stay resident (see the memory table); svcctl's include
  everything it does.
* With `ready_seconds = 0`, svcctl's start returns as soon as exec has succeeded, like
  start-stop-daemon's; whether it also catches a program that exits at once is then a race
  (the correctness table counts the tries). The default, `ready_seconds = 1`, always does.
* Where single calls go, and where each of them spends its time, is in "Where the time
  goes" (`tests/bench/breakdown`).
"""

if __name__ == "__main__":
    main()
