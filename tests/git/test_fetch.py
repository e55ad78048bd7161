#!/usr/bin/env python3
"""Tests of `repopool --git fetch` (and a pull) over git:// from a real `git
daemon` through the real binary: every ref and tag arrives, with libgit2
and with git children, from the named remote only; an unreachable remote
is a transient failure, a refused ssh login an auth one, an unknown remote
a usage one.

The binary is named by the REPOPOOL environment variable; each test has
the sandbox of tests/lib/base.py.
"""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import DaemonTestCase  # noqa: E402
from lib.gitdaemon import ClosedPort  # noqa: E402


class Fetch(DaemonTestCase):
    """Part 3: fetch over git://."""

    def make_fleet(self, n):
        """n repositories cloned from the daemon; then the server gets new
        commits on main, a new branch and a new tag, so all have something to fetch."""
        fleet = []
        for i in range(n):
            name = "r%02d.git" % i
            bare, work = self.served_repo(name)
            local = self.clone_via(self.daemon.url(name), self.path("repos", "r%02d" % i))
            self.push_commit(work, "main")
            self.push_commit(work, "main")
            self.push_commit(work, "topic-%d" % i)
            self.git("tag", "v%d" % i, cwd=work)
            self.git("push", "-q", "origin", "v%d" % i, cwd=work)
            fleet.append((local, bare))
        return fleet

    def assert_arrived(self, fleet):
        problems = [p for p in (self.arrival_problem(local, bare) for local, bare in fleet) if p]
        self.assertFalse(problems, "\n".join(problems))

    def test_many_repositories_arrive(self):
        self.start_daemon()
        fleet = self.make_fleet(24)
        res = self.repopool(["--git", "fetch", "-j", "8"] + [l for l, _ in fleet])
        self.assert_exit(res, 0)
        ends = res.end_by_repo()
        self.assertEqual(len(ends), 24)
        for e in ends.values():
            self.assertEqual((e["status"], e["class"]), ("ok", "none"), e)
        self.assertEqual(res.summary()["ok"], 24)
        self.assertGreaterEqual(res.summary()["peak_running"], 2)
        self.assert_arrived(fleet)
        # Tags come along, as `git fetch` brings them.
        for i, (local, bare) in enumerate(fleet):
            self.assertEqual(self.rev(local, "refs/tags/v%d" % i), self.rev(bare, "refs/tags/v%d" % i))
        # A second fetch finds nothing new.
        res = self.repopool(["--git", "fetch", "-j", "8"] + [l for l, _ in fleet])
        self.assert_exit(res, 0)
        self.assert_arrived(fleet)

    def test_fetch_with_git(self):
        self.start_daemon()
        fleet = self.make_fleet(6)
        res = self.repopool(["--git", "fetch", "--fetch-with=git", "-j", "3"] + [l for l, _ in fleet])
        self.assert_exit(res, 0)
        self.assert_arrived(fleet)

    def test_pull_over_daemon(self):
        self.start_daemon()
        bare, work = self.served_repo("p.git")
        local = self.clone_via(self.daemon.url("p.git"), self.path("repos", "p"))
        head = self.push_commit(work, "main", {"README": "new\n", "added/file": "x\n"})
        for fetch_with in ("libgit2", "git"):
            res = self.repopool(["--git", "pull", "--fetch-with=" + fetch_with, local])
            self.assert_exit(res, 0)
            self.assertEqual(self.rev(local, "HEAD"), head)
            self.assertEqual(self.git("status", "--porcelain", cwd=local), "")
            head = self.push_commit(work, "main", {"README": "newer via %s\n" % fetch_with})
        self.git("fsck", "--strict", "--no-progress", cwd=local)

    def test_fetch_and_pull_say_what_changed(self):
        """A fetch's line names the refs it moved with a human size, and
        its output (--output=all, the dashboard's log) has a line per ref
        as git prints them; a pull's line gives the range, commits and
        files, its output the files."""
        self.start_daemon()
        bare, work = self.served_repo("news.git", {"README": "v1\n", "gone.txt": "x\n"})
        local = self.clone_via(self.daemon.url("news.git"), self.path("repos", "news"))
        old = self.rev(local, "HEAD")
        self.push_commit(work, "main", {"README": "v2\n"})
        new = self.push_commit(work, "main", {"README": "v3\n", "added/file": "y\n"})
        self.push_commit(work, "topic")
        self.git("tag", "v1", cwd=work)
        self.git("push", "-q", "origin", "v1", cwd=work)

        res = self.repopool(["--git", "fetch", "--no-tui", "--output=all", local], json_events=False)
        self.assert_exit(res, 0)
        out = res.stdout.decode()
        self.assertRegex(out, r"(?m)^ok +\S+  %s  1 remote: 3 refs updated \((origin/main|origin/topic|tag v1), "
                              r"(origin/main|origin/topic|tag v1), \.\.\.\), [0-9.]+ (B|KiB)$" % re.escape(local),
                         out)
        self.assertIn("\n       %s..%s  origin/main\n" % (old[:7], new[:7]), out)
        self.assertIn("\n     * [new branch     ] origin/topic\n", out)
        self.assertIn("\n     * [new tag        ] tag v1\n", out)
        res = self.repopool(["--git", "fetch", "--no-tui", local], json_events=False)
        self.assertRegex(res.stdout.decode(), r"  1 remote: up to date\n")

        self.git("rm", "-q", "gone.txt", cwd=work)
        self.git("commit", "-q", "-m", "remove", cwd=work)
        self.git("push", "-q", "origin", "main", cwd=work)
        head = self.rev(work, "HEAD")
        res = self.repopool(["--git", "pull", "--no-tui", "--output=all", local], json_events=False)
        self.assert_exit(res, 0)
        out = res.stdout.decode()
        # The pull's fetch, then its files.
        self.assertIn("\n       %s..%s  origin/main\n" % (new[:7], head[:7]), out)
        self.assertRegex(out, r"(?m)^ok .*  fast-forwarded %s\.\.%s, 3 commits, 3 files$" % (old[:7], head[:7]))
        for line in ("     M README", "     A added/file", "     D gone.txt"):
            self.assertIn("\n" + line + "\n", out)
        self.assertEqual(self.rev(local, "HEAD"), head)
        # A rename is one file, as git's diff counts it.
        self.git("mv", "README", "README.md", cwd=work)
        self.git("commit", "-q", "-m", "rename", cwd=work)
        self.git("push", "-q", "origin", "main", cwd=work)
        res = self.repopool(["--git", "pull", "--no-tui", "--output=all", local], json_events=False)
        out = res.stdout.decode()
        stat = self.git("diff", "--stat", head, self.rev(work, "HEAD"), cwd=work).splitlines()[-1]
        self.assertIn(" 1 file changed", stat)
        self.assertRegex(out, r"(?m), 1 commit, 1 file$")
        self.assertIn("\n     R README.md\n", out)
        head = self.rev(work, "HEAD")
        # A single ref moved: named with its range in the JSON summary too.
        self.push_commit(work, "main")
        res = self.repopool(["--git", "fetch", local])
        self.assertRegex(self.single_end(res, local)["summary"],
                         r"^1 remote: origin/main [0-9a-f]{7}\.\.[0-9a-f]{7}, [0-9.]+ (B|KiB)$")

    def test_git_childs_reason_line_is_kept(self):
        """git prints the reason before its fatal line ("ssh: connect to
        host ...: Connection refused", then "fatal: Could not read from
        remote repository."): the summary keeps both, with --fetch-with=git
        and for a pull that fetches with git."""
        local = self.new_repo(self.path("repos", "over-ssh"))
        self.git("remote", "add", "origin", "ssh://git@example.invalid/x.git", cwd=local)
        self.git("config", "branch.main.remote", "origin", cwd=local)
        self.git("config", "branch.main.merge", "refs/heads/main", cwd=local)
        ssh = self.path("fake-ssh")
        self.write(ssh, "#!/bin/sh\necho 'ssh: connect to host example.invalid port 22: Connection refused' >&2\n"
                        "exit 255\n")
        os.chmod(ssh, 0o755)
        self.git("config", "core.sshCommand", ssh, cwd=local)
        for op in ("fetch", "pull"):
            with self.subTest(op=op):
                res = self.repopool(["--git", op, "--fetch-with=git", local])
                self.assert_exit(res, 1)
                e = self.single_end(res, local)
                self.assertIn("ssh: connect to host example.invalid port 22: Connection refused "
                              "(fatal: Could not read from remote repository.)", e["summary"], e)

    def test_unreachable_remote_is_transient(self):
        closed = ClosedPort()
        self.addCleanup(closed.close)
        local = self.new_repo(self.path("repos", "lonely"))
        self.git("remote", "add", "origin", "git://127.0.0.1:%d/x.git" % closed.port, cwd=local)
        self.git("config", "branch.main.remote", "origin", cwd=local)
        self.git("config", "branch.main.merge", "refs/heads/main", cwd=local)
        for fetch_with in ("libgit2", "git"):
            for op in ("fetch", "pull"):
                with self.subTest(op=op, fetch_with=fetch_with):
                    res = self.repopool(["--git", op, "--fetch-with=" + fetch_with, "--retries", "2",
                                         local])
                    self.assert_exit(res, 1)
                    e = self.single_end(res, local)
                    self.assertEqual(e["status"], "failed", res.describe())
                    self.assertIn(e["class"], {"network", "refused"}, res.describe())
                    # Transient: retried as often as asked.
                    self.assertEqual(len(res.retries()), 2, res.describe())
                    self.assertEqual(e["attempt"], 3, res.describe())

    def test_only_the_named_remote(self):
        self.start_daemon()
        bare_a, work_a = self.served_repo("a.git")
        bare_b, work_b = self.served_repo("b.git")
        local = self.clone_via(self.daemon.url("a.git"), self.path("repos", "two-remotes"))
        self.git("remote", "add", "other", self.daemon.url("b.git"), cwd=local)
        self.git("fetch", "-q", "other", cwd=local)
        self.push_commit(work_a)
        self.push_commit(work_b)
        origin_before = self.heads(local, "refs/remotes/origin/")
        for fetch_with in ("libgit2", "git"):
            with self.subTest(fetch_with=fetch_with):
                res = self.repopool(["--git", "fetch", "--remote", "other", "--fetch-with=" + fetch_with,
                                     local])
                self.assert_exit(res, 0)
                self.assertEqual(self.heads(local, "refs/remotes/other/"), self.heads(bare_b))
                self.assertEqual(self.heads(local, "refs/remotes/origin/"), origin_before)
                self.push_commit(work_b)
        res = self.repopool(["--git", "fetch", local])
        self.assert_exit(res, 0)
        self.assertEqual(self.origin_heads(local), self.heads(bare_a))

    def test_git_child_auth_failure_is_auth(self):
        """--fetch-with=git: an ssh login refused is an auth failure, not a
        transient one to retry. ssh is stood in for by GIT_SSH_COMMAND, a
        script that fails as ssh does when the server refuses the key; git
        then prints its usual four-line "Could not read from remote
        repository" block after the ssh message."""
        fake_ssh = self.path("fake-ssh")
        self.write(fake_ssh, "#!/bin/sh\necho 'git@127.0.0.1: Permission denied (publickey).' >&2\n"
                   "exit 255\n", mode=0o755)
        local = self.new_repo(self.path("repos", "ssh-denied"))
        self.git("remote", "add", "origin", "ssh://git@127.0.0.1/x.git", cwd=local)
        res = self.repopool(["--git", "fetch", "--fetch-with=git", "--retries", "2", local],
                            env=dict(self.env, GIT_SSH_COMMAND=fake_ssh))
        self.assert_exit(res, 1)
        e = self.single_end(res, local)
        self.assertEqual((e["status"], e["class"]), ("failed", "auth"), res.describe())
        self.assertEqual(res.retries(), [], "an auth failure is not retried")

    def test_unknown_remote_is_a_usage_failure(self):
        self.start_daemon()
        bare, work = self.served_repo("u.git")
        local = self.clone_via(self.daemon.url("u.git"), self.path("repos", "u"))
        for fetch_with in ("libgit2", "git"):
            with self.subTest(fetch_with=fetch_with):
                res = self.repopool(["--git", "fetch", "--remote", "no-such-remote",
                                     "--fetch-with=" + fetch_with, "--retries", "3", local])
                self.assert_exit(res, 1)
                e = self.single_end(res, local)
                self.assertEqual((e["status"], e["class"]), ("failed", "usage"), res.describe())
                self.assertEqual(res.retries(), [], "usage failures are not retried")


if __name__ == "__main__":
    unittest.main(verbosity=2)
