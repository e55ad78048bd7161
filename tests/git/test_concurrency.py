#!/usr/bin/env python3
"""Tests of how many libgit2 operations repopool really runs at once,
through the real binary, real repositories, a real `git daemon` and a TCP
relay in front of it that answers each connection late and counts
connections.

The cap is checked where it matters, on the wire: a relay that answers each
connection after a delay sees as many connections at once as repopool has
fetches in flight; tasks that block (a FIFO for a config) hold only their
own slots. Each test works in its own temporary directory with its own HOME
(GIT_CONFIG_NOSYSTEM=1), picks free ports and stops every process it
started. The binary is named by the REPOPOOL environment variable. Delays
only shape what the server does; every assertion is about counts and
outcomes, none about how fast anything went.
"""

import os
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import DaemonTestCase, TestCase  # noqa: E402
from lib.relays import DelayingRelay  # noqa: E402

# Only guards against a hang; a healthy run of any test here takes seconds.
GUARD_TIMEOUT = 120


class WorkerThreads(DaemonTestCase):
    """A burst of N fetches runs on N threads at once, up to the cap.

    Each connection is answered 2 s late, so fetches that really run
    together overlap on the wire whatever the machine's speed: the relay's
    peak of open connections is the number of fetches in flight. A pool
    that runs a burst on fewer threads than it reports shows a smaller peak
    than the JSON summary's peak_running, and with --timeout the tasks
    queued behind the slow ones time out without ever connecting.
    """

    daemon_at_setup = True

    N = 8
    DELAY = 2.0

    def setUp(self):
        super().setUp()
        self.relay = self.add_relay(DelayingRelay(self.daemon.port, delay=0))
        # N copies of one served repository, each cloned through the relay.
        first, self.work = self.served_repo("w00.git")
        self.fleet = []
        for i in range(self.N):
            name = "w%02d.git" % i
            bare = os.path.join(self.base, name)
            if bare != first:
                shutil.copytree(first, bare, symlinks=True)
            local = self.path("repos", "w%02d" % i)
            self.git("clone", "-q", self.relay.url(name), local)
            self.fleet.append((local, bare))

    def fetch_all(self, jobs, extra=()):
        """Every server repository gets a new commit; one run fetches all."""
        head = self.commit(self.work, {self.unique("f") + ".txt": self.unique("content")})
        for _, bare in self.fleet:
            self.git("push", "-q", bare, "main", cwd=self.work)
        locals_ = [local for local, _ in self.fleet]
        self.wait_relay_idle(self.relay)
        self.relay.delay = self.DELAY
        try:
            res, ends = self.run_over(["--git", "fetch", "-j", str(jobs)] + list(extra), locals_)
        finally:
            self.relay.delay = 0
        self.assert_all_ok(res, ends)
        for local in locals_:
            self.assertEqual(self.tracking(local), head, "%s: new commit not fetched" % local)
        return res

    def assert_peak(self, res, cap):
        counts = self.relay.counts()
        summary = res.summary()
        self.assertIsNotNone(summary, res.describe())
        # Every fetch connected once, and as many were on the wire at once as
        # the cap allows, never more.
        self.assertEqual(counts["total"], self.N, counts)
        self.assertEqual(counts["peak"], cap,
                         "the server saw at most %d connections at once at -j %d (summary: %s)"
                         % (counts["peak"], cap, summary))
        self.assertEqual(summary["peak_running"], counts["peak"],
                         "peak_running disagrees with the connections the server saw")
        # The first burst (the cap's worth of tasks started together) was on
        # the wire together: the cap-th connection found all of them open. A
        # pool that grows its threads only later reaches the cap at last,
        # but not with its first burst.
        self.assertEqual(counts["open_at_accept"][cap - 1], cap,
                         "the first %d fetches did not reach the server together: open "
                         "connections at each accept %s" % (cap, counts["open_at_accept"]))

    def test_burst_runs_at_the_cap(self):
        res = self.fetch_all(8)
        self.assert_peak(res, 8)

    def test_cap_below_the_burst(self):
        res = self.fetch_all(3)
        self.assert_peak(res, 3)

    def test_queued_fetches_do_not_time_out(self):
        """--timeout counts from a task's start; a fetch that was started
        must be running, not waiting for a thread."""
        res = self.fetch_all(8, ["--timeout", "5"])
        self.assertEqual(res.retries(), [])
        self.assert_peak(res, 8)

    def wait_relay_idle(self, relay):
        """The relay's threads close a connection a moment after the client
        did; counts start afresh only once all are closed."""
        deadline = time.monotonic() + 30
        while relay.counts()["current"] and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(relay.counts()["current"], 0, "relay connections never closed")
        relay.reset_counts()


class BlockedWorker(TestCase):
    """Repositories whose .git/config is a FIFO: opening it blocks until a
    writer comes, which never does. --timeout must end those tasks, and the
    others must not wait behind them. The blocked ones come first in the
    queue, so a pool that ran the burst on fewer threads than the cap would
    leave the healthy ones queued until they time out too."""

    def test_fifo_config(self):
        for n_fifo in (1, 3):
            with self.subTest(fifos=n_fifo):
                self.run_with_fifos(n_fifo, 8 - n_fifo)

    def run_with_fifos(self, n_fifo, n_healthy):
        fifos = [self.new_repo(self.path(self.unique("fifo"))) for _ in range(n_fifo)]
        for repo in fifos:
            config = os.path.join(repo, ".git", "config")
            os.unlink(config)
            os.mkfifo(config)
        healthy = [self.new_repo(self.path(self.unique("healthy"))) for _ in range(n_healthy)]
        repos = fifos + healthy
        res = self.repopool(["--no-tui", "--git", "status", "-j", "8", "--timeout", "3"] + repos,
                            timeout=GUARD_TIMEOUT)
        self.assert_exit(res, 1)
        ends = res.end_by_repo()
        self.assertEqual(sorted(ends), sorted(repos), res.describe())
        self.assertEqual(len(res.ends()), len(repos), res.describe())
        for repo in fifos:
            e = ends.pop(repo)
            self.assertEqual((e["status"], e["class"]), ("failed", "timeout"), res.describe())
        bad = {r: (e["status"], e["class"], e.get("summary")) for r, e in ends.items()
               if (e["status"], e["class"]) != ("ok", "none")}
        self.assertEqual(bad, {}, res.describe())
        self.assertEqual((res.summary()["ok"], res.summary()["failed"]), (n_healthy, n_fifo),
                         res.describe())


if __name__ == "__main__":
    unittest.main(verbosity=2)
