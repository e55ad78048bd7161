#!/usr/bin/env python3
"""`repopool --git pull` side by side with `git pull --ff-only` (the promise
and the comparison are in tests/lib/pull_parity.py): how the repository is
set up: locks, filters and attributes, sparse checkouts, shallow clones,
submodules, hooks and fsmonitor, index formats, more remotes, refspecs and
repository formats.

The binary is named by the REPOPOOL environment variable:

    REPOPOOL=/path/to/build/repopool python3 tests/git/test_pull_parity_repository.py -v
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.pull_parity import BASE, PullParityTestCase  # noqa: E402


class PullParity(PullParityTestCase):

    # === 6. locks ===

    def test_index_lock_held(self):
        def setup():
            w = self.behind_setup()
            self.write(os.path.join(w, ".git", "index.lock"), b"")
            return w
        self.compare(setup)

    def test_stale_head_lock(self):
        def setup():
            w = self.behind_setup()
            self.write(os.path.join(w, ".git", "HEAD.lock"), b"")
            return w
        self.compare(setup)

    def test_stale_branch_lock(self):
        def setup():
            w = self.behind_setup()
            self.write(os.path.join(w, ".git", "refs", "heads", "main.lock"), b"")
            return w
        self.compare(setup)

    # === 7. filters and attributes ===

    def test_filter_upper(self):
        self.compare(lambda: self._upper(False))

    def test_filter_upper_required(self):
        self.compare(lambda: self._upper(True))

    def test_filter_lfs_smudge_missing_required(self):
        self.compare(lambda: self._lfs_missing(None))

    def test_filter_lfs_smudge_missing_required_with_clean(self):
        self.compare(lambda: self._lfs_missing("cat"))

    def test_eol_crlf(self):
        def setup():
            self.start(dict(BASE, **{".gitattributes": "* text=auto eol=crlf\n"}))
            w = self.work()
            self.assertIn(b"\r\n", self.read(os.path.join(w, "README")))
            self.up({"README": "v2\nline two\n", "new.txt": "one\ntwo\n"})
            return w
        self.compare(setup)

    def test_autocrlf_true(self):
        def setup():
            self.start()
            w = self.work("-c", "core.autocrlf=true")
            self.up({"README": "v2\nline two\n", "new.txt": "one\ntwo\n"})
            return w
        self.compare(setup)

    def test_ident(self):
        def setup():
            self.start(dict(BASE, **{".gitattributes": "*.c ident\n", "lib/util.c": "/* $Id$ */\n"}))
            w = self.work()
            self.assertIn(b"$Id: ", self.read(os.path.join(w, "lib/util.c")))
            self.up({"lib/util.c": "/* $Id$ */\nint v2;\n", "lib/new.c": "/* $Id$ */\n"})
            return w
        self.compare(setup)

    # === 8. sparse checkouts ===

    def test_sparse_cone(self):
        def setup():
            self.start(self.SPARSE)
            w = self.work()
            self.git("sparse-checkout", "set", "dir1", cwd=w)
            self.assertTrue(os.path.exists(os.path.join(w, ".git", "config.worktree")))
            self.assertFalse(os.path.exists(os.path.join(w, "dir2")))
            self.up(self.SPARSE_UP)
            return w
        self.compare(setup, expect_ok=True)

    def test_sparse_non_cone(self):
        def setup():
            self.start(self.SPARSE)
            w = self.work()
            self.git("config", "core.sparseCheckout", "true", cwd=w)
            self.write(os.path.join(w, ".git", "info", "sparse-checkout"), "/*\n!/dir2/\n")
            self.git("read-tree", "-mu", "HEAD", cwd=w)
            self.assertFalse(os.path.exists(os.path.join(w, "dir2")))
            self.up(self.SPARSE_UP)
            return w
        self.compare(setup)

    def test_sparse_index(self):
        def setup():
            self.start(self.SPARSE)
            w = self.work()
            self.git("sparse-checkout", "init", "--cone", "--sparse-index", cwd=w)
            self.git("sparse-checkout", "set", "dir1", cwd=w)
            self.assertIn("dir2/", self.git("ls-files", "--sparse", cwd=w))
            self.up(self.SPARSE_UP)
            return w
        self.compare(setup)

    # === 9. shallow clones ===

    def test_shallow_behind_one(self):
        base = {}

        def setup():
            base["w"] = self._shallow(1)
            return base["w"]
        try:
            self.compare(setup)
        finally:
            if "w" in base:
                self._status_behind(base["w"], 1)

    def test_shallow_behind_three(self):
        base = {}

        def setup():
            base["w"] = self._shallow(3)
            return base["w"]
        try:
            self.compare(setup)
        finally:
            if "w" in base:
                self._status_behind(base["w"], 3)

    # === 10. submodules ===

    def test_submodule_moved(self):
        self.compare(lambda: self._submodule(False))

    def test_submodule_moved_recurse(self):
        self.compare(lambda: self._submodule(True))

    # === 11. hooks and fsmonitor ===

    def test_hooks_post_merge_and_post_checkout(self):
        def setup():
            w = self.behind_setup()
            self.install_hooks(w)
            return w
        o = self.compare(setup)
        # The setup is effective: git ran post-merge on its fast-forward.
        self.assertTrue(any(l.startswith("post-merge") for l in o.hooks_a), o.hooks_a)

    def test_hooks_path(self):
        def setup():
            w = self.behind_setup()
            hookdir = self.path("hookdir")
            self.install_hooks(hookdir=hookdir, names=("post-merge",))
            self.git("config", "core.hooksPath", hookdir, cwd=w)
            return w
        o = self.compare(setup)
        self.assertTrue(any(l.startswith("post-merge") for l in o.hooks_a), o.hooks_a)

    def test_status_and_fetch_run_no_hooks(self):
        w = self._watched_repo()
        # The setup is effective: git's own fetch runs the reference-transaction
        # hook and git's status runs the fsmonitor.
        c = self.copies(w, "C")[0]
        self.git("fetch", "-q", cwd=c)
        self.assertTrue(any(l.startswith("reference-transaction") for l in self.log_lines(self.hooklog)))
        self.git("status", "--porcelain", cwd=c)
        self.assertTrue(self.log_lines(self.fsmonitor_log))
        self._check_quiet_op(w, "status")
        self._check_quiet_op(w, "fetch")

    def test_status_does_not_run_fsmonitor(self):
        w = self._watched_repo()
        c = self.copies(w, "C")[0]
        self.git("--no-optional-locks", "status", "--porcelain", cwd=c)
        self.assertTrue(self.log_lines(self.fsmonitor_log), "git status did not call the fsmonitor script")
        self._check_quiet_op(w, "status")

    def test_status_on_sparse_index_runs_no_fsmonitor_or_hooks(self):
        w = self._watched_repo(sparse_index=True)
        c = self.copies(w, "C")[0]
        self.git("--no-optional-locks", "status", "--porcelain", cwd=c)
        self.assertTrue(self.log_lines(self.fsmonitor_log), "git status did not call the fsmonitor script")
        self._check_quiet_op(w, "status")

    # === index formats ===

    def test_index_version_4(self):
        def setup():
            w = self.behind_setup()
            self.git("update-index", "--index-version", "4", cwd=w)
            return w
        self.compare(setup)

    def test_split_index(self):
        def setup():
            w = self.behind_setup()
            self.git("config", "core.splitIndex", "true", cwd=w)
            self.git("update-index", "--split-index", cwd=w)
            self.assertTrue(any(f.startswith("sharedindex.") for f in os.listdir(os.path.join(w, ".git"))))
            return w
        self.compare(setup)

    def test_untracked_cache(self):
        def setup():
            w = self.behind_setup()
            self.git("config", "core.untrackedCache", "true", cwd=w)
            self.git("update-index", "--untracked-cache", cwd=w)
            self.write(os.path.join(w, "scratch.txt"), "mine\n")
            self.git("status", "--porcelain", cwd=w)
            return w
        self.compare(setup)

    # === more remotes, refspecs and repository formats ===

    def test_upstream_on_second_remote_with_slash(self):
        """main tracks team/up/main (remote "team/up"), which is ahead of
        origin: the pull must fetch and follow that remote, not origin."""
        def setup():
            self.start()
            srv2 = self.path("srv", "second.git")
            self.git("clone", "-q", "--bare", self.srv, srv2)
            w = self.work()
            self.git("remote", "add", "team/up", srv2, cwd=w)
            self.git("fetch", "-q", "team/up", cwd=w)
            self.git("branch", "-q", "--set-upstream-to", "team/up/main", cwd=w)
            self.up({"README": "origin only\n"})
            self.git("remote", "add", "second", srv2, cwd=self.pusher)
            self.up({"second.txt": "second remote\n"})
            self.git("push", "-q", "second", "main", cwd=self.pusher)
            self.up({"README": "origin again\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_nonstandard_fetch_refspec(self):
        def setup():
            self.start()
            w = self.work()
            self.git("config", "remote.origin.fetch", "+refs/heads/*:refs/remotes/elsewhere/*", cwd=w)
            self.git("fetch", "-q", "origin", cwd=w)
            self.git("branch", "-q", "--set-upstream-to", "elsewhere/main", cwd=w)
            self.up({"README": "v2\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_url_insteadof(self):
        def setup():
            self.start()
            w = self.work()
            self.git("config", "url.%s/.insteadOf" % os.path.dirname(self.srv), "srvalias:", cwd=w)
            self.git("remote", "set-url", "origin", "srvalias:origin.git", cwd=w)
            self.up({"README": "v2\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_sha256_repository(self):
        def setup():
            self.srv = self.path("srv", "sha256.git")
            self.git("init", "-q", "--bare", "-b", "main", "--object-format=sha256", self.srv)
            self.start(init_args=("--object-format=sha256",))
            w = self.work()
            self.assertEqual(len(self.rev(w, "HEAD")), 64)
            self.up({"README": "v2\n"})
            return w
        self.compare(setup)

    def test_partial_clone_blobless(self):
        def setup():
            self.start()
            self.git("config", "uploadpack.allowFilter", "true", cwd=self.srv)
            w = self.work("--filter=blob:none", src="file://" + self.srv)
            self.assertEqual(self.git("config", "remote.origin.promisor", cwd=w).strip(), "true")
            self.up({"README": "v2\n", "big.txt": "blob fetched on demand\n"})
            return w
        self.compare(setup)


if __name__ == "__main__":
    unittest.main(verbosity=2)
