#!/usr/bin/env python3
"""`repopool --git pull` side by side with `git pull --ff-only` (the promise
and the comparison are in tests/lib/pull_parity.py): the basic shapes (fast-
forwards, up to date, diverged, detached, no or a gone upstream) and dirty
worktrees and operations in progress.

The binary is named by the REPOPOOL environment variable:

    REPOPOOL=/path/to/build/repopool python3 tests/git/test_pull_parity_basics.py -v
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.pull_parity import PullParityTestCase  # noqa: E402


class PullParity(PullParityTestCase):

    # === 1. the basic shapes ===

    def test_ff_one_commit(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"README": "v2\n", "new/deep/file.txt": "n\n", "keep.txt": None,
                     "lib/util.c": None, "tool.sh": ("#!/bin/sh\n", 0o755)})
            return w
        self.compare(setup, expect_ok=True)

    def test_ff_three_commits(self):
        self.compare(lambda: self.behind_setup(3), expect_ok=True)

    def test_already_up_to_date(self):
        def setup():
            self.start()
            return self.work()
        self.compare(setup, expect_ok=True)

    def test_ahead_only(self):
        def setup():
            self.start()
            w = self.work()
            self.local_commit(w, {"mine.txt": "unpushed\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_diverged(self):
        def setup():
            self.start()
            w = self.work()
            self.local_commit(w, {"mine.txt": "local\n"})
            self.up({"README": "v2\n"})
            return w
        self.compare(setup)

    def test_upstream_rewound(self):
        def setup():
            self.start()
            self.up({"README": "v2\n"})
            w = self.work()
            self.git("push", "-q", "-f", "origin", "HEAD~1:main", cwd=self.pusher)
            return w
        self.compare(setup)

    def test_detached_head(self):
        def setup():
            self.start()
            w = self.work()
            self.git("checkout", "-q", "--detach", "HEAD", cwd=w)
            self.up({"README": "v2\n"})
            return w
        self.compare(setup)

    def test_no_upstream(self):
        def setup():
            self.start()
            w = self.work()
            self.git("checkout", "-q", "-b", "local-only", cwd=w)
            self.up({"README": "v2\n"})
            return w
        self.compare(setup)

    def test_unborn_branch_without_upstream(self):
        def setup():
            self.start()
            w = self.init(self.path("base", "repo"))
            self.git("remote", "add", "origin", self.srv, cwd=w)
            self.write(os.path.join(w, "scratch.txt"), "untracked\n")
            return w
        self.compare(setup)

    def test_unborn_branch_with_upstream(self):
        def setup():
            self.start()
            w = self.init(self.path("base", "repo"))
            self.git("remote", "add", "origin", self.srv, cwd=w)
            self.git("config", "branch.main.remote", "origin", cwd=w)
            self.git("config", "branch.main.merge", "refs/heads/main", cwd=w)
            return w
        self.compare(setup)

    def test_upstream_deleted_on_remote(self):
        def setup():
            self.start()
            self.git("push", "-q", "origin", "main:doomed", cwd=self.pusher)
            w = self.work()
            self.git("checkout", "-q", "-b", "doomed", "--track", "origin/doomed", cwd=w)
            self.git("push", "-q", "origin", ":doomed", cwd=self.pusher)
            self.up({"README": "v2\n"}, branch="main")
            return w
        self.compare(setup)

    def test_upstream_deleted_and_pruned(self):
        def setup():
            self.start()
            self.git("push", "-q", "origin", "main:doomed", cwd=self.pusher)
            w = self.work()
            self.git("checkout", "-q", "-b", "doomed", "--track", "origin/doomed", cwd=w)
            self.git("push", "-q", "origin", ":doomed", cwd=self.pusher)
            self.git("fetch", "-q", "--prune", "origin", cwd=w)
            return w
        self.compare(setup)

    def test_upstream_of_another_name(self):
        def setup():
            self.start()
            self.git("push", "-q", "origin", "main:release", cwd=self.pusher)
            w = self.work()
            self.git("branch", "-q", "--set-upstream-to", "origin/release", "main", cwd=w)
            self.up({"README": "main moved\n"}, branch="main")
            self.git("checkout", "-q", "-b", "release", "origin/release", cwd=self.pusher)
            self.up({"README": "release moved\n", "rel.txt": "r\n"})
            return w
        self.compare(setup, expect_ok=True)

    # === 2. dirty worktrees and operations in progress ===

    def test_modified_file_touched_upstream(self):
        def setup():
            w = self.behind_setup()
            self.write(os.path.join(w, "README"), "local edit\n")
            return w
        self.compare(setup)

    def test_modified_file_not_touched_upstream(self):
        def setup():
            w = self.behind_setup()
            self.write(os.path.join(w, "keep.txt"), "local edit\n")
            return w
        self.compare(setup)

    def test_staged_change(self):
        def setup():
            w = self.behind_setup()
            self.write(os.path.join(w, "keep.txt"), "staged\n")
            self.git("add", "keep.txt", cwd=w)
            return w
        self.compare(setup)

    def test_staged_new_file(self):
        def setup():
            w = self.behind_setup()
            self.write(os.path.join(w, "added.txt"), "staged new\n")
            self.git("add", "added.txt", cwd=w)
            return w
        self.compare(setup)

    def test_intent_to_add_file(self):
        def setup():
            w = self.behind_setup()
            self.write(os.path.join(w, "ita.txt"), "intent\n")
            self.git("add", "-N", "ita.txt", cwd=w)
            return w
        self.compare(setup)

    def test_unmerged_index_with_conflict_markers(self):
        def setup():
            w = self.behind_setup()
            self._side_conflict(w)
            self.git("merge", "side", cwd=w, check=False)
            for f in ("MERGE_HEAD", "MERGE_MSG", "MERGE_MODE", "AUTO_MERGE"):
                if os.path.exists(os.path.join(w, ".git", f)):
                    os.unlink(os.path.join(w, ".git", f))
            self.assertIn(b"<<<<<<<", self.read(os.path.join(w, "conflict.txt")))
            return w
        self.compare(setup)

    def test_merge_in_progress_with_conflicts(self):
        def setup():
            w = self.behind_setup()
            self._side_conflict(w)
            self.git("merge", "side", cwd=w, check=False)
            self.assertTrue(os.path.exists(os.path.join(w, ".git", "MERGE_HEAD")))
            return w
        self.compare(setup)

    def test_merge_in_progress_without_conflicts(self):
        """MERGE_HEAD, everything staged, main itself not ahead."""
        def setup():
            self.start()
            w = self.work()
            self.git("checkout", "-q", "-b", "side", cwd=w)
            self.local_commit(w, {"side.txt": "side\n"})
            self.git("checkout", "-q", "main", cwd=w)
            self.git("merge", "--no-ff", "--no-commit", "side", cwd=w)
            self.assertTrue(os.path.exists(os.path.join(w, ".git", "MERGE_HEAD")))
            self.up({"README": "v2\n"})
            return w
        self.compare(setup)

    def test_rebase_in_progress(self):
        def setup():
            w = self.behind_setup()
            self._side_conflict(w)
            self.git("rebase", "side", cwd=w, check=False)
            self.assertTrue(os.path.isdir(os.path.join(w, ".git", "rebase-merge")))
            return w
        self.compare(setup)

    def test_cherry_pick_in_progress(self):
        def setup():
            self.start()
            self.up({"conflict.txt": "two\n"})
            w = self.work()
            self.git("checkout", "-q", "-b", "side", "HEAD~1", cwd=w)
            self.local_commit(w, {"conflict.txt": "side\n"})
            self.git("checkout", "-q", "main", cwd=w)
            self.git("cherry-pick", "side", cwd=w, check=False)
            self.assertTrue(os.path.exists(os.path.join(w, ".git", "CHERRY_PICK_HEAD")))
            self.up({"README": "v3\n"})
            return w
        self.compare(setup)

    def test_revert_in_progress(self):
        def setup():
            self.start()
            self.up({"conflict.txt": "two\n"})
            self.up({"conflict.txt": "three\n"})
            w = self.work()
            self.git("revert", "--no-edit", "HEAD~1", cwd=w, check=False)
            self.assertTrue(os.path.exists(os.path.join(w, ".git", "REVERT_HEAD")))
            self.up({"README": "v4\n"})
            return w
        self.compare(setup)

    def test_skip_worktree_file_modified(self):
        def setup():
            w = self.behind_setup()
            self.git("update-index", "--skip-worktree", "keep.txt", cwd=w)
            self.write(os.path.join(w, "keep.txt"), "hidden local edit\n")
            return w
        self.compare(setup)

    def test_assume_unchanged_file_modified_and_touched_upstream(self):
        def setup():
            w = self.behind_setup()
            self.git("update-index", "--assume-unchanged", "README", cwd=w)
            self.write(os.path.join(w, "README"), "hidden local edit\n")
            return w
        self.compare(setup)


if __name__ == "__main__":
    unittest.main(verbosity=2)
