#!/usr/bin/env python3
"""Abuse tests: tasks that misbehave toward the process that runs them.

- A task that forks a background grandchild holding its output open and
  exits: the run ends, and repopool's exit does not wait for the grandchild
  (proof without a clock: when repopool has exited, the grandchild is still
  alive; the test then kills it). A grandchild that floods the pipe forever
  cannot hold the run either.
- A task that prints 100 MB: repopool's peak RSS stays small (measured with
  tests/bench/maxrss.c, compiled into the test's directory, against a run
  of `true`), and the end event still carries one short summary line.
- A task that reads stdin: `cat` ends at once, because stdin is /dev/null,
  even when repopool's own stdin is a pipe that never ends.
- A task that writes to /dev/tty: the open fails (the task has no
  controlling terminal), so with repopool inside tmux, headless or in the
  dashboard, nothing the task wrote reaches the pane.

Nothing waits a fixed time for an outcome: deadlines only guard against a
hang.
"""

import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import TestCase  # noqa: E402
from lib.config import EVENT_TIMEOUT, TESTS_DIR  # noqa: E402
from lib.procs import is_alive  # noqa: E402
from lib.tmux import Tmux  # noqa: E402

MAXRSS_C = os.path.join(TESTS_DIR, "bench", "maxrss.c")

# What a generous reading of "small" allows on top of a run of `true`: the
# kept output is 64 KiB, the read buffer 64 KiB.
RSS_HEADROOM_KIB = 16 * 1024
HUNDRED_MB = 100 * 1000 * 1000


class Abuse(TestCase):
    def repo(self, name="r"):
        p = self.path(self.unique(name))
        os.makedirs(p)
        return p

    # --- a grandchild holding the output open ---

    def test_grandchild_holding_the_output(self):
        r = self.repo()
        self.kill_groups_later([os.path.join(r, ".pgid")])
        # The grandchild sleeps far longer than any deadline here.
        script = "echo $$ > .pgid; sleep 100000 & echo $! > .bg; echo started"
        res = self.repopool(["--json", r, "--", "sh", "-c", script], timeout=EVENT_TIMEOUT)
        self.assert_exit(res, 0)
        self.check_events(res, total=1)
        e = res.ends()[0]
        self.assertEqual((e["status"], e["exit"], e["summary"]), ("ok", 0, "started"), e)
        bg = self.read_int(os.path.join(r, ".bg"))
        self.assertTrue(is_alive(bg), "repopool's exit waited for the grandchild (or killed it)")

    def test_grandchild_holding_the_output_headless_lines(self):
        rs = [self.repo() for _ in range(3)]
        for r in rs:
            self.kill_groups_later([os.path.join(r, ".pgid")])
        script = "echo $$ > .pgid; sleep 100000 & echo $! > .bg; echo started"
        res = self.repopool(["-j", "3"] + rs + ["--", "sh", "-c", script], timeout=EVENT_TIMEOUT,
                            json_events=False)
        self.assert_exit(res, 0)
        lines = res.stdout.decode().splitlines()
        # Each task's line with its output under it, then the summary.
        self.assertEqual(len(lines), 7, res.describe())
        self.assertEqual(lines[1::2][:3], ["    started"] * 3, res.describe())
        self.assertTrue(lines[-1].startswith("repopool: 3 tasks in "), res.describe())
        for r in rs:
            self.assertTrue(is_alive(self.read_int(os.path.join(r, ".bg"))))

    def test_grandchild_flooding_the_output(self):
        r = self.repo()
        self.kill_groups_later([os.path.join(r, ".pgid")])
        script = "echo $$ > .pgid; yes flood & echo $! > .bg; echo started"
        res = self.repopool(["--json", r, "--", "sh", "-c", script], timeout=EVENT_TIMEOUT)
        self.assert_exit(res, 0)
        self.check_events(res, total=1)
        e = res.ends()[0]
        self.assertEqual(e["status"], "ok", e)
        self.assertLess(len(e["summary"]), 1024, "one short summary line")

    # --- 100 MB of output ---

    def maxrss_tool(self):
        tool = self.path("maxrss")
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc:
            self.skipTest("no C compiler for tests/bench/maxrss.c")
        p = subprocess.run([cc, "-O2", "-o", tool, MAXRSS_C], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=EVENT_TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr)
        return tool

    def peak_rss(self, tool, args):
        """repopool's peak RSS in KiB over a run of args, and the run."""
        out = self.path(self.unique("rss"))
        res = self.repopool(args, prefix=[tool, out], json_events="--json" in args)
        with open(out) as f:
            return int(f.read().strip()), res

    def test_hundred_megabytes_of_output(self):
        tool = self.maxrss_tool()
        r = self.repo()
        joblog = self.path("joblog")
        base, res = self.peak_rss(tool, ["--json", r, "--", "true"])
        self.assert_exit(res, 0)
        outputs = {
            "zeros, no newline": "head -c %d /dev/zero" % HUNDRED_MB,
            "short lines": "yes 'a line of output' | head -c %d" % HUNDRED_MB,
            "one long line": "head -c %d /dev/zero | tr '\\0' x; echo; echo last" % HUNDRED_MB,
        }
        printed = {"zeros, no newline": HUNDRED_MB, "short lines": HUNDRED_MB,
                   "one long line": HUNDRED_MB + len("\nlast\n")}
        sys.stderr.write("\npeak RSS of a run of true: %d KiB\n" % base)
        for what, script in outputs.items():
            for mode in (["--json"], ["--no-tui", "--output=last"], ["--no-tui"]):
                with self.subTest(output=what, mode=mode[0]):
                    peak, res = self.peak_rss(tool, mode + ["--joblog", joblog, r, "--", "sh", "-c", script])
                    # The joblog's Receive column: every byte was read.
                    row = self.read(joblog).decode().splitlines()[1].split("\t")
                    self.assertEqual(int(row[5]), printed[what], row)
                    sys.stderr.write("peak RSS, 100 MB of %s (%s): %d KiB\n" % (what, mode[0], peak))
                    self.assert_exit(res, 0)
                    self.assertLessEqual(peak, base + RSS_HEADROOM_KIB,
                                         "100 MB of %s took repopool from %d KiB to %d KiB" % (
                                             what, base, peak))
                    if mode == ["--json"]:
                        self.check_events(res, total=1)
                        e = res.ends()[0]
                        self.assertEqual(e["status"], "ok", e)
                        self.assertLess(len(e["summary"]), 1024, "one short summary line")
                        if what == "one long line":
                            self.assertEqual(e["summary"], "last")
                        elif what == "short lines":
                            # head cuts the last line short.
                            self.assertTrue(e["summary"] and "a line of output".startswith(e["summary"]), e)
                    elif mode[-1] == "--output=last":
                        self.assertEqual(len(res.stdout.splitlines()), 2, res.describe()[:2000])
                        self.assertLess(len(res.stdout), 4096)
                    else:
                        # All of the output that was kept: its last 64 KiB,
                        # whole lines only, said to be the end of it.
                        lines = res.stdout.splitlines()
                        self.assertIn(b"[repopool: the first ", lines[1], res.describe()[:2000])
                        self.assertLess(len(res.stdout), 64 * 1024 + 64 * 1024 // 16 * 4 + 4096)
                        if what == "short lines":
                            self.assertTrue(all(l == b"    a line of output" for l in lines[2:-2]), lines[:4])

    def test_hundred_megabytes_of_output_from_many_tasks(self):
        """Eight tasks at once, 100 MB each: still bounded by what is kept
        per task (64 KiB), not by what was printed."""
        tool = self.maxrss_tool()
        rs = [self.repo() for _ in range(8)]
        base, res = self.peak_rss(tool, ["--json", "-j", "8"] + rs + ["--", "true"])
        self.assert_exit(res, 0)
        peak, res = self.peak_rss(tool, ["--json", "-j", "8"] + rs +
                                  ["--", "sh", "-c", "head -c %d /dev/zero" % HUNDRED_MB])
        sys.stderr.write("\npeak RSS, 8 x 100 MB: %d KiB (true: %d KiB)\n" % (peak, base))
        self.assert_exit(res, 0)
        self.check_events(res, total=8)
        self.assertLessEqual(peak, base + RSS_HEADROOM_KIB)

    def test_hundred_megabytes_of_output_in_the_dashboard(self):
        """The dashboard keeps each task's output for its log view: still
        only the last 64 KiB."""
        tool = self.maxrss_tool()
        r = self.repo()
        rss = {}
        for what, cmd in (("true", ["true"]), ("100 MB", ["sh", "-c", "head -c %d /dev/zero" % HUNDRED_MB])):
            out = self.path(self.unique("rss"))
            tmux = Tmux(self)
            tmux.start(["--tui", "--exit-when-done", r, "--"] + cmd, prefix=[tool, out])
            status, _err = tmux.wait_exit()
            self.assertEqual(status, 0, tmux.screen())
            rss[what] = self.read_int(out)
            tmux.kill()
        sys.stderr.write("\npeak RSS in the dashboard: %r KiB\n" % rss)
        self.assertLessEqual(rss["100 MB"], rss["true"] + RSS_HEADROOM_KIB)

    # --- stdin ---

    def test_reading_stdin_ends_at_once(self):
        rs = [self.repo() for _ in range(3)]
        # repopool's own stdin is a pipe the test never writes to nor closes:
        # a task that inherited it would wait forever.
        rd, wr = os.pipe()
        self.addCleanup(os.close, wr)
        try:
            res = self.repopool(["--json", "-j", "3"] + rs + ["--", "cat"], stdin=rd,
                                timeout=EVENT_TIMEOUT)
            self.assert_exit(res, 0)
            self.check_events(res, total=3)
            res = self.repopool(["--json", rs[0], "--", "sh", "-c",
                                 "readlink /proc/$$/fd/0; read line; echo read=$?"],
                                stdin=rd, timeout=EVENT_TIMEOUT)
        finally:
            os.close(rd)
        self.assert_exit(res, 0)
        self.assertEqual(res.ends()[0]["summary"], "read=1", "read sees end of file at once")
        res = self.repopool(["--json", rs[0], "--", "readlink", "/proc/self/fd/0"])
        self.assertEqual(res.ends()[0]["summary"], "/dev/null")

    def test_reading_stdin_in_the_dashboard(self):
        """In the dashboard, stdin is the terminal repopool reads keys from;
        a task's `cat` must neither wait for it nor take keys from it."""
        rs = [self.repo() for _ in range(2)]
        tmux = Tmux(self)
        tmux.start(["--tui", "--exit-when-done", "-j", "2"] + rs +
                   ["--", "sh", "-c", "cat; readlink /proc/$$/fd/0"])
        status, err = tmux.wait_exit()
        self.assertEqual(status, 0, tmux.screen())
        self.assertRegex(tmux.screen(), r"(?m)^repopool: 2 tasks in [0-9.]+s: 2 ok; peak \d running$")

    # --- /dev/tty ---

    def tty_script(self, marker):
        """The scripts live in files, so the marker never appears on a
        command line the terminal could show."""
        script = os.path.join(self.tmp, "tty.sh")
        self.write(script, "\n".join([
            # No controlling terminal: the open fails.
            "if (echo %s-A > /dev/tty) 2>/dev/null; then echo opened-tty; else echo no-tty; fi" % marker,
            # tty_nr (field 7 of /proc/PID/stat) is 0 without a terminal; the
            # task leads its own session.
            "set -- $(cat /proc/$$/stat)",
            "echo tty_nr=$7 sid_is_self=$([ $6 = $$ ] && echo yes || echo no)",
            # And a plain attempt, its error message shown: the task fails.
            "echo %s-B > /dev/tty" % marker,
            ""]))
        return ["sh", script]

    def test_writing_to_dev_tty_headless(self):
        rs = [self.repo() for _ in range(2)]
        marker = "TTY-MARKER-" + os.path.basename(self.tmp)
        res = self.repopool(["--json", "-j", "2"] + rs + ["--"] + self.tty_script(marker))
        self.assert_exit(res, 1)
        self.check_events(res, total=2)
        for e in res.ends():
            self.assertEqual((e["status"], e["class"]), ("failed", "exit"), e)
            self.assertIn("/dev/tty", e["summary"])
        self.assertNotIn(marker.encode(), res.stdout + res.stderr)
        # What the task saw, from its output:
        res = self.repopool(["--json", rs[0], "--", "sh", "-c",
                             "if (: > /dev/tty) 2>/dev/null; then echo opened-tty; else echo no-tty; fi; "
                             "set -- $(cat /proc/$$/stat); echo tty_nr=$7 sid_is_self=$([ $6 = $$ ] && echo yes)"])
        self.assertEqual(res.ends()[0]["summary"], "tty_nr=0 sid_is_self=yes")

    def test_writing_to_dev_tty_inside_tmux(self):
        for mode in (["--tui", "--exit-when-done"], ["--no-tui"]):
            with self.subTest(mode=mode[0]):
                rs = [self.repo() for _ in range(2)]
                marker = "TTY-MARKER-" + os.path.basename(self.tmp)
                tmux = Tmux(self)
                tmux.start(mode + ["-j", "2"] + rs + ["--"] + self.tty_script(marker))
                status, err = tmux.wait_exit()
                self.assertEqual(status, 1, tmux.screen())
                screen = tmux.screen()
                self.assertRegex(screen, r"(?m)^repopool: 2 tasks in [0-9.]+s: 0 ok, 2 failed; peak \d running$")
                self.assertNotIn(marker, screen)
                # pipe-pane's copy trails the terminal a little.
                raw = self.wait_until(lambda: b"repopool: 2 tasks" in tmux.raw() and tmux.raw(),
                                      "pipe-pane's copy of the summary")
                self.assertNotIn(marker.encode(), raw, "a task wrote to the terminal")
                self.assertNotIn(marker.encode(), err)
                # The failure lines say why, without the marker.
                failed = [l for l in screen.split("\n") if l.startswith("failed ")]
                self.assertEqual(len(failed), 2, screen)
                for l in failed:
                    self.assertIn("/dev/tty", l)
                tmux.kill()


if __name__ == "__main__":
    unittest.main(verbosity=2)
