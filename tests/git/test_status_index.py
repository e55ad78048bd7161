#!/usr/bin/env python3
"""Tests of what `repopool --git status` writes: refreshed stat data in the
index, as `git status` writes it, and nothing else.

A copied repository (cp -r) has stale stat data in every index entry: git
hashes every file again until a `git status` writes the index back. One
repopool status run must do that write, through whichever reader it chose
(libgit2, or git for a large index or a stale one), and must not: change
anything else in .git or in the index but stat data, leave a lock behind,
wait for or touch another process's index.lock, or write at all with
GIT_OPTIONAL_LOCKS=0. What git reads for repopool must equal what libgit2
reads. Nothing of the repository's may run (hooks, fsmonitor). Correctness
only: tests/bench/run measures the speed.

The binary is named by the REPOPOOL environment variable; each test has
the sandbox of tests/lib/base.py.
"""

import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import TestCase  # noqa: E402
from lib.gitindex import read_index  # noqa: E402
from lib.porcelain import parse_porcelain_v2  # noqa: E402
from lib.snapshots import digest, tree_snapshot  # noqa: E402

# More files than GIT_FASTER_ABOVE in src/backend/gitop_status.c: git reads
# such a repository for repopool (the tests check that it did).
LARGE = 1500


def without_index(parts):
    return parts == ["index"]


class StatusIndexTestCase(TestCase):
    """Repositories to copy, and what a status run may change in them."""

    def settled_repo(self, name, files):
        """A repository of files, committed, whose index holds the files'
        current stat data, none of it racy: the files are dated in the past
        before git refreshes the index."""
        p = self.new_repo(self.path(name), files)
        self.backdate(p)
        self.git("update-index", "-q", "--refresh", cwd=p)
        self.assert_fresh(p)
        return p

    def large_repo(self, name, n=LARGE):
        """A settled repository of n files in 30 directories, written with
        fast-import (the files are small and alike)."""
        p = self.init(self.path(name))
        blobs = {"d%02d/f%04d.txt" % (i % 30, i): b"file %d\n" % i for i in range(n)}
        self.fast_import(p, "refs/heads/main", blobs)
        self.git("reset", "-q", "--hard", cwd=p)
        self.backdate(p)
        self.git("update-index", "-q", "--refresh", cwd=p)
        self.assert_fresh(p)
        return p

    @staticmethod
    def backdate(repo, seconds=100):
        """Dates every file of the worktree seconds in the past, so that no
        index written from now on holds a racily clean entry."""
        when = time.time() - seconds
        for root, dirs, files in os.walk(repo):
            dirs[:] = [d for d in dirs if d != ".git"]
            for name in files:
                os.utime(os.path.join(root, name), (when, when), follow_symlinks=False)

    def touch_one(self, repo):
        """Stale stat data for one file, the index's second: a new mtime,
        the same content (an editor that saved without a change)."""
        path = read_index(os.path.join(repo, ".git", "index")).entries[1][4]
        when = time.time() - 50
        os.utime(os.path.join(repo, path), (when, when))
        self.assertFalse(self.diff_files_quiet(repo))

    def copy(self, repo, name):
        """cp -r: every file gets a new inode, ctime and mtime, so the
        copy's index has stale stat data throughout."""
        dst = self.path(name)
        subprocess.run(["cp", "-r", repo, dst], check=True)
        self.assertFalse(self.diff_files_quiet(dst), "the copy's stat data is not stale")
        return dst

    def diff_files_quiet(self, repo, env=None):
        """`git diff-files --quiet`: true when every index entry's stat data
        matches its file. It refreshes nothing and writes nothing."""
        return self.git("diff-files", "--quiet", cwd=repo, check=False, env=env).returncode == 0

    def assert_fresh(self, repo):
        self.assertTrue(self.diff_files_quiet(repo), "stat data of %s is stale" % repo)

    def gitdir_state(self, repo):
        """.git without its index, and the index without its stat data."""
        gitdir = os.path.join(repo, ".git")
        return (tree_snapshot(gitdir, skip_top=(), skip=without_index),
                read_index(os.path.join(gitdir, "index")).without_stat_data())

    def status(self, repo, env=None):
        """One `repopool --no-tui --git status` run over repo, which must end
        ok; returns its end event."""
        res = self.repopool(["--no-tui", "--git", "status", repo], env=env)
        self.assert_exit(res, 0)
        e = self.single_end(res, repo)
        self.assertEqual((e["status"], e["class"]), ("ok", "none"), res.describe())
        return e

    def assert_agrees_with_git(self, repo, end):
        """The end event's counts and branch are what git says now (asked
        without writing anything)."""
        text = self.git("--no-optional-locks", "status", "--porcelain=v2", "--branch", cwd=repo)
        want = parse_porcelain_v2(text)
        want.pop("_gone")
        got = {k: end["git"][k] for k in want}
        self.assertEqual(got, want, "%s\n%s" % (end["summary"], text))

    def assert_read_by_git(self, end, expected):
        self.assertEqual("(read by git: " in end["summary"], expected, end["summary"])


class StaleStatData(StatusIndexTestCase):
    """One run writes the refreshed stat data back; nothing else changes."""

    FILES = {"README": "hello\n", "src/a.c": "int a;\n", "src/b.c": "int b;\n",
             "docs/guide.txt": "guide\n", "run.sh": "#!/bin/sh\n"}

    def check_refreshed(self, repo, read_by_git):
        """A status run on repo (stale) leaves it fresh, changed only in the
        index's stat data, valid for git and agreeing with it."""
        before = self.gitdir_state(repo)
        end = self.status(repo)
        self.assert_read_by_git(end, read_by_git)
        self.assert_fresh(repo)
        self.assertEqual(self.gitdir_state(repo), before)
        self.assertFalse(os.path.exists(os.path.join(repo, ".git", "index.lock")))
        self.assert_agrees_with_git(repo, end)
        self.git("fsck", "--no-progress", cwd=repo)
        return end

    def test_copied_repository(self):
        """A copy, stale throughout: git reads it for repopool and writes
        the index; the next run is libgit2's, with the same answer."""
        src = self.settled_repo("src", self.FILES)
        self.write(os.path.join(src, "notes.txt"), "untracked\n")
        self.write(os.path.join(src, "src", "a.c"), "int a = 1;\n")
        self.git("add", "src/a.c", cwd=src)
        self.backdate(src)
        self.git("update-index", "-q", "--refresh", cwd=src)
        p = self.copy(src, "copy")
        first = self.check_refreshed(p, read_by_git=True)
        self.assertEqual((first["git"]["staged"], first["git"]["untracked"]), (1, 1))
        second = self.status(p)
        self.assert_read_by_git(second, False)
        self.assertEqual(second["git"], first["git"])

    def test_copied_large_repository(self):
        """A large index is read by git whatever its stat data: that git
        writes the refreshed index too."""
        p = self.copy(self.large_repo("src"), "copy")
        self.check_refreshed(p, read_by_git=True)

    def test_one_file_touched(self):
        """One file with stale stat data, which the sample of the index that
        repopool checks first misses: libgit2 reads the repository, hashes
        it, and git writes the index."""
        p = self.large_repo("src", n=300)
        self.touch_one(p)
        self.check_refreshed(p, read_by_git=False)

    def test_nothing_stale_nothing_written(self):
        p = self.settled_repo("src", self.FILES)
        self.write(os.path.join(p, "README"), "changed, a new size\n")
        before = tree_snapshot(os.path.join(p, ".git"), skip_top=())
        self.status(p)
        self.assertEqual(tree_snapshot(os.path.join(p, ".git"), skip_top=()), before)


class NothingWrittenWhenNotAllowed(StatusIndexTestCase):
    """Another process's index.lock, and GIT_OPTIONAL_LOCKS=0: git skips its
    optional write then, and so does repopool, without waiting or failing."""

    def repositories(self):
        """{(what, read by git): stale repository}, one for each way of
        reading."""
        small = self.settled_repo("small", {"README": "hi\n", "a/b.txt": "b\n"})
        touched = self.large_repo("touched", n=300)
        self.touch_one(touched)
        return {("copy", True): self.copy(small, "small-copy"),
                ("one file touched", False): touched,
                ("large copy", True): self.copy(self.large_repo("large"), "large-copy")}

    def check_untouched(self, repos, env, make_lock):
        for (what, read_by_git), p in repos.items():
            with self.subTest(what):
                gitdir = os.path.join(p, ".git")
                lock = os.path.join(gitdir, "index.lock")
                if make_lock:
                    # What another git writes while it holds the lock.
                    self.write(lock, b"DIRC half-written index of someone else")
                before = tree_snapshot(gitdir, skip_top=())
                end = self.status(p, env=env)
                self.assert_read_by_git(end, read_by_git)
                self.assertEqual(tree_snapshot(gitdir, skip_top=()), before)
                self.assertFalse(self.diff_files_quiet(p), "the index was refreshed")
                if make_lock:
                    self.assertEqual(digest(lock), before["index.lock"][2])
                    os.unlink(lock)
                self.assert_agrees_with_git(p, end)

    def test_index_lock_held(self):
        self.check_untouched(self.repositories(), None, make_lock=True)

    def test_optional_locks_off(self):
        env = dict(self.env, GIT_OPTIONAL_LOCKS="0")
        self.check_untouched(self.repositories(), env, make_lock=False)

    def test_fsmonitor_data_kept_and_hook_never_run(self):
        """An index with fsmonitor data: repopool runs no hook, and the git
        it asks (told not to run the hook) would drop the data if it wrote,
        so nothing is written."""
        p = self.settled_repo("src", {"README": "hi\n", "a/b.txt": "b\n"})
        ran = self.path("hook-ran")
        hook = self.path("fsmonitor-hook")
        # Protocol 2: a token, then "/": everything may have changed.
        self.write(hook, "#!/bin/sh\necho run >> '%s'\nprintf 'token\\0/\\0'\n" % ran, mode=0o755)
        self.git("config", "core.fsmonitor", hook, cwd=p)
        self.git("status", "--porcelain", cwd=p)
        self.git("status", "--porcelain", cwd=p)
        self.assertIn(b"FSMN", read_index(os.path.join(p, ".git", "index")).extensions)
        copy = self.copy(p, "copy")
        runs = self.read(ran)
        gitdir = os.path.join(copy, ".git")
        before = tree_snapshot(gitdir, skip_top=())
        end = self.status(copy)
        self.assertEqual(self.read(ran), runs, "the fsmonitor hook ran")
        self.assertEqual(tree_snapshot(gitdir, skip_top=()), before)
        self.assertEqual(end["git"]["modified"], 0, end["summary"])

    def check_index_hook_not_run(self, hook_dir, config=None):
        """A post-index-change hook in hook_dir (a function of the copy),
        which git runs after each index write: repopool runs no hook, so it
        has git write nothing, not even refreshed stat data."""
        p = self.settled_repo("src", {"README": "hi\n", "a/b.txt": "b\n"})
        copy = self.copy(p, "copy")
        ran = self.path("hook-ran")
        self.write(os.path.join(hook_dir(copy), "post-index-change"),
                   "#!/bin/sh\necho \"$*\" >> '%s'\n" % ran, mode=0o755)
        for key, value in (config or {}).items():
            self.git("config", key, value, cwd=copy)
        gitdir = os.path.join(copy, ".git")
        before = tree_snapshot(gitdir, skip_top=())
        end = self.status(copy)
        self.assertFalse(os.path.exists(ran), "the post-index-change hook ran")
        self.assertEqual(tree_snapshot(gitdir, skip_top=()), before)
        self.assert_agrees_with_git(copy, end)
        # The setup is effective: git's own status writes, and runs it.
        self.git("status", "--porcelain", cwd=copy)
        self.assertTrue(os.path.exists(ran), "git ran no post-index-change hook")

    def test_index_change_hook(self):
        self.check_index_hook_not_run(lambda repo: os.path.join(repo, ".git", "hooks"))

    def test_index_change_hook_in_hooks_path(self):
        """core.hooksPath, relative: to the working tree, as git takes it."""
        self.check_index_hook_not_run(lambda repo: os.path.join(repo, "githooks"),
                                      {"core.hooksPath": "githooks"})


class SameAnswerFromGit(StatusIndexTestCase):
    """What git reads for repopool is what libgit2 reads, field by field."""

    def test_busy_repository(self):
        """Staged, modified, untracked and conflicted files, ahead and
        behind, a merge in progress: the first run of a copy is git's (stale
        stat data), the second libgit2's."""
        srv = self.init(self.path("srv.git"), bare=True)
        seed = self.new_repo(self.path("seed"), {"README": "r\n", "c.txt": "base\n",
                                                 "keep.txt": "k\n", "lib/x.c": "x\n"})
        self.git("remote", "add", "origin", srv, cwd=seed)
        self.git("push", "-q", "origin", "main", cwd=seed)
        p = self.path("work")
        self.git("clone", "-q", srv, p)
        self.commit(seed, {"server.txt": "s\n"})
        self.git("push", "-q", "origin", "main", cwd=seed)
        self.git("fetch", "-q", cwd=p)
        self.git("checkout", "-q", "-b", "other", cwd=p)
        self.commit(p, {"c.txt": "other\n", "lib/new.c": "new\n"})
        self.git("checkout", "-q", "main", cwd=p)
        self.commit(p, {"c.txt": "main\n"})
        self.write(os.path.join(p, "keep.txt"), "modified, not staged\n")
        self.write(os.path.join(p, "untracked.txt"), "u\n")
        self.git("merge", "other", cwd=p, check=False)
        self.write(os.path.join(p, "README"), "staged\n")
        self.git("add", "README", cwd=p)
        self.backdate(p)
        self.git("update-index", "-q", "--refresh", cwd=p, check=False)
        copy = self.copy(p, "copy")
        first = self.status(copy)
        self.assert_read_by_git(first, True)
        second = self.status(copy)
        self.assert_read_by_git(second, False)
        self.assertEqual(first["git"], second["git"])
        g = second["git"]
        self.assertEqual((g["staged"], g["modified"], g["untracked"], g["conflicted"],
                          g["ahead"], g["behind"], g["state"]),
                         (2, 1, 1, 1, 1, 1, "merge"), second["summary"])
        self.assert_agrees_with_git(copy, second)


class WithoutGit(StatusIndexTestCase):
    """git is only asked where it is faster: without it, libgit2 answers."""

    def test_git_not_installed(self):
        empty = self.mkdirs("empty-path")[0]
        env = dict(self.env, PATH=empty)
        for what, p in (("large", self.large_repo("large")),
                        ("copy", self.copy(self.settled_repo("small", {"README": "hi\n"}), "copy"))):
            with self.subTest(what):
                end = self.status(p, env=env)
                self.assert_read_by_git(end, False)
                self.assert_agrees_with_git(p, end)


if __name__ == "__main__":
    unittest.main(verbosity=2)
