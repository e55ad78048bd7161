#!/usr/bin/env python3
"""Fault tests: standard streams that are closed, and output that cannot be
written.

- Closed standard streams: repopool started with stdin, stdout or stderr
  closed (each alone, and all three), headless over a few directories and
  in demo mode, runs every task and exits normally: no abort, no core dump.
  A closed stdout is output that could not be written: exit 1, and one
  line on stderr when stderr is open.
- Write failures: stdout to /dev/full (lines and --json), --joblog
  /dev/full, and --json or --joblog to a regular file that cannot grow past
  a few hundred bytes (RLIMIT_FSIZE, SIGXFSZ ignored, so writes past it fail
  with EFBIG as on a full disk). Each run finishes its tasks (every
  directory gets the task's marker file), exits 1, says exactly once on
  stderr what it could not write, and leaves a file of whole lines only:
  every JSON line parses, every job log line has its nine columns, no
  partial last line. A failure of the summary line alone counts too.
- An interrupted run keeps its status (130) when its output also failed.
- A reader that went away (EPIPE) keeps its meaning: the run stops, exit
  141, and nothing is said on stderr.

Nothing waits a fixed time for an outcome: deadlines only guard against a
hang.
"""

import os
import resource
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import TestCase  # noqa: E402
from lib.config import EVENT_TIMEOUT, REPOPOOL, RUN_TIMEOUT  # noqa: E402
from lib.events import check_no_sanitizer_report, parse_events  # noqa: E402
from lib.procs import reap, wait_groups_gone  # noqa: E402

N_DIRS = 4
CANNOT = b"repopool: cannot write"

CLOSE = {
    "stdin": "<&-",
    "stdout": ">&-",
    "stderr": "2>&-",
    "all": "<&- >&- 2>&-",
}


def limit_file_size(limit):
    """A preexec_fn: writes past limit bytes fail with EFBIG instead of
    killing the process with SIGXFSZ (ignored signals stay ignored across
    exec)."""
    def preexec():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return preexec


class StreamsBase(TestCase):
    def make_dirs(self, n=N_DIRS):
        return self.mkdirs(*("d%02d" % i for i in range(n)), under=self.unique("dirs"))

    def assert_all_ran(self, dirs, what):
        missing = [d for d in dirs if not os.path.exists(os.path.join(d, "ran"))]
        self.assertEqual(missing, [], "tasks that did not run: %s" % what)

    def run_repopool(self, args, stdout=subprocess.PIPE, preexec_fn=None):
        res = self.repopool(args, cwd=self.tmp, json_events=False, stdout=stdout, preexec_fn=preexec_fn)
        return res.returncode, res.stdout, res.stderr

    def cannot_lines(self, err):
        return [l for l in err.split(b"\n") if l.startswith(CANNOT)]

    def assert_one_message(self, err, expected):
        lines = self.cannot_lines(err)
        self.assertEqual(len(lines), 1, "stderr: %r" % err[-2000:])
        self.assertEqual(lines[0].decode(), expected)


class ClosedStreams(StreamsBase):
    """repopool started with standard streams closed. Through `sh -c 'exec
    repopool ... >&-'`, so the status is repopool's own (a signal shows as a
    negative return code); core dumps are off so an abort leaves no file."""

    def run_closed(self, which, args):
        script = 'ulimit -c 0; exec "$0" "$@" ' + CLOSE[which]
        p = subprocess.Popen(["sh", "-c", script, REPOPOOL] + list(args), env=self.env,
                             cwd=self.tmp, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            out, err = p.communicate(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            self.fail("repopool with %s closed did not end" % which)
        check_no_sanitizer_report(self, err)
        what = "%s closed, %r: exit %s\nstdout %r\nstderr %r" % (
            which, args[:6], p.returncode, out[-1000:], err[-2000:])
        self.assertGreaterEqual(p.returncode, 0, "killed by a signal: " + what)
        self.assertNotEqual(p.returncode, 134, what)
        self.assertNotIn(b"Assertion", err, what)
        if which in ("stdout", "all"):
            self.assertEqual(p.returncode, 1, what)
        else:
            self.assertEqual(p.returncode, 0, what)
            self.assertIn(b"repopool: ", out, what)  # the summary
        if which == "stdout":
            self.assert_one_message(err, "repopool: cannot write to standard output: "
                                    "Bad file descriptor")
        return what

    def check_command(self, which):
        dirs = self.make_dirs()
        what = self.run_closed(which, ["--no-tui"] + dirs + ["--", "touch", "ran"])
        self.assert_all_ran(dirs, what)

    def check_demo(self, which):
        self.run_closed(which, ["--demo", "5", "--demo-mean", "0.01"])

    def test_stdin_closed(self):
        self.check_command("stdin")

    def test_stdout_closed(self):
        self.check_command("stdout")

    def test_stderr_closed(self):
        self.check_command("stderr")

    def test_all_closed(self):
        self.check_command("all")

    def test_stdin_closed_demo(self):
        self.check_demo("stdin")

    def test_stdout_closed_demo(self):
        self.check_demo("stdout")

    def test_stderr_closed_demo(self):
        self.check_demo("stderr")

    def test_all_closed_demo(self):
        self.check_demo("all")

    def test_true_all_closed(self):
        # The command of the report: `-- true`.
        dirs = self.make_dirs()
        self.run_closed("all", dirs + ["--", "true"])


class WriteFailures(StreamsBase):
    def test_stdout_full_lines(self):
        dirs = self.make_dirs()
        with open("/dev/full", "wb") as full:
            rc, _out, err = self.run_repopool(["--no-tui"] + dirs + ["--", "touch", "ran"],
                                              stdout=full)
        self.assertEqual(rc, 1, err)
        self.assert_one_message(err, "repopool: cannot write to standard output: "
                                "No space left on device")
        self.assert_all_ran(dirs, "stdout /dev/full")

    def test_stdout_full_json(self):
        dirs = self.make_dirs()
        with open("/dev/full", "wb") as full:
            rc, _out, err = self.run_repopool(["--json"] + dirs + ["--", "touch", "ran"],
                                              stdout=full)
        self.assertEqual(rc, 1, err)
        self.assert_one_message(err, "repopool: cannot write to standard output: "
                                "No space left on device")
        self.assert_all_ran(dirs, "--json to /dev/full")

    def test_joblog_full(self):
        dirs = self.make_dirs()
        rc, out, err = self.run_repopool(["--json", "--joblog", "/dev/full"] + dirs +
                                         ["--", "touch", "ran"])
        self.assertEqual(rc, 1, err)
        self.assert_one_message(err, "repopool: cannot write the job log /dev/full: "
                                "No space left on device")
        self.assert_all_ran(dirs, "--joblog /dev/full")
        # Standard output is untouched by the job log's trouble.
        events = parse_events(out)
        self.assertEqual(events[-1]["event"], "summary")
        self.assertEqual(events[-1]["ok"], len(dirs))

    def test_json_file_too_large(self):
        # Enough tasks that the events are far more than the limit, so some
        # line straddles it.
        dirs = self.make_dirs(30)
        limit = 1500
        target = self.path("events.json")
        with open(target, "wb") as f:
            rc, _out, err = self.run_repopool(["--json", "-j", "3"] + dirs + ["--", "touch", "ran"],
                                              stdout=f, preexec_fn=limit_file_size(limit))
        self.assertEqual(rc, 1, err)
        self.assert_one_message(err, "repopool: cannot write to standard output: File too large")
        self.assert_all_ran(dirs, "--json to a file that cannot grow")
        data = self.read(target)
        self.assertLessEqual(len(data), limit)
        self.assertTrue(data.endswith(b"\n"), "a partial last line: %r" % data[-200:])
        events = parse_events(data)   # every line is a JSON object
        self.assertGreater(len(events), 0)
        self.assertEqual(events[0]["event"], "cap")

    def test_joblog_file_too_large(self):
        dirs = self.make_dirs(30)
        limit = 700
        target = self.path("joblog")
        rc, out, err = self.run_repopool(["--no-tui", "--joblog", target] + dirs +
                                         ["--", "touch", "ran"], preexec_fn=limit_file_size(limit))
        self.assertEqual(rc, 1, err)
        self.assert_one_message(err, "repopool: cannot write the job log %s: File too large" % target)
        self.assert_all_ran(dirs, "--joblog to a file that cannot grow")
        data = self.read(target)
        self.assertLessEqual(len(data), limit)
        self.assertTrue(data.endswith(b"\n"), "a partial last line: %r" % data[-200:])
        lines = data.decode().split("\n")[:-1]
        self.assertTrue(lines[0].startswith("Seq\tHost\t"), lines[0])
        self.assertGreater(len(lines), 1)
        for line in lines:
            self.assertEqual(len(line.split("\t")), 9, "a broken job log line: %r" % line)
        # Standard output still has every task and the summary.
        self.assertIn(b"repopool: %d tasks" % len(dirs), out)

    def test_summary_line_fails(self):
        # The file takes exactly the task lines; the summary line written
        # after the run does not fit. The task lines are deterministic:
        # state, a duration of fixed width (under a minute), the path.
        dirs = self.make_dirs()
        lines = b"".join(b"ok           0.00s  %s\n" % d.encode() for d in dirs)
        target = self.path("lines")
        with open(target, "wb") as f:
            rc, _out, err = self.run_repopool(["--no-tui", "-j", "1"] + dirs + ["--", "touch", "ran"],
                                              stdout=f, preexec_fn=limit_file_size(len(lines)))
        self.assertEqual(rc, 1, err)
        self.assert_one_message(err, "repopool: cannot write to standard output: File too large")
        self.assert_all_ran(dirs, "summary to a file that cannot grow")
        data = self.read(target)
        # Whole task lines only (their durations may differ), and no part of
        # the summary.
        got = data.decode().split("\n")
        self.assertEqual(got[-1], "", "a partial last line: %r" % data[-200:])
        self.assertEqual(len(got) - 1, len(dirs), data)
        for line, d in zip(got, dirs):
            self.assertTrue(line.startswith("ok ") and line.endswith("  " + d), line)

    def test_interrupted_keeps_its_status(self):
        dirs = self.make_dirs(3)
        script = "echo $$ > .pgid; exec sleep 300"
        with open("/dev/full", "wb") as full:
            p = subprocess.Popen([REPOPOOL, "--json", "-j", "3"] + dirs + ["--", "sh", "-c", script],
                                 env=self.env, cwd=self.tmp, stdin=subprocess.DEVNULL,
                                 stdout=full, stderr=subprocess.PIPE)
        pgid_files = [os.path.join(d, ".pgid") for d in dirs]
        self.kill_groups_later(pgid_files)
        self.addCleanup(reap, p)
        self.wait_files(pgid_files, unless=lambda: p.poll() is not None and
                        "repopool exited with %s" % p.returncode)
        p.send_signal(signal.SIGINT)
        rc = p.wait(timeout=EVENT_TIMEOUT)
        err = p.stderr.read()
        check_no_sanitizer_report(self, err)
        self.assertEqual(rc, 130, err)
        self.assert_one_message(err, "repopool: cannot write to standard output: "
                                "No space left on device")
        left = wait_groups_gone([self.read_int(f) for f in pgid_files])
        self.assertEqual(left, {})

    def test_reader_gone_is_141_and_silent(self):
        r, w = os.pipe()
        os.close(r)  # the reader is gone before the first write
        try:
            rc, _out, err = self.run_repopool(["--json", "--demo", "3", "--demo-mean", "0.01"],
                                              stdout=w)
        finally:
            os.close(w)
        self.assertEqual(rc, 141, err)
        self.assertEqual(self.cannot_lines(err), [], err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
