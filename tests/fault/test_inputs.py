#!/usr/bin/env python3
"""Inputs that name repositories badly, or are not lists at all.

- Lists that never end a line: `-f /dev/zero`, and `-f -` from a pipe that
  writes forever without a newline (NUL bytes or text). A line is kept only
  up to PATH_MAX; a line with no newline in its first 1 GiB refuses the
  rest of the list with one line on stderr and exit 2 (what the lines
  before it named has started meanwhile, and ends in its time). repopool's peak RSS
  (VmHWM, polled, and ru_maxrss from wait4) stays under 64 MiB, and the
  run ends (a guard timeout only stops a hang).
- A 100 MB line between good lines: it fails as one entry (named by its
  first bytes), every good line runs, memory stays flat.
- A repository named through its `.git` (the directory, the gitfile of a
  worktree, a symlink to it) is the repository: it runs once, in the
  working tree, and `--git status REPO/.git` is the status of REPO.
- `--scan` over a tree with dangling symlinks and symlink loops says
  nothing on stderr and finds every repository; a directory it cannot read
  is reported once (as an unprivileged user: root reads everything).
"""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import TestCase  # noqa: E402
from lib.config import REPOPOOL  # noqa: E402
from lib.events import Result, check_no_sanitizer_report, parse_events  # noqa: E402
from lib.procs import vm_hwm_kib  # noqa: E402

MIB = 1 << 20
RSS_LIMIT_KIB = 64 * 1024       # peak RSS allowed to repopool reading a list
GUARD_TIMEOUT = 120             # only stops a hang
LIMIT_TEXT = "no newline in its first 1 GiB, not a list of paths"


class Measured(Result):
    """A run with repopool's peak RSS (VmHWM polled, ru_maxrss) and how long
    it took."""

    def __init__(self, args, returncode, stdout, stderr, hwm_kib, maxrss_kib, seconds):
        super().__init__(args, returncode, stdout, stderr, [])
        self.hwm_kib = hwm_kib
        self.maxrss_kib = maxrss_kib
        self.seconds = seconds

    def describe(self):
        return "exit %s, %.2fs, VmHWM %s KiB, ru_maxrss %s KiB\nstdout (end): %s\nstderr (end): %s" % (
            self.returncode, self.seconds, self.hwm_kib, self.maxrss_kib,
            self.stdout[-3000:].decode("utf-8", "replace"), self.stderr[-3000:].decode("utf-8", "replace"))


class InputTestCase(TestCase):
    def run_measured(self, args, stdin=subprocess.DEVNULL, feed=None, cwd=None, prefix=()):
        """Runs repopool to its end, polling its peak RSS; feed(pipe), when
        given, writes its standard input from a thread. A run whose RSS
        passes four times the limit is killed at once: that is the defect,
        and waiting for it would only fill the machine's memory."""
        out_path, err_path = self.path(self.unique("stdout")), self.path(self.unique("stderr"))
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            start = time.monotonic()
            p = subprocess.Popen(list(prefix) + [REPOPOOL] + list(args), cwd=cwd or self.tmp, env=self.env,
                                 stdin=subprocess.PIPE if feed else stdin, stdout=out, stderr=err)
        writer = None
        if feed:
            writer = threading.Thread(target=feed, args=(p.stdin,), daemon=True)
            writer.start()
        hwm, killed_why = 0, None
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid == p.pid:
                break
            now = vm_hwm_kib(p.pid)
            if now is not None and now > hwm:
                hwm = now
            if killed_why is None and hwm > 4 * RSS_LIMIT_KIB:
                killed_why = "its RSS passed %d KiB" % hwm
            elif killed_why is None and time.monotonic() - start > GUARD_TIMEOUT:
                killed_why = "it did not end within %ds" % GUARD_TIMEOUT
            if killed_why is not None:
                os.kill(p.pid, signal.SIGKILL)
            time.sleep(0.005)
        seconds = time.monotonic() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        if writer:
            writer.join(GUARD_TIMEOUT)
            try:
                p.stdin.close()
            except OSError:
                pass
        res = Measured(args, p.returncode, self.read(out_path), self.read(err_path), hwm, usage.ru_maxrss, seconds)
        if killed_why is not None:
            self.fail("repopool %s killed: %s\n%s" % (args[:6], killed_why, res.describe()))
        check_no_sanitizer_report(self, res.stderr)
        return res

    def assert_flat(self, res):
        self.assertGreater(res.hwm_kib, 0, res.describe())
        self.assertLess(res.hwm_kib, RSS_LIMIT_KIB, res.describe())
        # ru_maxrss may also count the test's own size at the fork: an
        # upper bound of repopool's, checked as well.
        self.assertLess(res.maxrss_kib, RSS_LIMIT_KIB, res.describe())

    def good_dirs(self, n, name="good"):
        return self.mkdirs(*("d%03d" % i for i in range(n)), under=name)


class EndlessLines(InputTestCase):
    def test_dev_zero_is_refused_and_memory_stays_flat(self):
        res = self.run_measured(["--no-tui", "-f", "/dev/zero", "--", "true"])
        self.assertEqual(res.returncode, 2, res.describe())
        self.assertEqual(res.stderr, ("repopool: /dev/zero: line 1: %s\n" % LIMIT_TEXT).encode(),
                         res.describe())
        self.assertEqual(res.stdout, b"", "nothing runs")
        self.assert_flat(res)

    def test_endless_pipe_on_stdin_is_refused_and_memory_stays_flat(self):
        good = self.good_dirs(2)
        for fill in (b"x", b"\0"):
            with self.subTest(fill=fill):
                def feed(pipe, fill=fill):
                    try:
                        pipe.write(b"".join(os.fsencode(p) + b"\n" for p in good))
                        chunk = fill * MIB
                        while True:
                            pipe.write(chunk)
                    except (BrokenPipeError, ValueError, OSError):
                        pass
                res = self.run_measured(["--json", "--no-tui", "-f", "-", "--", "true"], feed=feed)
                self.assertEqual(res.returncode, 2, res.describe())
                self.assertEqual(res.stderr, ("repopool: standard input: line 3: %s\n" % LIMIT_TEXT).encode(),
                                 res.describe())
                # Tasks start while a list is read: the two good lines ran
                # to their end before the refusal, and nothing else did.
                ends = [e for e in parse_events(res.stdout) if e["event"] == "end"]
                self.assertEqual(sorted((e["repo"], e["status"]) for e in ends),
                                 sorted((p, "ok") for p in good), res.describe())
                self.assert_flat(res)

    def test_hundred_megabyte_line_between_good_lines(self):
        before, after = self.good_dirs(5, "before"), self.good_dirs(5, "after")
        listing = self.path("list")
        with open(listing, "wb") as f:
            f.write(b"".join(os.fsencode(p) + b"\n" for p in before))
            f.write(b"/")
            chunk = b"y" * MIB
            for _ in range(100):
                f.write(chunk)
            f.write(b"\n")
            f.write(b"".join(os.fsencode(p) + b"\n" for p in after))
        res = self.run_measured(["--json", "--no-tui", "-f", listing, "--", "true"])
        self.assertEqual(res.returncode, 1, res.describe())
        self.assertEqual(res.stderr, b"", res.describe())
        events = parse_events(res.stdout)
        ends = [e for e in events if e["event"] == "end"]
        self.assertEqual(len(ends), 11, res.describe())
        by_repo = {e["repo"]: e for e in ends}
        for p in before + after:
            self.assertEqual((by_repo[p]["status"], by_repo[p]["class"]), ("ok", "none"), by_repo[p])
        bad = [e for e in ends if e["repo"] not in before + after]
        self.assertEqual(len(bad), 1, bad)
        self.assertEqual((bad[0]["status"], bad[0]["class"]), ("failed", "usage"), bad[0])
        self.assertIn("PATH_MAX", bad[0]["summary"])
        self.assertEqual(bad[0]["repo"], "/" + "y" * 63, "named by its first 64 bytes")
        self.assert_flat(res)


class GitDirIsTheRepository(InputTestCase):
    def setUp(self):
        super().setUp()
        self.repo = self.new_repo(self.path("repo"))
        self.wt = self.path("wt")
        self.git("worktree", "add", "-q", "-b", "side", self.wt, cwd=self.repo)
        self.assertTrue(os.path.isfile(os.path.join(self.wt, ".git")), "a worktree has a gitfile")
        os.symlink(os.path.join(self.repo, ".git"), self.path("link-to-git-dir"))

    def test_repo_and_its_git_dir_run_once_in_the_working_tree(self):
        res = self.repopool(["--json", "--no-tui", self.repo, self.repo + "/.git", self.repo + "/.git/",
                             self.path("link-to-git-dir"), self.wt + "/.git", self.wt, "--", "pwd"])
        self.assert_exit(res, 0)
        self.check_events(res, total=2)
        self.assertEqual([e["repo"] for e in res.of("start")], [self.repo, self.wt], res.describe())
        # The command ran in the working tree.
        self.assertEqual({e["repo"]: e["summary"] for e in res.ends()}, {self.repo: self.repo, self.wt: self.wt})

    def test_git_dir_first_and_from_a_list(self):
        listing = self.path("list")
        self.write(listing, "%s/.git\n%s\n%s/.git\n" % (self.repo, self.repo, self.wt))
        res = self.repopool(["--json", "--no-tui", "-f", listing, "--", "true"])
        self.assert_exit(res, 0)
        self.check_events(res, total=2)
        self.assertEqual([e["repo"] for e in res.of("start")], [self.repo, self.wt], res.describe())

    def test_git_status_of_a_git_dir_is_the_status_of_its_repository(self):
        for given, want in ((self.repo + "/.git", self.repo), (self.wt + "/.git", self.wt),
                            (self.path("link-to-git-dir"), self.repo)):
            with self.subTest(given=given):
                res = self.repopool(["--json", "--no-tui", "--git", "status", given])
                self.assert_exit(res, 0)
                self.check_events(res, total=1)
                e = res.ends()[0]
                self.assertEqual((e["repo"], e["status"], e["class"]), (want, "ok", "none"), res.describe())
                self.assertTrue(e["summary"].startswith("main" if want == self.repo else "side"), e)


class ScanNoise(InputTestCase):
    def make_tree(self):
        tree = self.path("tree")
        repos = [self.init(os.path.join(tree, p)) for p in ("a", "group/b", "group/sub/c", "d")]
        os.makedirs(os.path.join(tree, "plain", "deeper"))
        for where in ("", "group", "group/sub", "plain", "plain/deeper"):
            d = os.path.join(tree, where)
            os.symlink("no-such-target", os.path.join(d, "dangling"))
            os.symlink(os.path.join(tree, "gone", "away"), os.path.join(d, "dangling-abs"))
            os.symlink("self", os.path.join(d, "self"))              # a loop of one link
            os.symlink("ping", os.path.join(d, "pong"))              # a loop of two
            os.symlink("pong", os.path.join(d, "ping"))
        os.symlink("..", os.path.join(tree, "group", "up"))          # a cycle of directories
        os.symlink(repos[0], os.path.join(tree, "plain", "link-to-a"))  # the same repository again
        return tree, repos

    def test_dangling_symlinks_and_loops_are_silent(self):
        tree, repos = self.make_tree()
        for extra in ([], ["--depth", "6"], ["--nested"]):
            with self.subTest(extra=extra):
                res = self.repopool(["--json", "--no-tui", "--scan", tree] + extra + ["--", "true"])
                self.assert_exit(res, 0)
                self.assertEqual(res.stderr, b"", res.describe())
                self.check_events(res, total=len(repos))
                self.assertEqual(sorted(e["repo"] for e in res.ends()), sorted(repos))

    def test_default_scan_of_the_current_directory_is_silent(self):
        tree, repos = self.make_tree()
        res = self.repopool(["--json", "--no-tui"], cwd=tree)
        self.assert_exit(res, 0)
        self.assertEqual(res.stderr, b"", res.describe())
        self.assertEqual(sorted(e["repo"] for e in res.ends()), sorted(repos))

    @unittest.skipUnless(os.geteuid() != 0 or shutil.which("setpriv"),
                         "as root, needs setpriv to run repopool as another user")
    def test_unreadable_directory_warns_once(self):
        os.chmod(self.tmp, 0o755)
        tree, repos = self.make_tree()
        locked = os.path.join(tree, "group", "locked")
        self.init(os.path.join(locked, "hidden"))
        os.chmod(locked, 0)
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
        # As nobody, the history in root's sandboxed HOME cannot be written:
        # another warning, which this test is not about.
        res = self.run_measured(["--json", "--no-tui", "--no-history", "--scan", tree, "--", "true"], prefix=prefix)
        self.assertEqual(res.returncode, 0, res.describe())
        self.assertEqual(res.stderr, ("repopool: cannot read %s: Permission denied\n" % locked).encode(),
                         res.describe())
        events = parse_events(res.stdout)
        self.assertEqual(sorted(e["repo"] for e in events if e["event"] == "end"), sorted(repos))


if __name__ == "__main__":
    unittest.main(verbosity=2)
