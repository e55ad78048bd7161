#!/usr/bin/env python3
"""`repopool --git pull` side by side with `git pull --ff-only` (the promise
and the comparison are in tests/lib/pull_parity.py): names and
configuration: branch names, odd paths, a local upstream, pull
configuration.

The binary is named by the REPOPOOL environment variable:

    REPOPOOL=/path/to/build/repopool python3 tests/git/test_pull_parity_names.py -v
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.pull_parity import BASE, LONG_BRANCH, PullParityTestCase  # noqa: E402


class PullParity(PullParityTestCase):

    # === 12. branch names ===

    def test_long_branch_name(self):
        """A 600-byte branch, beside branches named by its truncations (to
        the lengths a fixed buffer would cut it to), locally and upstream."""
        cuts = (244, 248, 255, 491, 500, 504, 511)

        def setup():
            self.start()
            for n in cuts:
                self.git("checkout", "-q", "-b", LONG_BRANCH[:n], "main", cwd=self.pusher)
                self.up({"upstream-cut.txt": "%d\n" % n})
            self.git("checkout", "-q", "-b", LONG_BRANCH, "main", cwd=self.pusher)
            self.up({"long.txt": "first\n"})
            w = self.work()
            self.git("checkout", "-q", "--track", "origin/" + LONG_BRANCH, cwd=w)
            self.assertEqual(self.git("symbolic-ref", "HEAD", cwd=w).strip(), "refs/heads/" + LONG_BRANCH)
            for n in cuts:
                tree = self.rev(w, "main^{tree}")
                c = self.git("commit-tree", tree, "-p", "main", "-m", "sibling %d" % n, cwd=w).strip()
                self.git("update-ref", "refs/heads/" + LONG_BRANCH[:n], c, cwd=w)
            self.up({"long.txt": "second\n"}, branch=LONG_BRANCH)
            return w
        o = self.compare(setup, expect_ok=True)
        self.assertEqual(o.view_b["HEAD symbolic"].strip(), "refs/heads/" + LONG_BRANCH)

    def test_branch_name_utf8(self):
        self.compare(lambda: self._odd_branch("feature/ü-x"), expect_ok=True)

    def test_branch_name_dot(self):
        self.compare(lambda: self._odd_branch("a.b"), expect_ok=True)

    def test_branch_name_at(self):
        self.compare(lambda: self._odd_branch("x@y"), expect_ok=True)

    def test_branch_name_odd_punctuation(self):
        self.compare(lambda: self._odd_branch("release/1.0_rc+1=#%,!"), expect_ok=True)

    # === 13. odd paths ===

    def test_paths_spaces_tabs_dashes(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"with space.txt": "s\n", "tab\there.txt": "t\n", "-leading-dash": "d\n",
                     "--also": "d\n", "dir with space/x y": "z\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_path_newline(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"new\nline.txt": "nl\n", "end\n": "nl\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_path_carriage_return(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"cr\rname.txt": "cr\n", "trailing\r": "cr\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_path_invalid_utf8(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"bad\udcff\udcfe.txt": "latin\n", "dir\udce9/x": "x\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_case_only_rename(self):
        def setup():
            self.start(dict(BASE, **{"Docs/Guide.md": "guide\n"}))
            w = self.work()
            self.git("mv", "README", "readme", cwd=self.pusher)
            self.git("mv", "Docs", "docs", cwd=self.pusher)
            self.up()
            return w
        self.compare(setup, expect_ok=True)

    # === 14. a local upstream ===

    def test_local_upstream(self):
        def setup():
            self.start()
            w = self.work()
            self.git("branch", "-q", "--track", "topic", "main", cwd=w)
            self.assertEqual(self.git("config", "branch.topic.remote", cwd=w).strip(), ".")
            self.local_commit(w, {"README": "moved on main\n", "m.txt": "m\n"})
            self.git("checkout", "-q", "topic", cwd=w)
            return w
        self.compare(setup, expect_ok=True)

    # === 15. pull configuration ===

    def test_pull_rebase_true(self):
        def setup():
            w = self.behind_setup(2)
            self.git("config", "pull.rebase", "true", cwd=w)
            return w
        self.compare(setup)

    def test_pull_rebase_true_diverged(self):
        def setup():
            self.start()
            w = self.work()
            self.local_commit(w, {"mine.txt": "local\n"})
            self.up({"README": "v2\n"})
            self.git("config", "pull.rebase", "true", cwd=w)
            return w
        self.compare(setup)

    def test_pull_ff_false(self):
        def setup():
            w = self.behind_setup(2)
            self.git("config", "pull.ff", "false", cwd=w)
            return w
        self.compare(setup)

    def test_branch_rebase_true(self):
        def setup():
            w = self.behind_setup()
            self.git("config", "branch.main.rebase", "true", cwd=w)
            return w
        self.compare(setup)


if __name__ == "__main__":
    unittest.main(verbosity=2)
