#!/usr/bin/env python3
"""Tests of `repopool --git pull` through the real binary and real
repositories: it refuses every unsafe case without touching anything, and
fast-forwards a clean repository that is behind to what a fresh checkout
of the server gives. (tests/git/test_pull_parity_*.py compare it with `git
pull --ff-only` case by case.)

The binary is named by the REPOPOOL environment variable; each test has
the sandbox of tests/lib/base.py.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import TestCase  # noqa: E402
from lib.snapshots import digest, tree_snapshot  # noqa: E402


def snapshot_repo(test, repo):
    """Everything a refused pull must leave as it was: every worktree file,
    the index, HEAD, the local branches, and the state files of a merge or
    rebase. Remote-tracking refs and FETCH_HEAD may change (a fetch is
    allowed) and are left out."""
    gitdir = os.path.join(repo, ".git")
    snap = {"worktree": tree_snapshot(repo)}
    for name in ("index", "HEAD", "ORIG_HEAD", "MERGE_HEAD", "MERGE_MSG", "MERGE_MODE",
                 "index.lock", "CHERRY_PICK_HEAD", "REBASE_HEAD", "config"):
        p = os.path.join(gitdir, name)
        if os.path.exists(p):
            snap[name] = digest(p)
        else:
            snap[name] = None
    for sub in ("refs/heads", "rebase-merge", "rebase-apply", "logs/refs/heads"):
        p = os.path.join(gitdir, sub)
        snap[sub] = tree_snapshot(p, skip_top=()) if os.path.isdir(p) else None
    p = os.path.join(gitdir, "logs", "HEAD")
    snap["logs/HEAD"] = test.read(p) if os.path.exists(p) else None
    packed = os.path.join(gitdir, "packed-refs")
    if os.path.exists(packed):
        with open(packed) as f:
            snap["packed-refs"] = [l for l in f.read().splitlines() if "refs/remotes/" not in l]
    snap["for-each-ref"] = test.git("--no-optional-locks", "for-each-ref", "refs/heads", "refs/tags",
                                    cwd=repo)
    return snap


class Pull(TestCase):
    """Part 2: pull refuses every unsafe case without touching anything, and
    fast-forwards a clean repository that is behind."""

    def setUp(self):
        super().setUp()
        self.srv = self.init(self.path("srv", "origin.git"), bare=True)
        self.pusher = self.new_repo(self.path("pusher"), {
            "README": "v1\n", "keep.txt": "keep\n", "gone.txt": "will be deleted\n",
            "conflict.txt": "base\n", "lib/util.c": "int util;\n", ".gitignore": "*.log\n"})
        self.git("remote", "add", "origin", self.srv, cwd=self.pusher)
        self.git("push", "-q", "-u", "origin", "main", cwd=self.pusher)
        self.repos = self.path("repos")
        os.mkdir(self.repos)

    def clone(self, name):
        p = os.path.join(self.repos, name)
        self.git("clone", "-q", self.srv, p)
        return p

    def advance_server(self):
        """The server's next commit: modifies, deletes, adds (in a new
        directory, an executable, a symlink) and renames."""
        p = self.pusher
        self.write(os.path.join(p, "README"), "v2\n")
        os.unlink(os.path.join(p, "gone.txt"))
        self.write(os.path.join(p, "incoming.txt"), "from the server\n")
        self.write(os.path.join(p, "newdir/deep/file.c"), "int deep;\n")
        self.write(os.path.join(p, "tool.sh"), "#!/bin/sh\necho hi\n", mode=0o755)
        os.symlink("keep.txt", os.path.join(p, "link-to-keep"))
        self.git("mv", "lib/util.c", "lib/util2.c", cwd=p)
        self.git("add", "-A", cwd=p)
        self.git("commit", "-q", "-m", "server v2", cwd=p)
        self.git("push", "-q", "origin", "main", cwd=p)
        return self.rev(p, "HEAD")

    def test_refusals_change_nothing(self):
        j = os.path.join
        cases = {}  # path -> expected class

        def case(name, cls):
            p = self.clone(name)
            cases[p] = cls
            return p

        modified = case("modified", "dirty")
        staged = case("staged", "dirty")
        in_the_way = case("untracked-in-the-way", "dirty")
        in_the_way_dir = case("untracked-dir-in-the-way", "dirty")
        diverged = case("diverged", "diverged")
        detached = case("detached", "detached")
        no_upstream = case("no-upstream", "no-upstream")
        merging = case("merge-in-progress", "dirty")
        rebasing = case("rebase-in-progress", "dirty")
        locked = case("index-locked", "locked")
        gone = case("upstream-gone", "no-upstream")
        unborn = self.init(j(self.repos, "unborn"))
        cases[unborn] = "no-upstream"
        conflicted = case("conflicted-files", "dirty")

        self.git("push", "-q", "origin", "main:doomed", cwd=self.pusher)
        self.git("fetch", "-q", "origin", cwd=gone)
        self.git("checkout", "-q", "-b", "doomed", "--track", "origin/doomed", cwd=gone)

        server_head = self.advance_server()

        self.write(j(modified, "keep.txt"), "local edit of a file the server did not touch\n")
        self.write(j(staged, "keep.txt"), "staged edit\n")
        self.git("add", "keep.txt", cwd=staged)
        self.write(j(in_the_way, "incoming.txt"), "my own, untracked\n")
        self.write(j(in_the_way_dir, "newdir/deep/file.c"), "my own, untracked\n")
        self.commit(diverged, {"mine.txt": "local work\n"})
        self.git("checkout", "-q", "--detach", "HEAD", cwd=detached)
        self.git("checkout", "-q", "-b", "local-only", cwd=no_upstream)
        self.git("branch", "-q", "--unset-upstream", "main", cwd=no_upstream)
        self.git("checkout", "-q", "main", cwd=no_upstream)

        for p in (merging, rebasing, conflicted):
            self.git("checkout", "-q", "-b", "side", cwd=p)
            self.commit(p, {"conflict.txt": "side\n"})
            self.git("checkout", "-q", "main", cwd=p)
            self.commit(p, {"conflict.txt": "main\n"})
        self.git("merge", "side", cwd=merging, check=False)
        self.assertTrue(os.path.exists(j(merging, ".git", "MERGE_HEAD")))
        self.git("rebase", "side", cwd=rebasing, check=False)
        self.assertTrue(os.path.isdir(j(rebasing, ".git", "rebase-merge")))
        # A merge whose state files were removed by hand: only the index says
        # "conflict" now.
        self.git("merge", "side", cwd=conflicted, check=False)
        for f in ("MERGE_HEAD", "MERGE_MSG", "MERGE_MODE"):
            if os.path.exists(j(conflicted, ".git", f)):
                os.unlink(j(conflicted, ".git", f))
        self.write(j(locked, ".git", "index.lock"), b"")
        self.git("push", "-q", "origin", ":doomed", cwd=self.pusher)
        self.git("fetch", "-q", "--prune", "origin", cwd=gone)

        before = {p: snapshot_repo(self, p) for p in cases}
        res = self.repopool(["--git", "pull", "-j", "4"] + sorted(cases))
        self.assert_exit(res, 1)
        ends = res.end_by_repo()
        self.assertEqual(set(ends), set(cases), res.describe())
        problems = []
        for p, cls in sorted(cases.items()):
            e = ends[p]
            name = os.path.basename(p)
            if (e["status"], e["class"]) != ("skipped", cls):
                problems.append("%s: %s/%s (%r), expected skipped/%s" % (
                    name, e["status"], e["class"], e["summary"], cls))
            after = snapshot_repo(self, p)
            for k in before[p]:
                if before[p][k] != after[k]:
                    problems.append("%s: %s changed by a refused pull" % (name, k))
        self.assertFalse(problems, "\n".join(problems) + "\n" + res.describe())
        # The diverged repository did fetch: its remote-tracking ref moved.
        self.assertEqual(self.rev(diverged, "refs/remotes/origin/main"), server_head)
        # A refused repository can be fixed and pulled afterwards.
        os.unlink(j(in_the_way, "incoming.txt"))
        res = self.repopool(["--git", "pull", in_the_way])
        self.assert_exit(res, 0)
        self.assertEqual(self.rev(in_the_way, "HEAD"), server_head)

    def check_fast_forwarded(self, p, server_head):
        self.assertEqual(self.rev(p, "HEAD"), server_head)
        self.assertEqual(self.rev(p, "refs/heads/main"), server_head)
        self.assertEqual(self.rev(p, "refs/remotes/origin/main"), server_head)
        self.assertEqual(self.git("symbolic-ref", "HEAD", cwd=p).strip(), "refs/heads/main")
        self.git("fsck", "--strict", "--no-progress", cwd=p)
        self.assertEqual(self.git("status", "--porcelain", "--untracked-files=all", cwd=p), "")
        self.assertEqual(self.git("diff", "--stat", "HEAD", cwd=p), "")
        # The worktree is exactly what a fresh checkout of the server gives.
        fresh = self.path(self.unique("fresh"))
        self.git("clone", "-q", self.srv, fresh)
        self.assertEqual(tree_snapshot(p), tree_snapshot(fresh))

    def test_fast_forward(self):
        twice = self.clone("behind-two-commits")
        self.advance_server()
        behind = self.clone("behind-one-commit")
        old = {p: self.rev(p, "HEAD") for p in (twice, behind)}
        server_head = self.commit(self.pusher, {"README": "v3\n", "third.txt": "3\n"})
        self.git("push", "-q", "origin", "main", cwd=self.pusher)
        up_to_date = self.clone("up-to-date")
        ahead = self.clone("ahead-only")
        self.commit(ahead, {"mine.txt": "unpushed\n"})
        ahead_head = self.rev(ahead, "HEAD")

        before_up = snapshot_repo(self, up_to_date)
        before_up_remotes = self.heads(up_to_date, "refs/remotes/")
        before_ahead = snapshot_repo(self, ahead)
        res = self.repopool(["--git", "pull", "-j", "4", behind, twice, up_to_date, ahead])
        self.assert_exit(res, 0)
        ends = res.end_by_repo()
        for p in (behind, twice):
            e = ends[p]
            self.assertEqual((e["status"], e["class"]), ("ok", "none"), res.describe())
            self.assertEqual(e["git"]["head"], server_head, e)
            self.assertEqual(e["git"]["behind"], 0, e)
            self.assertEqual(e["git"]["branch"], "main", e)
            self.assertIn(old[p][:7], e["summary"])
            self.check_fast_forwarded(p, server_head)
        e = ends[up_to_date]
        self.assertEqual((e["status"], e["class"]), ("ok", "none"), res.describe())
        self.assertEqual(snapshot_repo(self, up_to_date), before_up)
        self.assertEqual(self.heads(up_to_date, "refs/remotes/"), before_up_remotes)
        e = ends[ahead]
        self.assertEqual((e["status"], e["class"]), ("ok", "none"), res.describe())
        self.assertEqual(self.rev(ahead, "HEAD"), ahead_head)
        self.assertEqual(snapshot_repo(self, ahead), before_ahead)

    def test_fast_forward_keeps_unrelated_untracked_and_ignored_files(self):
        p = self.clone("with-untracked")
        self.write(os.path.join(p, "scratch.txt"), "mine\n")
        self.write(os.path.join(p, "debug.log"), "ignored\n")
        server_head = self.advance_server()
        res = self.repopool(["--git", "pull", p])
        self.assert_exit(res, 0)
        self.assertEqual(self.rev(p, "HEAD"), server_head)
        self.assertEqual(self.read(os.path.join(p, "scratch.txt")), b"mine\n")
        self.assertEqual(self.read(os.path.join(p, "debug.log")), b"ignored\n")
        self.assertEqual(self.git("status", "--porcelain", cwd=p), "?? scratch.txt\n")
        self.git("fsck", "--strict", "--no-progress", cwd=p)


    def test_fast_forward_to_local_upstream(self):
        """An upstream in the same repository ('.') needs no fetch."""
        p = self.clone("local-upstream")
        self.git("branch", "-q", "--track", "topic", "main", cwd=p)
        new = self.commit(p, {"README": "moved on main\n"})
        self.git("checkout", "-q", "topic", cwd=p)
        res = self.repopool(["--git", "pull", p])
        self.assert_exit(res, 0)
        self.assertEqual(self.rev(p, "refs/heads/topic"), new)
        self.assertEqual(self.git("symbolic-ref", "HEAD", cwd=p).strip(), "refs/heads/topic")
        self.assertEqual(self.git("status", "--porcelain", cwd=p), "")

    def test_sparse_checkout_fast_forward(self):
        """A clean sparse checkout (files outside the cone are absent on
        purpose) that is behind: `git pull --ff-only` fast-forwards it, so
        repopool should too rather than call it dirty."""
        p = self.clone("sparse")
        self.git("sparse-checkout", "set", "--cone", "--no-sparse-index", "newdir", cwd=p)
        self.assertFalse(os.path.exists(os.path.join(p, "lib", "util.c")))
        self.assertEqual(self.git("status", "--porcelain", cwd=p), "")
        server_head = self.advance_server()
        res = self.repopool(["--git", "pull", p])
        e = self.single_end(res, p)
        self.assertEqual((e["status"], e["class"]), ("ok", "none"), res.describe())
        self.assert_exit(res, 0)
        self.assertEqual(self.rev(p, "HEAD"), server_head)
        self.assertEqual(self.git("status", "--porcelain", cwd=p), "")


if __name__ == "__main__":
    unittest.main(verbosity=2)
