#!/usr/bin/env python3
"""`repopool --git pull` side by side with `git pull --ff-only` (the promise
and the comparison are in tests/lib/pull_parity.py): what the worktree
holds: untracked and ignored files, directories and files trading places,
deletions, renames, modes and symlinks, and more worktree shapes.

The binary is named by the REPOPOOL environment variable:

    REPOPOOL=/path/to/build/repopool python3 tests/git/test_pull_parity_worktree.py -v
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.pull_parity import BASE, Link, PullParityTestCase  # noqa: E402


class PullParity(PullParityTestCase):

    # === 3. untracked and ignored files ===

    def test_untracked_file_in_the_way(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"incoming.txt": "from upstream\n"})
            self.write(os.path.join(w, "incoming.txt"), "mine, untracked\n")
            return w
        self.compare(setup)

    def test_untracked_file_in_the_way_same_content(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"incoming.txt": "same\n"})
            self.write(os.path.join(w, "incoming.txt"), "same\n")
            return w
        self.compare(setup)

    def test_untracked_file_in_the_way_deep(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"newdir/deep/file.c": "int deep;\n"})
            self.write(os.path.join(w, "newdir/deep/file.c"), "mine\n")
            return w
        self.compare(setup)

    def test_ignored_file_in_the_way(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"incoming.log": "tracked upstream despite the ignore rule\n"})
            self.write(os.path.join(w, "incoming.log"), "my ignored log\n")
            return w
        self.compare(setup)

    def test_untracked_and_ignored_unrelated_survive(self):
        def setup():
            w = self.behind_setup(2)
            self.write(os.path.join(w, "scratch.txt"), "mine\n")
            self.write(os.path.join(w, "notes/deep/n.txt"), "mine\n")
            self.write(os.path.join(w, "debug.log"), "ignored\n")
            self.write(os.path.join(w, "build/out.o"), b"\x00obj")
            return w
        self.compare(setup, expect_ok=True)

    # === 4. directories and files trading places ===

    def test_dir_to_file_with_untracked_inside(self):
        self.compare(lambda: self._dir_to_file({"d/untracked.txt": "mine\n"}))

    def test_dir_to_file_with_ignored_inside(self):
        self.compare(lambda: self._dir_to_file({"d/trace.log": "ignored\n"}))

    def test_dir_to_file_clean(self):
        self.compare(lambda: self._dir_to_file({}), expect_ok=True)

    def test_file_to_dir_clean(self):
        def setup():
            self.start(dict(BASE, f="a file\n"))
            w = self.work()
            self.up({"f": None, "f/inner.txt": "now a directory\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_incoming_dir_over_untracked_file(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"e/inner.txt": "incoming directory\n"})
            self.write(os.path.join(w, "e"), "my untracked file named e\n")
            return w
        self.compare(setup)

    def test_incoming_dir_over_ignored_file(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"e.log/inner.txt": "incoming directory\n"})
            self.write(os.path.join(w, "e.log"), "my ignored file\n")
            return w
        self.compare(setup)

    # === 5. deletions, renames, modes, symlinks ===

    def test_upstream_deletes_locally_modified_file(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"keep.txt": None})
            self.write(os.path.join(w, "keep.txt"), "local edit\n")
            return w
        self.compare(setup)

    def test_upstream_renames(self):
        def setup():
            self.start(dict(BASE, **{"lib/b.c": "int b;\n" * 20}))
            w = self.work()
            self.git("mv", "lib/util.c", "lib/util2.c", cwd=self.pusher)
            os.makedirs(os.path.join(self.pusher, "src"))
            self.git("mv", "lib/b.c", "src/b.c", cwd=self.pusher)
            self.up({"src/b.c": "int b;\n" * 20 + "int b2;\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_mode_change_exec(self):
        def setup():
            self.start(dict(BASE, **{"run.sh": "#!/bin/sh\necho hi\n"}))
            w = self.work()
            os.chmod(os.path.join(self.pusher, "run.sh"), 0o755)
            self.up()
            return w
        self.compare(setup, expect_ok=True)

    def test_symlink_added(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"link": Link("keep.txt"), "dirlink": Link("lib")})
            return w
        self.compare(setup, expect_ok=True)

    def test_symlink_changed(self):
        def setup():
            self.start(dict(BASE, link=Link("keep.txt")))
            w = self.work()
            self.up({"link": Link("README")})
            return w
        self.compare(setup, expect_ok=True)

    def test_file_replaced_by_symlink(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"keep.txt": Link("README")})
            return w
        self.compare(setup, expect_ok=True)

    def test_symlink_replaced_by_file(self):
        def setup():
            self.start(dict(BASE, link=Link("keep.txt")))
            w = self.work()
            self.up({"link": "a plain file now\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_exec_bit_with_filemode_false(self):
        def setup():
            self.start(dict(BASE, **{"run.sh": "#!/bin/sh\n"}))
            w = self.work()
            self.git("config", "core.fileMode", "false", cwd=w)
            os.chmod(os.path.join(self.pusher, "run.sh"), 0o755)
            self.up({"README": "v2\n"})
            return w
        self.compare(setup)

    def test_local_chmod_with_filemode_false(self):
        """Not a change when core.fileMode=false: git fast-forwards."""
        def setup():
            w = self.behind_setup()
            self.git("config", "core.fileMode", "false", cwd=w)
            os.chmod(os.path.join(w, "README"), 0o755)
            return w
        self.compare(setup)

    def test_symlinks_false(self):
        def setup():
            self.start()
            w = self.work()
            self.git("config", "core.symlinks", "false", cwd=w)
            self.up({"link": Link("keep.txt")})
            return w
        self.compare(setup)

    # === more worktree shapes ===

    def test_local_chmod_only(self):
        """A mode-only local change to a file upstream leaves alone."""
        def setup():
            w = self.behind_setup()
            os.chmod(os.path.join(w, "keep.txt"), 0o755)
            return w
        self.compare(setup)

    def test_upstream_adds_gitattributes_eol(self):
        """New attributes arrive with a change: git rewrites only the files
        the fast-forward touches."""
        def setup():
            self.start(dict(BASE, **{"a.txt": "a\n", "b.txt": "b\n"}))
            w = self.work()
            self.up({".gitattributes": "*.txt text eol=crlf\n", "a.txt": "a2\n"})
            return w
        self.compare(setup)

    def test_working_tree_encoding_utf16(self):
        def setup():
            attrs = "*.u16 text working-tree-encoding=UTF-16LE eol=lf\n"
            self.start(dict(BASE, **{".gitattributes": attrs, "x.u16": "hello\n".encode("utf-16le")}))
            w = self.work()
            self.assertEqual(self.read(os.path.join(w, "x.u16")), "hello\n".encode("utf-16le"))
            self.up({"x.u16": "changed\n".encode("utf-16le"), "y.u16": "new\n".encode("utf-16le")})
            return w
        self.compare(setup)

    def test_paths_glob_and_backslash(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"back\\slash.txt": "b\n", "star*.txt": "s\n", "q?.txt": "q\n", ":colon": "c\n",
                     "[brackets]": "b\n", "$(echo pwned)": "x\n", "'quote\"": "q\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_long_incoming_path(self):
        """A path that brings the absolute name close to PATH_MAX (4096)."""
        def setup():
            self.start()
            w = self.work()
            longest = max(len(self.path(d, "repo")) for d in ("A", "B", "base", "pusher"))
            room = 4090 - longest - 1
            comps, left = [], room
            while left > 0:
                n = min(200, left)
                if left - n == 1:
                    n -= 2
                comps.append("p" * n)
                left -= n + 1
            rel = "/".join(comps)
            self.assertLessEqual(len(self.path("B", "repo", rel)), 4095)
            self.up({rel: "deep\n", "README": "v2\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_upstream_adds_submodule(self):
        def setup():
            subsrv, _ = self.served_submodule()
            self.start()
            w = self.work()
            self.git("submodule", "add", "-q", subsrv, "sub", cwd=self.pusher)
            self.up(msg="add submodule")
            return w
        self.compare(setup, expect_ok=True)

    def test_upstream_removes_submodule(self):
        def setup():
            subsrv, _ = self.served_submodule()
            self.start()
            self.git("submodule", "add", "-q", subsrv, "sub", cwd=self.pusher)
            self.up(msg="add submodule")
            w = self.work("--recurse-submodules")
            self.git("rm", "-q", "sub", cwd=self.pusher)
            self.up(msg="remove submodule")
            return w
        self.compare(setup)


if __name__ == "__main__":
    unittest.main(verbosity=2)
