#!/usr/bin/env python3
"""Dashboard benchmarks: what the live view costs.

Each run puts repopool on a pseudo-terminal of its own (80x24, TERM=xterm),
reads everything it writes to the terminal, and takes the process's CPU
time and context switches from the kernel (os.wait4, /proc). Three figures,
each against its goal:

  (d) 2,000 `true` commands at -j 8, dashboard on against --no-tui:
      at most 2% more wall time;
  (e) 100,000 demo tasks with the dashboard: the UI's CPU (the run's CPU
      with the dashboard minus the same run headless) under 5% of a core
      over the run's wall time;
  (f) 8 tasks sleeping 30 s (10 s with --quick): at most 2 wake-ups a
      second, and nothing written to the terminal but the clock.

Usage: dashboard.py [--quick] [--repopool PATH] [--markdown]
Exit status 0 even when a goal is missed (this is a report); 1 when a run
fails.
"""

import argparse
import fcntl
import os
import pty
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time


def find_repopool(given):
    if given:
        return os.path.abspath(given)
    if os.environ.get("REPOPOOL"):
        return os.environ["REPOPOOL"]
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "..", "build", "repopool")


class Run:
    """One finished run: wall time, CPU, context switches, terminal bytes."""

    def __init__(self, wall, cpu, status, out_bytes, voluntary_switches, writes_after):
        self.wall = wall
        self.cpu = cpu
        self.status = status
        self.out_bytes = out_bytes
        self.voluntary_switches = voluntary_switches
        self.writes_after = writes_after


def read_switches(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("voluntary_ctxt_switches:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def run_on_pty(argv, cwd=None, quit_when_done=True, settle=None, window=None):
    """Runs argv on a new pseudo-terminal until it exits.

    settle/window: after `settle` seconds, count the bytes written and the
    voluntary context switches (wake-ups) over the next `window` seconds,
    then press q and y to end the run.
    """
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = dict(os.environ, TERM="xterm", LC_ALL="C.UTF-8")
    env.pop("NO_COLOR", None)
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdin=slave, stdout=slave, stderr=slave,
                            env=env, start_new_session=True)
    os.close(slave)
    total = 0
    window_bytes = None
    switches_before = None
    window_start = None
    pressed_quit = False
    while True:
        now = time.perf_counter() - start
        if settle is not None and window_start is None and now >= settle:
            window_start = now
            window_bytes = 0
            switches_before = read_switches(proc.pid)
        if window_start is not None and switches_before is not None and now >= window_start + window:
            switches_after = read_switches(proc.pid)
            window_switches = (switches_after - switches_before) if switches_after is not None else None
            os.write(master, b"qy")
            pressed_quit = True
            window_start = float("inf")
            settle = None
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b""
            if not data:
                break
            total += len(data)
            if window_bytes is not None and window_start != float("inf"):
                window_bytes += len(data)
        elif proc.poll() is not None:
            break
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    os.close(master)
    cpu = usage.ru_utime + usage.ru_stime
    result = Run(wall, cpu, os.waitstatus_to_exitcode(status), total,
                 window_switches if pressed_quit else None, window_bytes)
    return result


def run_headless(argv, cwd=None):
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read()
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{argv[:4]}... exited {code}: {err.decode(errors='replace')}")
    return Run(wall, usage.ru_utime + usage.ru_stime, code, 0, None, None)


def check(run, what):
    if run.status != 0:
        raise RuntimeError(f"{what}: exit status {run.status}")
    return run


def scenario_true_commands(repopool, repeats):
    """(d): dashboard on against off, same 2,000 commands."""
    with tempfile.TemporaryDirectory() as tmp:
        dirs = []
        for i in range(2000):
            d = os.path.join(tmp, f"r{i}")
            os.mkdir(d)
            dirs.append(d)
        listing = os.path.join(tmp, "list")
        with open(listing, "w") as f:
            f.write("\n".join(dirs) + "\n")
        base = [repopool, "-j", "8", "-f", listing]
        on, off = [], []
        for _ in range(repeats):
            off.append(run_headless(base + ["--no-tui", "-q", "--", "true"]).wall)
            on.append(check(run_on_pty(base + ["--tui", "--exit-when-done", "--", "true"]), "dashboard").wall)
        return statistics.median(on), statistics.median(off)


def scenario_ui_cpu(repopool, tasks, repeats):
    """(e): CPU the dashboard adds to a run of many short demo tasks."""
    argv = [repopool, "--demo", str(tasks), "--demo-mean", "0.002", "-j", "64", "--seed", "5"]
    cpu_on, cpu_off, walls = [], [], []
    for _ in range(repeats):
        off = run_headless(argv + ["--no-tui", "-q"])
        on = check(run_on_pty(argv + ["--tui", "--exit-when-done"]), "dashboard")
        cpu_on.append(on.cpu)
        cpu_off.append(off.cpu)
        walls.append(on.wall)
    wall = statistics.median(walls)
    ui = max(0.0, statistics.median(cpu_on) - statistics.median(cpu_off))
    return ui / wall, wall


def scenario_idle(repopool, seconds):
    """(f): a quiet pool should cost nothing but the clock."""
    with tempfile.TemporaryDirectory() as tmp:
        dirs = []
        for i in range(8):
            d = os.path.join(tmp, f"s{i}")
            os.mkdir(d)
            dirs.append(d)
        run = run_on_pty([repopool, "-j", "8", "--tui", *dirs, "--", "sleep", str(seconds + 30)],
                         settle=2.0, window=seconds)
        return run.voluntary_switches / seconds, run.writes_after / seconds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repopool")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    repopool = find_repopool(args.repopool)
    if not os.access(repopool, os.X_OK):
        print(f"dashboard.py: {repopool}: not an executable", file=sys.stderr)
        return 2
    repeats = 3 if args.quick else 5
    rows = []
    try:
        on, off = scenario_true_commands(repopool, repeats)
        ratio = on / off
        rows.append(("(d) 2,000 x true, dashboard on vs --no-tui: wall", f"{on:.2f} s", f"{off:.2f} s",
                     f"{ratio:.3f}", "<= 1.02", "yes" if ratio <= 1.02 else "NO"))
        share, wall = scenario_ui_cpu(repopool, 20000 if args.quick else 100000, 1 if args.quick else 3)
        rows.append((f"(e) {20000 if args.quick else 100000:,} demo tasks: UI CPU share of a core",
                     f"{share * 100:.1f} %", f"run {wall:.1f} s", f"{share:.3f}", "< 0.05",
                     "yes" if share < 0.05 else "NO"))
        seconds = 10 if args.quick else 30
        wakeups, bytes_per_s = scenario_idle(repopool, seconds)
        rows.append((f"(f) 8 tasks sleeping, {seconds} s: wake-ups", f"{wakeups:.2f}/s", "-", "-", "<= 2/s",
                     "yes" if wakeups <= 2 else "NO"))
        rows.append((f"(f) 8 tasks sleeping, {seconds} s: terminal output", f"{bytes_per_s:.0f} B/s", "-", "-",
                     "the clock only (< 100 B/s)", "yes" if bytes_per_s < 100 else "NO"))
    except RuntimeError as e:
        print(f"dashboard.py: {e}", file=sys.stderr)
        return 1
    header = ("scenario", "repopool", "peer / context", "ratio", "goal", "met?")
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for r in rows:
            print("| " + " | ".join(r) + " |")
    else:
        widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
        for r in [header] + rows:
            print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
