#!/usr/bin/env python3
"""What a failed git task is called decides whether --retries tries it
again, and what the job log says decides what a replay does.

- A server that says the repository is not there (git daemon: "no such
  repository", "not exported") is not-a-repo, never retried.
- A failure of the local disk (here: FETCH_HEAD is a directory, EISDIR) is
  not network, never retried, with libgit2 and with a git child alike.
- A server at its connection limit (git daemon --max-connections closes
  a new connection before it says anything) is refused, the class an
  adaptive pool backs off from, with libgit2 and with a git child alike.
- The job log of a pull records a command that does what repopool did: a
  pull replayed from it (as GNU parallel's --retry-failed would) refuses a
  dirty repository as repopool did, where `git pull` would merge.
"""

import os
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import DaemonTestCase  # noqa: E402
from lib.config import TRANSIENT  # noqa: E402
from lib.snapshots import tree_snapshot  # noqa: E402


class Classes(DaemonTestCase):
    daemon_at_setup = True

    def clone_of(self, name):
        _bare, work = self.served_repo(name, {"a.txt": "a\n"})
        local = self.clone_via(self.daemon.url(name), self.path("clones", name))
        return work, local

    def test_missing_remote_repository_is_not_retried(self):
        local = self.new_repo(self.path("repos", "orphan"))
        self.git("remote", "add", "origin", self.daemon.url("gone.git"), cwd=local)
        self.git("config", "branch.main.remote", "origin", cwd=local)
        self.git("config", "branch.main.merge", "refs/heads/main", cwd=local)
        for fetch_with in ("libgit2", "git"):
            for op in ("fetch", "pull"):
                with self.subTest(op=op, fetch_with=fetch_with):
                    res = self.repopool(["--git", op, "--fetch-with=" + fetch_with, "--retries", "2", local])
                    self.assert_exit(res, 1)
                    e = self.single_end(res, local)
                    self.assertEqual((e["status"], e["class"]), ("failed", "not-a-repo"), res.describe())
                    self.assertEqual(res.retries(), [], res.describe())
                    self.assertEqual(e["attempt"], 1, res.describe())

    def test_local_disk_failure_is_not_network(self):
        work, local = self.clone_of("disk.git")
        self.commit(work, {"b.txt": "b\n"})
        self.git("push", "-q", "origin", "main", cwd=work)
        fetch_head = os.path.join(local, ".git", "FETCH_HEAD")
        if os.path.exists(fetch_head):
            os.unlink(fetch_head)
        os.makedirs(fetch_head)  # every write of FETCH_HEAD fails: EISDIR
        for fetch_with in ("libgit2", "git"):
            with self.subTest(fetch_with=fetch_with):
                res = self.repopool(["--git", "fetch", "--fetch-with=" + fetch_with, "--retries", "2", local])
                self.assert_exit(res, 1)
                e = self.single_end(res, local)
                self.assertEqual(e["status"], "failed", res.describe())
                self.assertNotIn(e["class"], TRANSIENT, res.describe())
                self.assertEqual(res.retries(), [], res.describe())

    def test_joblog_replays_a_pull_with_its_refusals(self):
        work_a, clean = self.clone_of("clean.git")
        work_b, dirty = self.clone_of("dirty.git")
        for work in (work_a, work_b):
            self.commit(work, {"b.txt": "new upstream file\n"})
            self.git("push", "-q", "origin", "main", cwd=work)
        with open(os.path.join(dirty, "a.txt"), "a") as f:
            f.write("local work in progress\n")
        log = self.path("jobs.log")
        res = self.repopool(["--git", "pull", "--joblog", log, clean, dirty])
        self.assert_exit(res, 1)
        by = res.end_by_repo()
        self.assertEqual(by[clean]["status"], "ok", res.describe())
        self.assertEqual((by[dirty]["status"], by[dirty]["class"]), ("skipped", "dirty"), res.describe())

        with open(log, encoding="utf-8") as f:
            rows = [line.rstrip("\n").split("\t") for line in f][1:]
        self.assertEqual(len(rows), 2)
        commands = {row[-1] for row in rows}
        before_head = self.rev(dirty, "HEAD")
        before_tree = tree_snapshot(dirty)
        # Replayed as GNU parallel's --retry-failed would, with the shell.
        for command in commands:
            self.assertIn(" --git pull ", command)
            p = subprocess.run(["bash", "-c", command], env=self.env, capture_output=True, timeout=120)
            if dirty in command:
                self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
                self.assertIn(b"skipped", p.stdout)
            else:
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # The dirty repository is as it was: what `git pull` would not have
        # left it.
        self.assertEqual(self.rev(dirty, "HEAD"), before_head)
        self.assertEqual(tree_snapshot(dirty), before_tree)


class Overload(DaemonTestCase):
    """A git daemon with room for one connection, which the test holds."""

    def test_a_full_daemon_is_refused_not_network(self):
        daemon = self.start_daemon(extra=("--max-connections=1",))
        _bare, _work = self.served_repo("full.git", {"a.txt": "a\n"})
        local = self.clone_via(daemon.url("full.git"), self.path("clones", "full"))
        holder = socket.create_connection(("127.0.0.1", daemon.port))
        self.addCleanup(holder.close)
        for fetch_with in ("libgit2", "git"):
            with self.subTest(fetch_with=fetch_with):
                res = self.repopool(["--git", "fetch", "--fetch-with=" + fetch_with, local])
                self.assert_exit(res, 1)
                e = self.single_end(res, local)
                self.assertEqual((e["status"], e["class"]), ("failed", "refused"), res.describe())
        holder.close()
        # Once there is room, the same fetch works.
        self.wait_until(lambda: self.repopool(["--git", "fetch", local]).returncode == 0,
                        "a fetch once the held connection is gone")


if __name__ == "__main__":
    unittest.main()
