#!/usr/bin/env python3
"""Per-host limits and adaptive concurrency against a real `git daemon`
behind a relay that has room for only a few connections at once and resets
the next before saying anything, as a daemon past --max-connections does.

What is checked is what a user would notice: with --per-host the server
never sees more connections at once than the limit; with --adaptive and
retries, a cap far above the server's room still fetches every repository,
the events name the host, and the learned limit comes down. Counts and
outcomes only, nothing about how fast.

The binary is named by the REPOPOOL environment variable; each test has
the sandbox of tests/lib/base.py.
"""

import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import DaemonTestCase  # noqa: E402
from lib.relays import RefusingRelay  # noqa: E402


class Hosts(DaemonTestCase):
    daemon_at_setup = True
    N = 16

    def fleet_behind(self, relay):
        """N clones through the relay, each a commit behind its server."""
        first, work = self.served_repo("h00.git")
        fleet = []
        for i in range(self.N):
            name = "h%02d.git" % i
            bare = os.path.join(self.base, name)
            if bare != first:
                shutil.copytree(first, bare, symlinks=True)
            fleet.append((self.clone_via(self.daemon.url(name), self.path("repos", "h%02d" % i)), bare))
        self.push_commit(work, "main")
        for i in range(1, self.N):
            self.git("fetch", "-q", first, "main:main", cwd=os.path.join(self.base, "h%02d.git" % i))
        for local, _bare in fleet:
            self.git("remote", "set-url", "origin", relay.url(os.path.basename(_bare)), cwd=local)
        return fleet

    def test_per_host_limit_holds_on_the_wire(self):
        relay = self.add_relay(RefusingRelay(self.daemon.port, limit=100))
        fleet = self.fleet_behind(relay)
        relay.reset_counts()
        res, ends = self.run_over(["--git", "fetch", "-j", "16", "--per-host", "2"], [l for l, _ in fleet])
        self.assert_all_ok(res, ends)
        for e in ends.values():
            self.assertEqual(e["host"], "127.0.0.1")
        self.assertLessEqual(relay.counts()["peak"], 2, relay.counts())
        self.assertEqual(self.arrival_problems(fleet), [])

    def test_adaptive_fetches_all_from_a_server_with_room_for_four(self):
        relay = self.add_relay(RefusingRelay(self.daemon.port, limit=4))
        fleet = self.fleet_behind(relay)
        res, ends = self.run_over(["--git", "fetch", "-j", "16", "--adaptive", "--retries", "8"],
                                  [l for l, _ in fleet])
        self.assert_all_ok(res, ends)
        self.assertEqual(self.arrival_problems(fleet), [])
        learned = [e for e in res.events if e["event"] == "cap" and e.get("by") == "adaptive"]
        self.assertTrue(learned, res.describe())
        self.assertTrue(all(e["host"] == "127.0.0.1" for e in learned), learned)
        # It never went above the cap, and the server's refusals brought it
        # down below the cap if it got that far.
        self.assertTrue(all(1 <= e["cap"] <= 16 for e in learned), learned)
        if relay.refused:
            self.assertLess(min(e["cap"] for e in learned), 16, learned)

    def arrival_problems(self, fleet):
        return [p for p in (self.arrival_problem(local, bare) for local, bare in fleet) if p]


if __name__ == "__main__":
    unittest.main()
