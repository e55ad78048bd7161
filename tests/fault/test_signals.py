#!/usr/bin/env python3
"""Fault tests: SIGINT, SIGTERM and SIGHUP in the middle of a run.

Every task is `sh` running a background `sleep` (a grandchild) and a
foreground one, and writes its process group id and the grandchild's pid
into its repository. The signal goes to repopool's pid with os.kill, while
three tasks run and one waits in the queue. Afterwards: the exit status is
128 + the signal, the summary says the run was interrupted, every task
ended cancelled, and no process is left in any task's process group.

Headless runs (--no-tui, lines and JSON) and dashboard runs (--tui inside a
private tmux server; the pane's script records the exit status and the
terminal modes before and after) are both covered. Also: tasks that ignore
SIGTERM are killed after the grace period, a second SIGINT kills them at
once, the dashboard's terminal hanging up stops every task, and the reader
of repopool's output going away (SIGPIPE / EPIPE) must not leave running
tasks behind.

Nothing waits a fixed time for an outcome: deadlines only guard against a
hang.
"""

import os
import re
import shlex
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import TestCase  # noqa: E402
from lib.config import EVENT_TIMEOUT, REPOPOOL, RUN_TIMEOUT  # noqa: E402
from lib.events import check_no_sanitizer_report  # noqa: E402
from lib.procs import is_alive, kill_group, pgid_of, reap, wait_groups_gone  # noqa: E402
from lib.running import Running  # noqa: E402
from lib.tmux import Tmux  # noqa: E402

SIGNALS = [(signal.SIGINT, "INT"), (signal.SIGTERM, "TERM"), (signal.SIGHUP, "HUP")]

# The task: its group id (it leads a new session, so $$ is the group) and
# its background grandchild's pid, then a foreground child.
TASK = "echo $$ > .pgid; sleep 300 & echo $! > .bg; sleep 300"
# The same, ignoring SIGTERM (inherited by both sleeps).
TASK_IGNORING_TERM = "trap '' TERM; echo $$ > .pgid; sleep 300 & echo $! > .bg; sleep 300"

N_TASKS = 4
CAP = 3


class SignalBase(TestCase):
    def make_repos(self):
        return self.mkdirs(*("r%d" % i for i in range(N_TASKS)), under=self.unique("repos"))

    def running_tasks(self, repos, unless=None):
        """Waits until the first CAP tasks (FIFO) have written their ids;
        returns [(pgid, grandchild pid)] after checking they are what the
        task says: its own group, the grandchild in it."""
        running = repos[:CAP]
        files = [os.path.join(r, f) for r in running for f in (".pgid", ".bg")]
        self.wait_files(files, unless=unless)
        ids = []
        for r in running:
            pgid = self.read_int(os.path.join(r, ".pgid"))
            bg = self.read_int(os.path.join(r, ".bg"))
            self.assertEqual(pgid_of(pgid), pgid, "a task leads its own process group")
            self.assertEqual(pgid_of(bg), pgid, "the grandchild is in the task's group")
            ids.append((pgid, bg))
        self.addCleanup(self.kill_groups, ids)
        for r in repos[CAP:]:
            self.assertFalse(os.path.exists(os.path.join(r, ".pgid")), "a queued task ran")
        return ids

    @staticmethod
    def kill_groups(ids):
        for pgid, _bg in ids:
            kill_group(pgid)

    def assert_groups_gone(self, ids):
        self.assertEqual(wait_groups_gone([pgid for pgid, _bg in ids]), {},
                         "processes survive in task groups")
        for _pgid, bg in ids:
            self.assertFalse(is_alive(bg), "the grandchild %d survives" % bg)


class Headless(SignalBase):
    def interrupt(self, signum, name, json_mode, task=TASK, second=False):
        repos = self.make_repos()
        args = (["--json"] if json_mode else ["--no-tui"]) + ["-j", str(CAP)] + repos + \
            ["--", "sh", "-c", task]
        # stdin is a pipe kept open: repopool must not wait on it.
        p = Running(self, args, stdin=subprocess.PIPE)
        out = p.out
        ids = self.running_tasks(repos, unless=lambda: p.poll() is not None and
                                 "repopool exited with %s: %r" % (p.poll(), p.stdout()[-2000:]))
        os.kill(p.pid, signum)
        if second:
            # Signals of one kind do not queue: the second is sent once the
            # first has been acted on (the queued task ended cancelled).
            queued = '"repo":"%s"' % repos[-1]
            self.wait_until(lambda: any(b'"event":"end"' in l and queued.encode() in l for l in list(out)),
                            "the queued task to end after the first signal",
                            unless=lambda: p.poll() is not None and "repopool exited with %s" % p.poll())
            os.kill(p.pid, signum)
        try:
            p.wait(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.fail("repopool did not end after SIG%s" % name)
        res = p.result(json_events=json_mode)
        stdout = res.stdout
        self.assert_exit(res, 128 + signum)
        self.assert_groups_gone(ids)
        if json_mode:
            summary = self.check_events(res, total=N_TASKS)
            self.assertEqual(summary.get("interrupted"), name, res.describe())
            self.assertEqual(summary["cancelled"], N_TASKS, res.describe())
            by_repo = res.end_by_repo()
            for r in repos[:CAP]:
                self.assertEqual(by_repo[r]["attempt"], 1, res.describe())
            self.assertEqual(by_repo[repos[-1]]["attempt"], 0, "the queued task never started")
        else:
            lines = stdout.decode("utf-8").split("\n")
            self.assertEqual(lines[-1], "", "the output ends with a newline")
            lines = lines[:-1]
            # A line for each task that ran, one for the queued one, the
            # summary.
            self.assertEqual(len(lines), CAP + 2, res.describe())
            for r in repos[:CAP]:
                self.assertEqual(sum(1 for l in lines[:-1] if l.startswith("cancelled ") and
                                     ("  %s  " % r in l or l.endswith("  " + r))), 1, res.describe())
            self.assertEqual(lines[-2], "repopool: %d queued task%s cancelled" % (
                N_TASKS - CAP, "" if N_TASKS - CAP == 1 else "s"), res.describe())
            self.assertRegex(lines[-1], r"^repopool: %d tasks in [0-9.]+s: 0 ok, %d cancelled; "
                             r"peak %d running; interrupted by SIG%s$" % (N_TASKS, N_TASKS, CAP, name))
        p.proc.stdin.close()
        return res

    def test_lines(self):
        for signum, name in SIGNALS:
            with self.subTest(signal=name):
                self.interrupt(signum, name, json_mode=False)

    def test_json(self):
        for signum, name in SIGNALS:
            with self.subTest(signal=name):
                self.interrupt(signum, name, json_mode=True)

    def test_tasks_ignoring_sigterm_are_killed_after_the_grace(self):
        res = self.interrupt(signal.SIGINT, "INT", json_mode=True, task=TASK_IGNORING_TERM)
        for e in res.ends():
            self.assertEqual(e["status"], "cancelled", e)

    def test_second_sigint_kills_at_once(self):
        res = self.interrupt(signal.SIGINT, "INT", json_mode=True, task=TASK_IGNORING_TERM,
                             second=True)
        for e in res.ends():
            self.assertEqual(e["status"], "cancelled", e)


class Dashboard(SignalBase):
    """repopool --tui in a 100x30 pane of a private tmux server."""

    def dashboard(self, repos, task=TASK):
        tmux = Tmux(self)
        pid = tmux.start(["--tui", "-j", str(CAP)] + repos + ["--", "sh", "-c", task])
        ids = self.running_tasks(repos, unless=lambda: tmux.trouble(pid))
        self.wait_until(lambda: tmux.display("#{alternate_on}") == "1", "the dashboard")
        self.wait_until(lambda: re.match(r"running 3  queued 1 ", tmux.screen()),
                        "the header with three running")
        return tmux, pid, ids

    def test_signals_in_the_dashboard(self):
        for signum, name in SIGNALS:
            with self.subTest(signal=name):
                repos = self.make_repos()
                tmux, pid, ids = self.dashboard(repos)
                os.kill(pid, signum)
                status, err = tmux.wait_exit()
                self.assertEqual(status, 128 + signum, err)
                self.assert_groups_gone(ids)
                self.assertFalse(is_alive(pid), "repopool still runs")
                screen = tmux.screen()
                lines = screen.split("\n")
                summary = [l for l in lines if l.startswith("repopool: ") and " tasks in " in l]
                self.assertEqual(len(summary), 1, screen)
                self.assertRegex(summary[0], r"^repopool: %d tasks in [0-9.]+s: 0 ok, %d cancelled; "
                                 r"peak %d running; interrupted by SIG%s$" % (N_TASKS, N_TASKS, CAP, name))
                # What the signal cancelled stays in the scrollback as one
                # line, running and queued, not a line per task.
                self.assertFalse([l for l in lines if l.startswith("cancelled ")], screen)
                self.assertIn("repopool: %d tasks cancelled: %d running, %d queued" % (N_TASKS, CAP, N_TASKS - CAP),
                              lines, screen)
                tmux.kill()

    def test_terminal_hangs_up(self):
        """The terminal goes away under the dashboard (the tmux server is
        killed): repopool gets SIGHUP, its writes fail, and still every task
        is stopped and repopool ends."""
        repos = self.make_repos()
        tmux, pid, ids = self.dashboard(repos)
        tmux.kill()
        self.wait_until(lambda: not is_alive(pid), "repopool to end after the hangup", EVENT_TIMEOUT)
        self.assert_groups_gone(ids)


class ReaderGoesAway(SignalBase):
    """The reader of repopool's output goes away mid-run (`repopool ... |
    head -n 1`, a pager the user quits): the next write gets EPIPE or
    SIGPIPE. However repopool takes that, it must not leave its running
    tasks behind: after it has exited, no process remains in any task's
    group.

    Deterministic: every task but one waits for a file the test creates
    only after closing the pipe, so the first write after the close is the
    end of that one task (its line, or its JSON event)."""

    def reader_goes_away(self, mode):
        repos = self.make_repos()
        quick = repos[1]
        go = self.path("go")
        # The second task ends when told; the others run on, each with a
        # grandchild.
        self.write(os.path.join(quick, "quick"), "")
        script = ("echo $$ > .pgid; "
                  "if [ -e quick ]; then echo $$ > .bg; while [ ! -e %s ]; do sleep 0.05; done; "
                  "echo quick; exit 0; fi; "
                  "sleep 300 & echo $! > .bg; sleep 300" % shlex.quote(go))
        args = mode + ["-j", str(CAP)] + repos + ["--", "sh", "-c", script]
        p = subprocess.Popen([REPOPOOL] + args, env=self.env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(reap, p)
        self.running_tasks(repos, unless=lambda: p.poll() is not None and
                           "repopool exited with %s" % p.returncode)
        pgid_files = [os.path.join(r, ".pgid") for r in repos if r != quick]
        self.kill_groups_later(pgid_files)
        p.stdout.close()   # the reader goes away
        self.write(go, "")
        try:
            rc = p.wait(timeout=EVENT_TIMEOUT)
        except subprocess.TimeoutExpired:
            rc = None
        err = p.stderr.read()
        check_no_sanitizer_report(self, err)
        # The quick task's end let the queued one start, or not, before
        # repopool noticed: whichever tasks started must be gone.
        # A task started just before the stop may have been killed between
        # creating .pgid and writing it: an empty file, and no group left.
        pgids = [self.read_int(f) for f in pgid_files if os.path.exists(f) and os.path.getsize(f) > 0]
        left = wait_groups_gone(pgids)
        self.assertIsNotNone(rc, "repopool did not end after its reader went away")
        self.assertEqual(left, {},
                         "repopool ended (status %s, stderr %r) leaving its tasks running" % (rc, err[-500:]))

    def test_json_reader_goes_away(self):
        self.reader_goes_away(["--json"])

    def test_lines_reader_goes_away(self):
        self.reader_goes_away(["--no-tui"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
