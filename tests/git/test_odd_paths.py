#!/usr/bin/env python3
"""Tests of `repopool --git status|fetch|pull` on what is not an ordinary
repository: one owned by another user (refused as git would, saying how to
trust it), paths that would break a shell or a line-based format, and
directories that are no repository at all.

The binary is named by the REPOPOOL environment variable; each test has
the sandbox of tests/lib/base.py.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import TestCase  # noqa: E402


class Owner(TestCase):
    """Part 6: a repository owned by someone else."""

    def test_foreign_owner(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to give a repository to another user")
        import pwd
        try:
            nobody = pwd.getpwnam("nobody")
        except KeyError:
            self.skipTest("no user 'nobody'")
        p = self.new_repo(self.path("repos", "foreign repo"))
        for dirpath, dirnames, filenames in os.walk(p):
            for n in [dirpath] + [os.path.join(dirpath, f) for f in dirnames + filenames]:
                os.lchown(n, nobody.pw_uid, nobody.pw_gid)
        # Without any safe.directory setting (the usual case), and with one
        # that names some other directory.
        for setting in ("none", "unrelated"):
            if setting == "unrelated":
                self.git("config", "--global", "--add", "safe.directory", self.path("elsewhere"))
            for op in ("status", "fetch", "pull"):
                with self.subTest(op=op, safe_directory=setting):
                    res = self.repopool(["--git", op, p])
                    self.assert_exit(res, 1)
                    e = self.single_end(res, p)
                    self.assertEqual((e["status"], e["class"]), ("failed", "owner"), res.describe())
                    self.assertIn("safe.directory", e["summary"])
                    self.assertIn(p, e["summary"])
        # Trusting it the way the summary says makes it work.
        self.git("config", "--global", "--add", "safe.directory", p)
        res = self.repopool(["--git", "status", p])
        self.assert_exit(res, 0)


WEIRD_NAMES = [
    "with space",
    "quote'single",
    'quote"double',
    "new\nline",
    "$(touch PWNED)",
    "`touch PWNED`",
    "-leading-dash",
    "--leading-double-dash",
    "semi;colon&amp|pipe",
    "tab\tand\\backslash",
    "ünïcödé",
    "glob*?[x]",
]


class OddPaths(TestCase):
    """Part 7: paths that would break a shell or a line-based format."""

    def make(self):
        base = self.path("odd")
        os.mkdir(base)
        paths = [self.new_repo(os.path.join(base, n)) for n in WEIRD_NAMES]
        return base, paths

    def assert_no_pwned(self, base):
        found = []
        for dirpath, dirnames, filenames in os.walk(self.tmp):
            found += [os.path.join(dirpath, f) for f in filenames if f == "PWNED"]
        self.assertEqual(found, [], "a path was run through a shell")
        self.assertFalse(os.path.exists(os.path.join(os.getcwd(), "PWNED")))

    def test_status_on_odd_paths(self):
        base, paths = self.make()
        for p in paths:
            self.write(os.path.join(p, "README"), "changed\n")
        runs = {
            "arguments": ["--git", "status"] + paths,
            "relative-from-file": None,
            "scan": ["--git", "status", "--scan", base],
        }
        listing = self.path("list.txt")
        with open(listing, "w") as f:
            # The newline one cannot be written one per line; -f gets the rest.
            for n in WEIRD_NAMES:
                if "\n" not in n:
                    f.write(n + "\n")
        runs["relative-from-file"] = ["--git", "status", "-f", listing]
        for how, args in runs.items():
            with self.subTest(how=how):
                res = self.repopool(args, cwd=base)
                self.assert_exit(res, 0)
                want = set(paths) if how != "relative-from-file" else \
                    {p for p in paths if "\n" not in p}
                ends = res.end_by_repo()
                self.assertEqual(set(ends), want, res.describe())
                for e in ends.values():
                    self.assertEqual(e["status"], "ok", e)
                    self.assertEqual(e["git"]["modified"], 1, e)
        # The git child (fallback status, fetch --fetch-with=git) gets the path too.
        for p in paths:
            self.git("update-index", "--split-index", cwd=p)
        res = self.repopool(["--git", "status"] + paths)
        self.assert_exit(res, 0)
        self.assertEqual({e["repo"] for e in res.ends()}, set(paths))
        res = self.repopool(["--git", "fetch", "--fetch-with=git"] + paths)
        self.assert_exit(res, 0)
        self.assertEqual({e["repo"] for e in res.ends()}, set(paths))
        self.assert_no_pwned(base)

    def test_plain_output_keeps_one_line_per_task(self):
        base, paths = self.make()
        res = self.repopool(["--git", "status"] + paths, json_events=False)
        self.assert_exit(res, 0)
        lines = res.stdout.decode("utf-8", "replace").splitlines()
        # The status table: a header, a row each, the summary; each row's
        # columns line up however odd its path.
        self.assertEqual(len(lines), len(paths) + 2, res.stdout)
        column = lines[0].index("BRANCH")
        self.assertTrue(all(l[column:].startswith("main ") for l in lines[1:-1]), res.stdout)
        res = self.repopool(["--git", "fetch"] + paths, json_events=False)
        self.assertEqual(len(res.stdout.decode("utf-8", "replace").splitlines()), len(paths) + 1, res.stdout)
        self.assert_no_pwned(base)


class NotARepository(TestCase):
    """Part 8."""

    def test_not_a_repository(self):
        plain = self.path("plain")
        os.makedirs(os.path.join(plain, "sub"))
        bare = self.init(self.path("bare.git"), bare=True)
        outer = self.new_repo(self.path("outer"))
        inside = os.path.join(outer, "src")  # a directory inside a repository
        empty_git = self.path("empty-dot-git")
        os.makedirs(os.path.join(empty_git, ".git"))
        targets = [plain, bare, inside, empty_git]
        for op in ("status", "fetch", "pull"):
            with self.subTest(op=op):
                res = self.repopool(["--git", op, "--retries", "2"] + targets)
                self.assert_exit(res, 1)
                ends = res.end_by_repo()
                self.assertEqual(set(ends), set(targets), res.describe())
                for t in targets:
                    self.assertEqual((ends[t]["status"], ends[t]["class"]), ("failed", "not-a-repo"),
                                     res.describe())
                self.assertEqual(res.retries(), [])
                self.assertIn("bare", ends[bare]["summary"])
        self.assertEqual(self.git("status", "--porcelain", cwd=outer), "")


if __name__ == "__main__":
    unittest.main(verbosity=2)
