#!/usr/bin/env python3
"""Repository lists read while tasks run.

- A list is read on its own thread: a task starts before the list is
  complete (a FIFO written in two parts: the first task's start event
  arrives, and ends, before the second part is written), and the run ends
  only with the list.
- Each repository runs once however it is named (a symlink, "./x/../x",
  "x/.git", "x/"), under the first name's path (a symlink shows as what it
  names); ".." after a symlink leads where the kernel goes.
- Paths that do not exist, or are files, still fail with their reason,
  once each.
- An empty list is the same usage error as ever (exit 2, nothing on
  stdout), whether a file of comments or a FIFO closed without a line.
- Ctrl-C (or SIGTERM) while the list is still being read ends the run at
  once and cleanly, though the list's writer is still there.
"""

import os
import signal
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import TestCase  # noqa: E402
from lib.events import EventChecker  # noqa: E402
from lib.running import Running  # noqa: E402


def lines(*paths):
    return "".join(p + "\n" for p in paths).encode()


class ListsAsTheyCome(TestCase):
    def fifo(self, name="list"):
        path = self.path(name)
        os.mkfifo(path)
        return path

    def check_run(self, res, total):
        EventChecker(self, res.events, total=total, describe=res.describe).check()

    def test_a_task_starts_before_the_list_is_complete(self):
        a, b, c = self.mkdirs("a", "b", "c")
        fifo = self.fifo()
        run = Running(self, ["--json", "--no-tui", "-j", "4", "-f", fifo, "--", "true"], env=self.env)
        # Opening blocks until repopool opens its end.
        with open(fifo, "wb") as w:
            w.write(lines(a))
            w.flush()
            e = run.wait_for(lambda e: e["event"] == "start", "for the first line")
            self.assertEqual(e["repo"], a)
            e = run.wait_for(lambda e: e["event"] == "end", "for the first line's end")
            self.assertEqual((e["repo"], e["status"]), (a, "ok"))
            # Every task so far has ended, and the run goes on: the list
            # is still open.
            self.assertIsNone(run.poll())
            w.write(lines(b, c))
        self.assertEqual(run.finish(), 0, run.stderr())
        res = run.result()
        self.check_run(res, 3)
        self.assertEqual([e["repo"] for e in res.of("start")], [a, b, c])
        self.assertEqual(run.stderr(), b"")

    def test_each_repository_runs_once_however_named(self):
        x, y = self.mkdirs("x", "y")
        os.mkdir(os.path.join(x, ".git"))
        os.symlink(x, self.path("link-to-x"))
        os.symlink("x/.git", self.path("link-to-x-git"))
        listing = self.path("list")
        self.write(listing, lines("link-to-x", "./x/../x", "x/.git", "x/", "x/.git/", "link-to-x-git",
                                  y, "y/.", x))
        for args in (["-f", listing], ["link-to-x", "./x/../x", "-f", listing, "x/.git"]):
            with self.subTest(args=args):
                res = self.repopool(["--no-tui"] + args + ["--", "pwd"], cwd=self.tmp)
                self.assert_exit(res, 0)
                self.check_run(res, 2)
                # The symlink names x, and shows as x.
                self.assertEqual([e["repo"] for e in res.of("start")], [x, y])
                self.assertEqual({e["repo"]: e["summary"] for e in res.ends()}, {x: x, y: y})

    def test_dotdot_after_a_symlink_goes_where_the_kernel_goes(self):
        inner, sib, other = self.mkdirs("deep/inner", "deep/sib", "sib")
        os.symlink(inner, self.path("jump"))
        via = self.path("jump", "..", "sib")
        res = self.repopool(["--no-tui", via, other, self.path("deep", "sib"), "--", "pwd"])
        self.assert_exit(res, 0)
        self.check_run(res, 2)
        # jump/.. is deep, not the test's directory: the path keeps its
        # "..", and the command runs in deep/sib.
        self.assertEqual({e["repo"]: e["summary"] for e in res.ends()}, {via: sib, other: other})

    def test_missing_paths_and_files_fail_with_their_reason_once(self):
        a, = self.mkdirs("a")
        missing = self.path("missing", "repo")
        afile = self.path("a-file")
        self.write(afile, "not a directory\n")
        listing = self.path("list")
        self.write(listing, lines(missing, a, afile, missing, "missing/repo", afile))
        res = self.repopool(["--no-tui", "-f", listing, "--", "true"], cwd=self.tmp)
        self.assert_exit(res, 1)
        self.check_run(res, 3)
        got = {e["repo"]: (e["status"], e["class"], e["summary"]) for e in res.ends()}
        self.assertEqual(got, {
            missing: ("failed", "not-a-repo", "No such file or directory"),
            a: ("ok", "none", ""),
            afile: ("failed", "not-a-repo", "not a directory"),
        })

    def test_an_empty_list_is_a_usage_error(self):
        listing = self.path("list")
        self.write(listing, "# nothing to do\n\n   \n")
        res = self.repopool(["-f", listing, "--", "true"])
        self.assert_exit(res, 2)
        self.assertEqual(res.stdout, b"", "nothing runs, not even the cap event")
        self.assertEqual(res.stderr, ("repopool: %s lists no repositories\n" % listing).encode())

        fifo = self.fifo("empty-fifo")
        writer = threading.Thread(target=lambda: open(fifo, "wb").close(), daemon=True)
        writer.start()
        res = self.repopool(["-f", fifo, "--", "true"])
        writer.join(10)
        self.assert_exit(res, 2)
        self.assertEqual(res.stdout, b"")
        self.assertEqual(res.stderr, ("repopool: %s lists no repositories\n" % fifo).encode())

        res = self.repopool(["-f", "-", "--", "true"], input=b"\n# only a comment\n")
        self.assert_exit(res, 2)
        self.assertEqual(res.stdout, b"")
        self.assertEqual(res.stderr, b"repopool: standard input lists no repositories\n")

    def test_interrupted_while_the_list_is_read(self):
        for signum in (signal.SIGINT, signal.SIGTERM):
            with self.subTest(signal=signum):
                a, = self.mkdirs(self.unique("a"))
                fifo = self.fifo(self.unique("list"))
                # A task that would run long, and a list that is not done:
                # its writer stays, silent, until repopool has ended.
                run = Running(self, ["--json", "--no-tui", "-f", fifo, "--", "sleep", "60"], env=self.env)
                with open(fifo, "wb") as w:
                    w.write(lines(a))
                    w.flush()
                    run.wait_for(lambda e: e["event"] == "start", "for the first task")
                    run.send_signal(signum)
                    self.assertEqual(run.finish(), 128 + signum, run.stderr())
                res = run.result()
                self.check_run(res, 1)
                self.assertEqual(res.summary()["interrupted"], signal.Signals(signum).name[3:])
                self.assertEqual([(e["repo"], e["status"]) for e in res.ends()], [(a, "cancelled")])
                self.assertEqual(run.stderr(), b"")


if __name__ == "__main__":
    unittest.main(verbosity=2)
