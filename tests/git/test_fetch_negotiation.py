#!/usr/bin/env python3
"""Fetch negotiation: on repositories shaped like real ones (years of
history, hundreds of branches) a `repopool --git fetch` must receive what
`git fetch` receives, not the history both sides already share. Each case
fetches the same change into two copies of one clone, one with git and one
with repopool, each through a relay that records what the server sent, and
compares the objects in the packs.

libgit2 1.5 alone sent its oldest branch tips as haves and stopped after
the first acknowledged batch: for 3 new commits the server sent 2,803
commits again. Speed is the benchmarks' business (tests/bench/run).

The binary is named by the REPOPOOL environment variable; each test has
the sandbox of tests/lib/base.py.
"""

import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import DaemonTestCase  # noqa: E402
from lib.config import GIT_TIMEOUT  # noqa: E402
from lib.relays import RecordingRelay, pack_objects_sent  # noqa: E402

START = 1600000000  # committer time of the first commit


class History:
    """A fast-import stream of commits, one minute apart unless told."""

    def __init__(self):
        self.stream = bytearray()
        self.mark = 0

    def commit(self, ref, when, parent=None, files=1):
        self.mark += 1
        s = self.stream
        s += b"commit %s\nmark :%d\n" % (ref.encode(), self.mark)
        s += b"committer T <t@example.invalid> %d +0000\ndata 2\nc\n" % when
        if parent:
            s += b"from %s\n" % parent.encode()
        for f in range(files):
            body = b"%d %d\n" % (self.mark, f)
            s += b"M 100644 inline f%d/%d.txt\ndata %d\n%s\n" % (self.mark % 50, f, len(body), body)
        s += b"\n"
        return ":%d" % self.mark

    def reset(self, ref, at):
        self.stream += b"reset %s\nfrom %s\n\n" % (ref.encode(), at.encode())


class FetchNegotiation(DaemonTestCase):

    def import_into(self, repo, history):
        p = subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, env=self.env,
                           input=bytes(history.stream), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=GIT_TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr)

    def served_history(self, name, commits=3000, branch_every=10):
        """A bare repository on the daemon: commits on main, a branch at
        every branch_every-th commit."""
        bare = self.init(os.path.join(self.base, name), bare=True)
        h = History()
        for i in range(commits):
            mark = h.commit("refs/heads/main", START + 60 * i)
            if (i + 1) % branch_every == 0:
                h.reset("refs/heads/b%04d" % (i + 1), mark)
        self.import_into(bare, h)
        return bare

    def add_commits(self, bare, ref, n, when, parent=None):
        h = History()
        parent = parent or self.rev(bare, ref)
        for i in range(n):
            parent = h.commit(ref, when + 60 * i, parent=parent)
        self.import_into(bare, h)

    def fetch_both(self, bare, name, change):
        """Clones bare, lets change(bare) move the server on, then fetches
        into one copy with git and into another with repopool. Returns the
        objects each received."""
        relay = self.add_relay(RecordingRelay(self.daemon.port))
        by_git = self.clone_via(relay.url(name), self.path("git", name))
        by_repopool = self.path("repopool", name)
        shutil.copytree(by_git, by_repopool, symlinks=True)
        relay.take()
        change(bare)

        self.git("fetch", "-q", "origin", cwd=by_git)
        git_objects = pack_objects_sent(relay.take())
        res, ends = self.run_over(["--git", "fetch"], [by_repopool])
        self.assert_all_ok(res, ends)
        repopool_objects = pack_objects_sent(relay.take())

        # Both now have what the server has.
        self.assertIsNone(self.arrival_problem(by_git, bare))
        self.assertIsNone(self.arrival_problem(by_repopool, bare))
        self.git("fsck", "--connectivity-only", "--no-progress", cwd=by_repopool)
        return git_objects, repopool_objects

    def test_three_new_commits_over_many_branches(self):
        """The issue's fixture: 3,000 commits, a branch at every 10th, three
        new commits on main. git receives those 3 commits, their trees and
        blobs; so must repopool."""
        self.start_daemon()
        bare = self.served_history("many.git")
        got = self.fetch_both(bare, "many.git",
                              lambda b: self.add_commits(b, "refs/heads/main", 3, START + 60 * 3000))
        git_objects, repopool_objects = got
        self.assertGreater(git_objects, 0)
        self.assertEqual(repopool_objects, git_objects, "objects received (git, repopool)")

    def test_an_older_branch_and_main_both_move(self):
        """A release branch forked long ago whose commits are dated before
        main's newest: a walk by date alone from all tips would never reach
        its tip in the first batch; the tips of the refs being fetched come
        first."""
        self.start_daemon()
        bare = self.served_history("release.git")
        fork = self.git("rev-list", "--skip=2000", "-1", "refs/heads/main", cwd=bare).strip()
        self.add_commits(bare, "refs/heads/release", 100, START + 60 * 2900, parent=fork)

        def change(b):
            self.add_commits(b, "refs/heads/main", 3, START + 60 * 4000)
            self.add_commits(b, "refs/heads/release", 3, START + 60 * 3950)
        git_objects, repopool_objects = self.fetch_both(bare, "release.git", change)
        self.assertGreater(git_objects, 0)
        self.assertEqual(repopool_objects, git_objects, "objects received (git, repopool)")

    def test_nothing_new_receives_no_pack(self):
        self.start_daemon()
        bare = self.served_history("quiet.git", commits=500)
        git_objects, repopool_objects = self.fetch_both(bare, "quiet.git", lambda b: None)
        self.assertEqual((git_objects, repopool_objects), (0, 0))


if __name__ == "__main__":
    unittest.main()
