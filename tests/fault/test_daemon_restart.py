#!/usr/bin/env python3
"""Fault test: the git server dies in the middle of a fetch and comes back.

Thirty repositories are cloned from a real `git daemon`; then the server
gets a commit of incompressible blobs in each, so every fetch has a couple
of megabytes to move. The clients reach the daemon through a throttling
relay (a separate process, its own process group), so transfers take
seconds and are certainly in flight when the server dies. While
`repopool --git fetch -j 8 --retries 10` runs, the test kills the daemon's
whole process group (the daemon and the upload-pack of every connection)
and the relay with SIGKILL, waits a moment, and starts both again on the
same ports. Connections in flight break, new ones are refused for a
while; the retries must bring everything: exit 0, every repository has the
server's commits, and `git fsck` finds every repository sound.

The same runs with `--fetch-with=git` (git fetch children) over twelve
repositories.

Apart from the one-second outage, which is the fault itself, nothing waits
a fixed time: the test polls for what it expects with deadlines that only
guard against a hang.
"""

import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import TestCase  # noqa: E402
from lib.config import EVENT_TIMEOUT, RUN_TIMEOUT, TRANSIENT  # noqa: E402
from lib.gitdaemon import GitDaemon, lasting_free_port  # noqa: E402
from lib.relays import KillableRelay  # noqa: E402
from lib.running import Running  # noqa: E402

N_REPOS = 30
BLOBS = 2
BLOB_SIZE = 1 << 20          # two 1 MiB random blobs per repository
RATE = 512 * 1024             # bytes per second per connection through the relay
IN_FLIGHT_AT_KILL = 3         # transfers past their first 256 KiB when the server dies


class DaemonRestart(TestCase):
    def setUp(self):
        super().setUp()
        self.base = self.path("served")
        os.mkdir(self.base)
        self.daemon = GitDaemon(self, self.base)
        self.addCleanup(self.daemon.kill)
        self.relay = None

    def make_fleet(self, n):
        """n clones whose origin is the relay's URL; the server then moves
        main ahead by a big commit and gains a tag and a branch."""
        fleet = []
        for i in range(n):
            name = "r%02d.git" % i
            bare = self.init(os.path.join(self.base, name), bare=True)
            seed = self.new_repo(self.path("seed", name), {"README": "repo %d\n" % i})
            self.git("push", "-q", bare, "main", cwd=seed)
            local = self.path("repos", "r%02d" % i)
            self.git("clone", "-q", bare, local)
            self.git("remote", "set-url", "origin", "git://127.0.0.1:%d/%s" % (self.relay_port, name),
                     cwd=local)
            head = self.rev(bare, "main")
            blobs = {"blob%d.bin" % k: os.urandom(BLOB_SIZE) for k in range(BLOBS)}
            new = self.fast_import(bare, "refs/heads/main", blobs, parent=head)
            self.git("update-ref", "refs/heads/side-%d" % i, new, cwd=bare)
            self.git("tag", "v%d" % i, new, cwd=bare)
            fleet.append((local, bare))
        return fleet

    def start_relay(self):
        # A new relay object: the old one's lines tell what the kill cut.
        self.relay = KillableRelay(self, self.relay_port, self.daemon.port, RATE)
        self.assertTrue(self.relay.start(), "the relay could not listen on port %d" % self.relay_port)
        self.addCleanup(self.relay.kill)

    def test_server_killed_mid_fetch_and_restarted(self):
        self.scenario(N_REPOS, [])

    def test_server_killed_mid_fetch_and_restarted_fetch_with_git(self):
        """The same with `git fetch` children, whose failures are read from
        their output."""
        self.scenario(12, ["--fetch-with=git"])

    def tag(self, repo, name):
        p = self.git("rev-parse", "--verify", "-q", "refs/tags/" + name, cwd=repo, check=False)
        return p.stdout.decode().strip() if p.returncode == 0 else None

    def scenario(self, n_repos, extra_args):
        self.assertTrue(self.daemon.start(check=False), "git daemon would not start:\n" + self.daemon.log())
        daemon_port = self.daemon.port
        self.relay_port = lasting_free_port()
        self.start_relay()
        fleet = self.make_fleet(n_repos)
        locals_ = [l for l, _ in fleet]
        before = {l: (self.rev(l, "HEAD"), self.git("status", "--porcelain", cwd=l)) for l in locals_}

        args = ["--git", "fetch", "-j", "8", "--retries", "10", "--json"] + extra_args + locals_
        p = Running(self, args)

        # Several transfers are under way: kill the server in their middle.
        self.wait_until(lambda: len(self.relay.in_flight()) >= IN_FLIGHT_AT_KILL or p.poll() is not None,
                        "%d transfers in flight" % IN_FLIGHT_AT_KILL, EVENT_TIMEOUT)
        self.assertIsNone(p.poll(), "repopool ended before the server could be killed")
        # The relay first, so every transfer it carries is cut at once, and
        # the daemon's whole group right after it.
        self.relay.kill()
        left = self.daemon.kill()
        self.assertEqual(left, [], "the daemon's group survived SIGKILL")
        cut = self.relay.in_flight()
        self.assertTrue(cut, "no transfer was in flight when the server died")
        ends_at_kill = sum(1 for c in list(p.out) if b'"event":"end"' in c)

        # A moment later the server comes back on the same ports. Meanwhile
        # new connections are refused, and tasks that saw a failure wait to
        # retry.
        time.sleep(1.0)
        self.assertTrue(self.daemon.start(port=daemon_port, check=False),
                        "git daemon would not start again on port %d:\n%s" % (daemon_port, self.daemon.log()))
        self.start_relay()

        try:
            p.wait(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.fail("repopool did not end after the server came back")
        res = p.result()
        self.assert_exit(res, 0)
        summary = self.check_events(res, total=n_repos)
        self.assertEqual(summary["ok"], n_repos, res.describe())
        self.assertLessEqual(summary["peak_running"], 8)
        self.assertLess(ends_at_kill, n_repos, "everything had ended before the kill")

        # The kill broke transfers in flight: their attempts failed as
        # something transient and were retried.
        retries = res.of("retry")
        for r in retries:
            self.assertIn(r.get("class"), TRANSIENT, r)
        broken = {r["id"] for r in retries if r.get("class") == "network"}
        self.assertTrue(broken, "%d transfers were cut, yet no attempt failed as a network error: %r" % (
            len(cut), retries[:5]))
        for e in res.ends():
            self.assertEqual((e["status"], e["class"]), ("ok", "none"), e)
        sys.stderr.write("\n%d transfers cut, %d retries (%s); attempts at most %d\n" % (
            len(cut), len(retries), ", ".join(sorted({"%s: %s" % (r.get("class"), r.get("summary", "")[:80])
                                                      for r in retries})),
            max(e["attempt"] for e in res.ends())))

        problems = []
        for local, bare in fleet:
            arrival = self.arrival_problem(local, bare)
            if arrival:
                problems.append(arrival)
            i = int(os.path.basename(local)[1:])
            if self.tag(local, "v%d" % i) != self.tag(bare, "v%d" % i):
                problems.append("%s: tag v%d did not arrive" % (local, i))
            fsck = self.git("fsck", "--full", "--strict", "--no-progress", cwd=local, check=False)
            if fsck.returncode != 0 or fsck.stderr.strip():
                problems.append("%s: git fsck exit %d:\n%s%s" % (
                    local, fsck.returncode, fsck.stdout.decode("utf-8", "replace"),
                    fsck.stderr.decode("utf-8", "replace")))
            # A fetch touches neither HEAD nor the working tree.
            now = (self.rev(local, "HEAD"), self.git("status", "--porcelain", cwd=local))
            if now != before[local]:
                problems.append("%s: HEAD or worktree changed: %r -> %r" % (local, before[local], now))
        self.assertFalse(problems, "\n".join(problems) + "\n" + res.describe())


if __name__ == "__main__":
    unittest.main(verbosity=2)
