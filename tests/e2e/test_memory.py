#!/usr/bin/env python3
"""What the dashboard holds in memory, measured on the real binary.

- A huge terminal: curses keeps three copies of the screen, so a
  10000x10000 terminal once cost 9 GB. The dashboard draws at most
  UI_MAX_WIDTH x UI_MAX_HEIGHT cells (include/repopool/ui.h) and leaves the
  rest blank. Runs on a pseudo-terminal of that size (set with TIOCSWINSZ,
  then through LINES and COLUMNS, then resized up to 65535x65535 while it
  runs); the peak RSS comes from wait4.
- A terminal larger than the cap, in tmux: the dashboard is drawn in the
  top-left corner, nothing past it, and after quitting the shell scrolls
  the whole pane again (curses' scroll region is given back).
- A run that prints a lot: 2,000 tasks of 100 KB each in the dashboard
  keep at most 64 MiB of output in all (OUTBUDGET_DEFAULT_LIMIT), not
  2,000 x 64 KiB; the oldest task's log says its output was dropped. The
  peak RSS is the kernel's VmHWM of the repopool process.

Under -Db_sanitize the allocator's quarantine and shadow memory make RSS
meaningless: the runs and checks still happen, the RSS bounds do not.

The binary is named by the REPOPOOL environment variable.
"""

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import TestCase  # noqa: E402
from lib.config import REPOPOOL, built_with  # noqa: E402
from lib.dashboard import PROMPT, DashboardTestCase  # noqa: E402
from lib.events import check_no_sanitizer_report  # noqa: E402
from lib.procs import comm_of, ppid_of, processes_with, vm_hwm_kib  # noqa: E402

MIB = 1024 * 1024

# The dashboard's own cap (ui.h) costs about 35 MiB at most; the process
# without it about 10 MiB. Before the cap a 10000x10000 terminal took
# 8.6 GiB.
HUGE_TERMINAL_BOUND = 120 * MIB
# 64 MiB of kept output plus the process, its task records and malloc's
# slack. Without the budget the same run held about 2,000 x 64 KiB.
OUTPUT_BUDGET = 64 * MIB
BUDGET_BOUND = OUTPUT_BUDGET + 40 * MIB

WAIT = 120
POLL = 0.05


# Built with ASan, RSS means nothing.
SANITIZED = built_with(b"__asan_init")


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class HugeTerminal(TestCase):
    """repopool on a pseudo-terminal of any size, as its controlling
    terminal (a size change sends it SIGWINCH)."""

    def run_pty(self, rows, cols, args, env=None, steps=()):
        """Runs repopool on a rows x cols pseudo-terminal; steps are
        functions of (fd, pid, output) called once the dashboard is up.
        Returns (exit status, peak RSS in bytes, output bytes)."""
        child_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.tmp,
                     "LANG": "C.UTF-8", "TERM": "xterm-256color"}
        for keep in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TMPDIR"):
            if keep in os.environ:
                child_env[keep] = os.environ[keep]
        key, value = self.marker.split("=", 1)
        child_env[key] = value
        child_env.update(env or {})
        pid, fd = pty.fork()
        if pid == 0:
            try:
                os.chdir(self.tmp)
                os.execve(REPOPOOL, [REPOPOOL] + list(args), child_env)
            finally:
                os._exit(127)
        self.addCleanup(os.close, fd)
        set_size(fd, rows, cols)
        out = bytearray()
        status = None
        rss = 0
        deadline = time.monotonic() + WAIT
        pending = list(steps)
        started = False

        def pump(timeout):
            r, _, _ = select.select([fd], [], [], timeout)
            if r:
                try:
                    out.extend(os.read(fd, 1 << 20))
                except OSError:
                    pass

        try:
            while True:
                pump(POLL)
                if not started and b"\x1b[?1049h" in out:
                    started = True
                if started and pending:
                    pending.pop(0)(fd, pid, out, pump)
                done, st, usage = os.wait4(pid, os.WNOHANG)
                if done:
                    status = os.waitstatus_to_exitcode(st)
                    rss = usage.ru_maxrss * 1024
                    break
                if time.monotonic() > deadline:
                    self.fail("repopool did not exit; it wrote %d bytes, the last: %r" % (len(out), bytes(out[-300:])))
        finally:
            if status is None:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        # What the dashboard printed after giving the terminal back.
        while True:
            r, _, _ = select.select([fd], [], [], 0.2)
            if not r:
                break
            try:
                chunk = os.read(fd, 1 << 20)
            except OSError:
                break
            if not chunk:
                break
            out.extend(chunk)
        check_no_sanitizer_report(self, bytes(out))
        return status, rss, bytes(out)

    def check_rss(self, rss, bound, what):
        print("\n%s: peak RSS %.1f MiB (bound %.0f MiB)%s" % (
            what, rss / MIB, bound / MIB, ", not checked under sanitizers" if SANITIZED else ""),
            file=sys.stderr)
        if not SANITIZED:
            self.assertLess(rss, bound, "%s: peak RSS %.1f MiB" % (what, rss / MIB))

    def test_10000x10000_terminal(self):
        status, rss, out = self.run_pty(10000, 10000, ["--demo", "200", "--demo-mean", "0.01",
                                                       "--exit-when-done"])
        self.assertEqual(status, 0, out[-500:])
        self.assertIn(b"repopool: 200 tasks in", out)
        self.check_rss(rss, HUGE_TERMINAL_BOUND, "10000x10000 terminal")

    def test_lines_and_columns_from_the_environment(self):
        # Curses reads LINES and COLUMNS over the kernel's size; so does
        # the dashboard, and caps them as well.
        status, rss, out = self.run_pty(30, 100, ["--demo", "200", "--demo-mean", "0.01", "--exit-when-done"],
                                        env={"LINES": "10000", "COLUMNS": "10000"})
        self.assertEqual(status, 0, out[-500:])
        self.check_rss(rss, HUGE_TERMINAL_BOUND, "LINES=COLUMNS=10000")

    def test_resized_to_the_largest_size_while_running(self):
        joblog = "joblog"

        def resize(rows, cols):
            def step(fd, pid, out, pump):
                before = len(out)
                set_size(fd, rows, cols)
                # The redraw after the resize (anti-hang limit only).
                deadline = time.monotonic() + WAIT
                while len(out) == before and time.monotonic() < deadline:
                    pump(POLL)
            return step

        def wait_done(fd, pid, out, pump):
            path = os.path.join(self.tmp, joblog)
            deadline = time.monotonic() + WAIT
            while time.monotonic() < deadline:
                try:
                    with open(path) as f:
                        if len(f.read().splitlines()) == 201:
                            return
                except FileNotFoundError:
                    pass
                pump(POLL)
            self.fail("the run did not end")

        def quit(fd, pid, out, pump):
            os.write(fd, b"q")

        steps = [resize(10000, 10000), resize(65535, 65535), resize(24, 80), resize(65535, 300),
                 resize(300, 65535), wait_done, resize(10000, 10000), quit]
        status, rss, out = self.run_pty(30, 100, ["--demo", "200", "--demo-mean", "0.05", "-j", "8",
                                                  "--joblog", joblog], steps=steps)
        self.assertEqual(status, 0, out[-500:])
        self.assertIn(b"repopool: 200 tasks in", out)
        self.check_rss(rss, HUGE_TERMINAL_BOUND, "resized up to 65535x65535")


def vm_hwm(pid):
    """The kernel's high-water mark of a process's RSS, in bytes."""
    return (vm_hwm_kib(pid) or 0) * 1024


class LargerThanTheCap(DashboardTestCase):
    """In tmux, a pane larger than what the dashboard draws."""

    width, height = 1200, 450

    def test_drawn_in_the_corner_and_the_shell_scrolls_the_whole_pane_after(self):
        path = self.repos("talker")[0]
        self.start(path, "--", "seq", "1", "2000")
        self.wait_header(lambda h: h["ok"] == 1, "done 1")
        # The log opens at its end: 398 lines fit between its header and
        # footer in the 400 rows drawn.
        self.keys("Enter")
        s = self.wait_screen(lambda s: "lines 1603-2000 of 2000" in s, "the log view")
        # Scrolling by lines and by pages (395 lines) moves the lines within
        # those rows, and nothing below them or right of them: curses
        # scrolls the terminal's scroll region, set to its rows.
        for key in ["Up"] * 5 + ["PageUp", "Down", "Down"]:
            self.keys(key)
        s = self.wait_screen(lambda s: "lines 1205-1602 of 2000" in s, "the log view scrolled")
        lines = s.split("\n")
        self.assertEqual(len(lines), 450)
        self.assertEqual([line.strip() for line in lines[1:399]], [str(n) for n in range(1205, 1603)])
        self.assertIn("lines 1205-1602 of 2000", lines[399])
        self.assertEqual([i for i, line in enumerate(lines) if i >= 400 and line.strip()], [])
        self.assertEqual([i for i, line in enumerate(lines) if line[1001:].strip()], [])
        self.keys("Escape")
        s = self.wait_header(lambda h: h["ok"] == 1, "the table again")[1]
        self.assertTrue(s.split("\n")[399].startswith("?Help"), s.split("\n")[399])
        self.type("q")
        self.assertEqual(self.wait_exit(), 0)
        # The terminal's scroll region is the whole pane again: 3,000 lines
        # fill all 450 rows, the newest at the bottom.
        self.shell("seq 1 3000")
        s = self.wait_screen(lambda s: s.rstrip().endswith("3000\n" + PROMPT.rstrip()), "seq's output")
        lines = s.rstrip("\n").split("\n")
        self.assertEqual(len(lines), 450, s[-300:])
        self.assertEqual(lines[0], "2552")


class OutputBudget(DashboardTestCase):
    """2,000 tasks print 100 KB each under the dashboard."""

    def test_kept_output_stays_within_the_budget(self):
        tasks = 2000
        root = os.path.join(self.tmp, "repos")
        with open(os.path.join(self.tmp, "list"), "w") as f:
            for i in range(tasks):
                p = os.path.join(root, "r%04d" % i)
                os.makedirs(p)
                f.write(p + "\n")
        joblog = os.path.join(self.tmp, "joblog")
        self.start("-j", "8", "-f", "list", "--joblog", "joblog", "--shell", "--",
                   "head -c 100000 /dev/urandom | base64")
        self.wait_dashboard()
        # repopool itself, not one of its children between fork and exec.
        pids = [pid for pid, comm in processes_with(self.run_tag)
                if comm == "repopool" and comm_of(ppid_of(pid)) != "repopool"]
        self.assertEqual(len(pids), 1, pids)
        pid = pids[0]

        def all_ended():
            try:
                with open(joblog) as f:
                    return len(f.read().splitlines()) == tasks + 1
            except FileNotFoundError:
                return False

        self.wait_until(all_ended, "2,000 tasks to end", timeout=600)
        h, s = self.wait_header(lambda h: h["ok"] == tasks and h["eta"] == "done", "done 2000")
        rss = vm_hwm(pid)

        # The task that ended first is the last row; its output went.
        self.type("G")
        self.keys("Enter")
        s = self.wait_screen(lambda s: "(output dropped" in s, "the oldest task's log")
        lines = s.split("\n")
        self.assertRegex(lines[0], r"^ok  \(output dropped\)")
        self.assertEqual(lines[1], "(output dropped: repopool keeps at most 64 MiB of output in all; "
                                   "this task's was among the oldest)")
        # Then the summary: a task's last line of output.
        self.assertRegex(lines[2], r"^[A-Za-z0-9+/=]+$")
        self.assertRegex(lines[-1], r"^135\d{3} bytes, lines 0-0 of 0")
        # The newest keeps its last 64 KiB.
        self.keys("Escape")
        self.type("g")
        self.keys("Enter")
        s = self.wait_screen(lambda s: "(last 64 KiB)" in s, "the newest task's log")
        self.assertNotIn("output dropped", s)
        self.keys("Escape")
        self.wait_header(lambda h: True, "the table again")
        rss = max(rss, vm_hwm(pid))
        self.type("q")
        self.assertEqual(self.wait_exit(), 0)
        print("\n2,000 tasks x 100 KB: peak RSS %.1f MiB (bound %.0f MiB)%s" % (
            rss / MIB, BUDGET_BOUND / MIB, ", not checked under sanitizers" if SANITIZED else ""),
            file=sys.stderr)
        if not SANITIZED:
            self.assertLess(rss, BUDGET_BOUND, "peak RSS %.1f MiB" % (rss / MIB))


if __name__ == "__main__":
    unittest.main(verbosity=2)
