#!/usr/bin/env python3
"""Fault tests: the pool stays in the user's hands whatever it is asked to do.

- Rates out of range are usage errors (exit 2, one line naming the value
  and the accepted range); the smallest accepted rate makes the loop wait,
  not spin, and a signal still ends the run at once.
- A burst of tasks that end as soon as they start (zero-length demo tasks)
  does not keep the loop from hearing a signal: a SIGTERM in the middle of
  three million of them cancels the rest.
- Interrupting a run prints the tasks that ran and one line for the queued
  tasks that were cancelled, not one line each.

Nothing waits a fixed time for an outcome: deadlines only guard against a
hang.
"""

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import TestCase  # noqa: E402
from lib.config import EVENT_TIMEOUT, REPOPOOL, RUN_TIMEOUT  # noqa: E402
from lib.events import check_no_sanitizer_report, parse_events  # noqa: E402
from lib.procs import ppid_of, reap  # noqa: E402


class Rate(TestCase):
    def test_out_of_range_rates_are_usage_errors(self):
        for rate in ("1e-17", "0", "-1", "2e6", "inf", "nan"):
            with self.subTest(rate=rate):
                res = self.repopool(["--rate", rate, "--demo", "3"], json_events=False)
                self.assert_exit(res, 2)
                err = res.stderr.decode()
                self.assertEqual(err.count("\n"), 1, err)
                self.assertIn("--rate", err)
                self.assertIn("'%s'" % rate, err)
                self.assertIn("0.000001", err.replace("1e-06", "0.000001"), err)

    def test_smallest_rate_waits_without_spinning_and_hears_signals(self):
        # The first task starts at once (the bucket starts full); the second
        # would start in about eleven days. Meanwhile the loop must sleep,
        # and SIGTERM must end the run.
        proc = subprocess.Popen([REPOPOOL, "--json", "--rate", "1e-6", "--demo", "3",
                                 "--demo-mean", "0"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env)
        try:
            first = proc.stdout.readline()  # the cap event: signals are handled now
            self.assertIn(b'"event":"cap"', first)
            seen = []
            while not any(b'"event":"end"' in line for line in seen):
                seen.append(proc.stdout.readline())
            usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            # A spinning loop would burn a second of CPU here.
            time.sleep(1.0)
            os.kill(proc.pid, signal.SIGTERM)
            out, err = proc.communicate(timeout=EVENT_TIMEOUT)
        finally:
            reap(proc)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (usage.ru_utime + usage.ru_stime) - (usage_before.ru_utime + usage_before.ru_stime)
        self.assertEqual(proc.returncode, 143, err.decode(errors="replace"))
        check_no_sanitizer_report(self, err)
        events = parse_events(b"".join(seen) + out)
        summary = [e for e in events if e["event"] == "summary"]
        self.assertEqual(len(summary), 1)
        self.assertEqual(summary[0]["ok"], 1)
        self.assertEqual(summary[0]["cancelled"], 2)
        # The whole child's CPU, start-up included: far below the second a
        # spinning loop would have used while we slept.
        self.assertLess(cpu, 0.5, "repopool used %.2fs of CPU while waiting for a rate token" % cpu)


class Burst(TestCase):
    def test_signal_heard_in_a_burst_of_instant_tasks(self):
        n = 3000000
        proc = subprocess.Popen([REPOPOOL, "--json", "--demo", str(n), "--demo-mean", "0", "-j", "64"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env)
        try:
            # Once the first end is out, the burst is under way and the
            # signal handlers are installed.
            while b'"event":"end"' not in proc.stdout.readline():
                pass
            os.kill(proc.pid, signal.SIGTERM)
            out, err = proc.communicate(timeout=RUN_TIMEOUT)
        finally:
            reap(proc)
        self.assertEqual(proc.returncode, 143, err.decode(errors="replace"))
        check_no_sanitizer_report(self, err)
        tail = out[out.rfind(b"\n", 0, len(out) - 1) + 1:]
        summary = parse_events(tail)[0]
        self.assertEqual(summary["event"], "summary")
        self.assertEqual(summary["total"], n)
        self.assertEqual(summary.get("interrupted"), "TERM")
        # Heard in the middle: a loop deaf until the burst was over would
        # have let every task end ok first.
        self.assertGreater(summary["cancelled"], 0, summary)


class Resources(TestCase):
    """Starts that fail for want of descriptors or processes lose nothing:
    the task goes back to the head of the queue and the pool is held lower
    until a task ends."""

    def dirs(self, n, mode=None):
        out = self.mkdirs(*("r%03d" % i for i in range(n)))
        if mode is not None:
            for d in out:
                os.chmod(d, mode)
        return out

    def run_limited(self, args, preexec, prefix=()):
        res = self.repopool(args, cwd=self.path(), prefix=prefix, preexec_fn=preexec)
        return res.returncode, res.events, res.stderr.decode(errors="replace")

    def check_all_ok(self, status, events, err, n, why):
        ends = [e for e in events if e["event"] == "end"]
        self.assertEqual(status, 0, err)
        self.assertEqual(len(ends), n)
        self.assertEqual(sorted(e["status"] for e in ends), ["ok"] * n, err)
        # Every start is an attempt that ran: none was undone and reported.
        self.assertEqual(len([e for e in events if e["event"] == "start"]), n)
        self.assertTrue(all(e["attempt"] == 1 for e in ends))
        # Said once, on stderr, naming what ran out.
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertIn(why, lines[0])
        summary = [e for e in events if e["event"] == "summary"][0]
        self.assertLess(summary["peak_running"], 256)

    def test_descriptor_limit_loses_nothing(self):
        n = 300
        dirs = self.dirs(n)

        def limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
        status, events, err = self.run_limited(["--json", "-j", "256"] + dirs + ["--", "sleep", "0.2"], limit)
        self.check_all_ok(status, events, err, n, "too many open files")

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("setpriv"),
                         "needs root and setpriv: root's processes are not counted against RLIMIT_NPROC")
    def test_process_limit_loses_nothing(self):
        n = 300
        dirs = self.dirs(n, mode=0o777)
        os.chmod(self.path(), 0o777)

        def limit():
            resource.setrlimit(resource.RLIMIT_NPROC, (60, 60))
        # RLIMIT_NPROC binds everyone but root: run as nobody (who cannot
        # write the history in root's sandboxed HOME: not this test's word).
        status, events, err = self.run_limited(
            ["--json", "--no-history", "-j", "256"] + dirs + ["--", "sleep", "0.2"], limit,
            prefix=("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"))
        self.check_all_ok(status, events, err, n, "resource temporarily unavailable")


class InterruptedLines(TestCase):
    def test_queued_tasks_cancelled_in_one_line(self):
        dirs = self.mkdirs(*("d%03d" % i for i in range(134)))
        proc = subprocess.Popen([REPOPOOL, "--no-tui", "-j", "2"] + dirs + ["--", "sleep", "30"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=self.path(),
                                env=self.env)
        try:
            # Both running tasks have started once their sleeps exist.
            self.wait_until(lambda: len(self._sleeps_under(proc.pid)) == 2, "two tasks running")
            os.kill(proc.pid, signal.SIGINT)
            out, err = proc.communicate(timeout=RUN_TIMEOUT)
        finally:
            reap(proc)
        self.assertEqual(proc.returncode, 130, err.decode(errors="replace"))
        lines = out.decode().splitlines()
        # The two that ran, one line for the 132 that never started, and
        # the summary.
        self.assertEqual(len(lines), 4, "\n".join(lines))
        self.assertEqual(sum(1 for line in lines if line.startswith("cancelled ")), 2, lines)
        self.assertIn("repopool: 132 queued tasks cancelled", lines)
        self.assertTrue(lines[-1].startswith("repopool: 134 tasks"), lines[-1])
        self.assertIn("134 cancelled", lines[-1])

    @staticmethod
    def _sleeps_under(ppid):
        found = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    cmd = f.read().split(b"\0")
            except OSError:
                continue
            if cmd[:2] == [b"sleep", b"30"] and ppid_of(int(pid)) == ppid:
                found.append(int(pid))
        return found


if __name__ == "__main__":
    unittest.main()
