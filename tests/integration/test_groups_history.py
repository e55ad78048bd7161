#!/usr/bin/env python3
"""Groups of repositories in the config file and the run history (#14),
through the real binary.

Each test has its own HOME, XDG_CONFIG_HOME and XDG_STATE_HOME (lib/base.py),
so the config file and the history are the test's alone. No assertion
depends on how fast anything is: --order=longest is checked on the order
of the start events, never on the time a run takes (tests/bench/run
measures that).

The binary is named by the REPOPOOL environment variable.
"""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import TestCase  # noqa: E402
from lib.config import REPOPOOL, RUN_TIMEOUT  # noqa: E402

# A task that fails while its directory holds a file named "fail", and
# sleeps for the seconds its file "sleep" says (none: not at all).
TASK = ["--", "sh", "-c", "[ -e sleep ] && sleep $(cat sleep); [ ! -e fail ]"]

SETPRIV = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


class Base(TestCase):
    def setUp(self):
        super().setUp()
        self.config = os.path.join(self.env["XDG_CONFIG_HOME"], "repopool", "config")
        self.db = os.path.join(self.env["XDG_STATE_HOME"], "repopool", "history.sqlite")

    def write_config(self, text):
        self.write(self.config, text)

    def run_json(self, args, status=None, **kw):
        res = self.repopool(["--no-tui"] + list(args), cwd=self.tmp, **kw)
        if status is not None:
            self.assert_exit(res, status)
        if res.events:
            self.check_events(res)
        return res

    def run_plain(self, args, **kw):
        return self.repopool(list(args), cwd=self.tmp, json_events=False, **kw)

    def dirs(self, *names, fail=(), sleep=None):
        """Directories under tmp; those in fail make TASK fail, sleep maps
        a name to the seconds TASK sleeps there."""
        paths = self.mkdirs(*names)
        for name, path in zip(names, paths):
            if name in fail:
                self.write(os.path.join(path, "fail"), "")
            if sleep and name in sleep:
                self.write(os.path.join(path, "sleep"), str(sleep[name]))
        return paths

    def started(self, res):
        return [e["repo"] for e in res.starts() if e["attempt"] == 1]

    def ran(self, res):
        return sorted(e["repo"] for e in res.ends())

    def rows(self, sql, *args):
        con = sqlite3.connect(self.db)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def assert_one_line(self, res, *parts):
        """stderr is one line holding every one of parts."""
        err = res.stderr.decode("utf-8", "replace")
        self.assertEqual(err.count("\n"), 1, res.describe())
        for part in parts:
            self.assertIn(part, err, res.describe())
        return err


class ConfigErrors(Base):
    def test_each_error_is_one_line_naming_file_line_and_problem(self):
        self.dirs("a")
        cases = [
            ('[group "w"\n\trepo = /x\n', (":1", "section header")),
            ('# a comment\n[group "w"]\n\trepo = /x\n\tjobs = many\n', ("group.w.jobs", "'many'")),
            ('[group "w"]\n\tcolour = red\n', ("group.w.colour", "unknown setting")),
            ('[alias]\n\tst = status\n', ("alias.st", "unknown setting")),
            ('[group "w"]\n\ttimeout = -1\n', ("group.w.timeout",)),
        ]
        for text, parts in cases:
            with self.subTest(text=text):
                self.write_config(text)
                res = self.run_plain(["--no-tui", "-G", "w", "--", "true"])
                self.assert_exit(res, 2)
                self.assertEqual(res.stdout, b"")
                self.assert_one_line(res, self.config, *parts)
                # --groups reads the same file, and says the same.
                res = self.run_plain(["--groups"])
                self.assert_exit(res, 2)
                self.assert_one_line(res, self.config, *parts)

    def test_unknown_group_or_command(self):
        self.write_config('[group "w"]\n\trepo = /x\n[command "gc"]\n\trun = true\n')
        res = self.run_plain(["-G", "nope"])
        self.assert_exit(res, 2)
        self.assert_one_line(res, self.config, "no group 'nope'")
        res = self.run_plain(["-c", "fsck"])
        self.assert_exit(res, 2)
        self.assert_one_line(res, self.config, "no command 'fsck'")
        res = self.run_plain(["-c", "gc", "--git", "fetch"])
        self.assert_exit(res, 2)
        self.assert_one_line(res, "choose one kind of work")

    def test_a_broken_config_is_only_read_when_asked_for(self):
        self.write_config("[group \"w\"\n")
        a, = self.dirs("a")
        res = self.run_json([a, "--", "true"], 0)
        self.assertEqual(res.stderr, b"")

    def test_missing_scan_directory_is_the_configs_problem(self):
        self.write_config('[group "w"]\n\tscan = %s\n' % self.path("gone"))
        res = self.run_plain(["-G", "w"])
        self.assert_exit(res, 2)
        self.assert_one_line(res, self.config, "group 'w'", "gone", "No such file")


class Groups(Base):
    def test_groups_select_their_repositories_and_scans(self):
        a, b, c = self.dirs("a", "b", "c")
        tree = self.path("tree")
        for name in ("x", "y"):
            self.init(os.path.join(tree, name))
        self.write_config(
            "# my repositories\n"
            "[group \"one\"]\n\trepo = %s\n\trepo = %s\n"
            "[group \"two\"]\n\trepo = %s   # b again\n\trepo = %s\n"
            "[group \"scanned\"]\n\tscan = %s\n" % (a, b, b, c, tree))
        res = self.run_json(["-G", "one", "--", "true"], 0)
        self.assertEqual(self.ran(res), [a, b])
        # Two groups: each repository once, in the order named.
        res = self.run_json(["-G", "one", "--group=two", "-j", "1", "--", "true"], 0)
        self.assertEqual(self.started(res), [a, b, c])
        # A group's scan, and a path of the command line with it.
        res = self.run_json(["-G", "scanned", c, "--", "true"], 0)
        self.assertEqual(self.ran(res), sorted([c, os.path.join(tree, "x"), os.path.join(tree, "y")]))

    def test_an_empty_group_runs_nothing_and_scans_nothing(self):
        self.init(self.path("here"))
        self.write_config('[group "empty"]\n\tjobs = 2\n')
        res = self.run_plain(["--no-tui", "-G", "empty"])
        self.assert_exit(res, 2)
        self.assert_one_line(res, "no repositories")

    def test_group_listing(self):
        a, = self.dirs("a")
        self.write_config('[group "w"]\n\trepo = %s\n\trepo = %s\n\tscan = %s\n\tjobs = 3\n\tretries = 2\n'
                          '[group "v"]\n\trepo = %s\n'
                          '[command "gc"]\n\trun = git gc --auto\n' % (a, self.path("gone"), self.tmp, a))
        res = self.run_plain(["--groups"])
        self.assert_exit(res, 0)
        self.assertEqual(res.stdout.decode().splitlines(), [
            "w (jobs 3, retries 2)",
            "  " + a,
            "  %s  (missing)" % self.path("gone"),
            "  scan " + self.tmp,
            "v",
            "  " + a,
            "commands",
            "  gc = git gc --auto",
        ])
        res = self.run_plain(["--groups", "-G", "v"])
        self.assertEqual(res.stdout.decode().splitlines(), ["v", "  " + a])
        for args in (["--groups", a], ["--history", a], ["--groups", "--history"]):
            res = self.run_plain(args)
            self.assert_exit(res, 2)
            self.assertEqual(res.stdout, b"")

    def test_named_command_runs_in_each_repository(self):
        a, b = self.dirs("a", "b")
        # git's config syntax: a double quote is written \\".
        self.write_config('[group "w"]\n\trepo = %s\n\trepo = %s\n'
                          '[command "mark"]\n\trun = echo \\"$REPOPOOL_REPO\\" > marked\n' % (a, b))
        res = self.run_json(["-G", "w", "-c", "mark"], 0)
        self.assertEqual(self.ran(res), [a, b])
        for d in (a, b):
            self.assertEqual(self.read(os.path.join(d, "marked")).decode(), d + "\n")
        self.assertEqual({e["op"] for e in res.ends()}, {"command"})


class Overrides(Base):
    def setUp(self):
        super().setUp()
        self.a, self.b = self.dirs("a", "b", sleep={"a": 5})
        self.write_config(
            '[group "slow"]\n\trepo = %s\n\tjobs = 1\n\ttimeout = 0.3\n\tretries = 1\n'
            '[group "fast"]\n\trepo = %s\n\tjobs = 4\n\tretries = 0\n' % (self.a, self.b))

    def test_the_groups_settings_apply(self):
        res = self.run_json(["-G", "slow"] + TASK, 1)
        self.assertEqual(res.events[0]["cap"], 1)
        end = self.single_end(res, self.a)
        # Timed out, retried once, timed out again.
        self.assertEqual((end["status"], end["class"], end["attempt"]), ("failed", "timeout", 2), res.describe())

    def test_the_command_line_wins(self):
        res = self.run_json(["-G", "slow", "-j", "3", "--retries", "0"] + TASK, 1)
        self.assertEqual(res.events[0]["cap"], 3)
        end = self.single_end(res, self.a)
        self.assertEqual((end["class"], end["attempt"]), ("timeout", 1), res.describe())

    def test_the_first_group_that_sets_a_value_wins(self):
        res = self.run_json(["-G", "fast", "-G", "slow"] + TASK, 1)
        self.assertEqual(res.events[0]["cap"], 4)
        end = self.single_end(res, self.a)
        # fast sets retries (0) first; slow's timeout still applies.
        self.assertEqual((end["class"], end["attempt"]), ("timeout", 1), res.describe())

    def test_the_groups_per_host_limit(self):
        repos = []
        for name in ("h1", "h2", "h3"):
            repo = self.init(self.path(name))
            self.git("remote", "add", "origin", "https://git.example.com/%s.git" % name, cwd=repo)
            self.write(os.path.join(repo, "sleep"), "0.2")
            repos.append(repo)
        self.write_config('[group "one-host"]\n' + "".join("\trepo = %s\n" % r for r in repos) +
                          "\tper-host = 1\n")
        res = self.run_json(["-G", "one-host", "-j", "4"] + TASK, 0)
        self.assertEqual({e.get("host") for e in res.ends()}, {"git.example.com"}, res.describe())
        self.assertEqual(res.summary()["peak_running"], 1, res.describe())

    def test_a_groups_jobs_above_max_jobs_is_an_error(self):
        self.write_config('[group "big"]\n\trepo = %s\n\tjobs = 300\n' % self.b)
        res = self.run_plain(["-G", "big"])
        self.assert_exit(res, 2)
        self.assert_one_line(res, self.config, "group.big.jobs = 300", "--max-jobs")
        self.run_json(["-G", "big", "--max-jobs", "300"] + TASK, 0)


class AddAndRemove(Base):
    def test_comments_and_layout_survive(self):
        a, b = self.dirs("a", "b")
        mine = os.path.join(self.home, "src", "mine")
        os.makedirs(mine)
        original = ("# My groups. Keep this comment.\n"
                    "[group \"work\"]\n"
                    "\t# the API\n"
                    "\trepo = %s   ; and this one\n"
                    "\n"
                    "[command \"gc\"]\n"
                    "\trun = git gc --auto\n" % a)
        self.write_config(original)
        res = self.run_plain(["--add-to", "work", "b", mine])
        self.assert_exit(res, 0)
        self.assertEqual(res.stderr, b"")
        self.assertEqual(res.stdout.decode().splitlines(),
                         ["added to work: " + b, "added to work: ~/src/mine"])
        text = self.read(self.config).decode()
        for kept in ("# My groups. Keep this comment.", "\t# the API", "; and this one", "run = git gc --auto"):
            self.assertIn(kept, text)
        # Written under HOME as ~/, as git expands it; listed as a path.
        self.assertIn("repo = ~/src/mine", text)
        res = self.run_plain(["--groups", "-G", "work"])
        self.assertEqual(res.stdout.decode().splitlines(), ["work", "  " + a, "  " + b, "  " + mine])
        # Added again: nothing changes.
        self.assert_exit(self.run_plain(["--add-to=work", b]), 0)
        self.assertEqual(self.read(self.config).decode(), text)
        # A new group is made.
        self.assert_exit(self.run_plain(["--add-to", "new", a]), 0)
        self.assertIn('[group "new"]', self.read(self.config).decode())

        # Removed by any name of the directory: relative, or the one ~/ names.
        res = self.run_plain(["--remove-from", "work", "a", mine])
        self.assert_exit(res, 0)
        text = self.read(self.config).decode()
        self.assertNotIn("src/mine", text)
        self.assertNotIn("repo = %s" % a + "   ; and this one", text)
        for kept in ("# My groups. Keep this comment.", "\t# the API", "run = git gc --auto"):
            self.assertIn(kept, text)
        res = self.run_plain(["--groups", "-G", "work"])
        self.assertEqual(res.stdout.decode().splitlines(), ["work", "  " + b])

    def test_mistakes_are_one_line_and_change_nothing(self):
        a, = self.dirs("a")
        self.write_config('[group "work"]\n\trepo = %s\n' % a)
        before = self.read(self.config)
        for args, part in ((["--add-to", "work", "nope"], "No such file"),
                           (["--add-to", "work", os.path.join(a, "file")], "No such file"),
                           (["--remove-from", "work", self.tmp], "does not list"),
                           (["--remove-from", "other", a], "does not list"),
                           (["--add-to", "work"], "paths of repositories"),
                           (["--add-to", "work", "--remove-from", "work", a], "choose one")):
            with self.subTest(args=args):
                res = self.run_plain(args)
                self.assert_exit(res, 2)
                self.assert_one_line(res, part)
                self.assertEqual(self.read(self.config), before)


class Recording(Base):
    def test_runs_and_tasks_are_recorded(self):
        a, b, c = self.dirs("a", "b", "c", fail=("b",))
        res = self.run_json(["-j", "2", a, b, c] + TASK, 1)
        self.assertEqual(res.stderr, b"")
        runs = self.rows("SELECT id, work, ok, failed, skipped, cancelled, exit_status, args FROM run")
        self.assertEqual(len(runs), 1)
        run_id, work, ok, failed, skipped, cancelled, status, args = runs[0]
        self.assertEqual((ok, failed, skipped, cancelled, status), (2, 1, 0, 0, 1))
        self.assertTrue(work.startswith("command: sh -c "), work)
        self.assertIn("--no-tui -j 2", args)
        tasks = self.rows("SELECT r.path, t.status, t.class, t.attempts FROM task t JOIN repo r ON r.id = t.repo"
                          " WHERE t.run = ? ORDER BY r.path", run_id)
        self.assertEqual(tasks, [(a, "ok", "none", 1), (b, "failed", "exit", 1), (c, "ok", "none", 1)])
        # --history lists it; --history=N shows its failure.
        res = self.run_plain(["--history"])
        self.assert_exit(res, 0)
        lines = res.stdout.decode().splitlines()
        self.assertEqual(len(lines), 1)
        self.assertIn("2 ok, 1 failed, 0 skipped, 0 cancelled; exit 1", lines[0])
        res = self.run_plain(["--history", str(run_id)])
        self.assert_exit(res, 0)
        lines = res.stdout.decode().splitlines()
        self.assertEqual(len(lines), 2)
        self.assertTrue(lines[1].split()[:3] == ["failed", "exit", "1"] and lines[1].endswith(b), lines)
        res = self.run_plain(["--history=99"])
        self.assert_exit(res, 2)
        self.assert_one_line(res, "no such run")

    def test_no_history_and_demo_record_nothing(self):
        a, = self.dirs("a")
        self.run_json(["--no-history", a, "--", "true"], 0)
        self.run_json(["--demo", "3", "--demo-mean", "0"], 0)
        self.assertFalse(os.path.exists(self.db))
        res = self.run_plain(["--history"])
        self.assert_exit(res, 0)
        self.assertEqual(res.stdout, b"")

    def test_an_interrupted_run_is_recorded(self):
        dirs = self.dirs("a", "b", "c", sleep={"a": 60, "b": 60, "c": 60})
        p = subprocess.Popen([REPOPOOL, "--json", "--no-tui", "-j", "1"] + dirs + TASK, cwd=self.tmp,
                             env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            # The events come as they happen: the first start is there once
            # its line is.
            while b'"event":"start"' not in p.stdout.readline():
                self.assertIsNone(p.poll(), "repopool ended before its first start")
            p.send_signal(signal.SIGINT)
            p.communicate(timeout=RUN_TIMEOUT)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        self.assertEqual(p.returncode, 130)
        self.assertEqual(self.rows("SELECT cancelled, exit_status FROM run"), [(3, 130)])


class RerunFailed(Base):
    def test_only_what_did_not_end_ok_runs_again(self):
        a, b, c, d = self.dirs("a", "b", "c", "d", fail=("b", "d"))
        self.run_json([a, b, c, d] + TASK, 1)
        # The same repositories, named another way: a list in another order.
        listing = self.path("list")
        self.write(listing, "\n".join([d, c, "./b", a]) + "\n")
        res = self.run_json(["--rerun-failed", "-f", listing] + TASK, 1)
        self.assertEqual(self.ran(res), [b, d])
        # b is fixed: the next rerun is of d alone.
        os.unlink(os.path.join(b, "fail"))
        res = self.run_json(["--rerun-failed", a, b, c, d] + TASK, 1)
        self.assertEqual(self.ran(res), [b, d])
        res = self.run_json(["--rerun-failed", a, b, c, d] + TASK, 1)
        self.assertEqual(self.ran(res), [d])
        os.unlink(os.path.join(d, "fail"))
        res = self.run_json(["--rerun-failed", a, b, c, d] + TASK, 0)
        self.assertEqual(self.ran(res), [d])
        # Nothing left: said so, nothing runs, exit 0.
        res = self.run_plain(["--no-tui", "--rerun-failed", a, b, c, d] + TASK)
        self.assert_exit(res, 0)
        self.assertEqual(res.stdout, b"")
        self.assert_one_line(res, "nothing to rerun")

    def test_another_selection_or_work_is_not_the_same_run(self):
        a, b, c = self.dirs("a", "b", "c", fail=("a",))
        self.run_json([a, b] + TASK, 1)
        for args in ([a, b, c] + TASK, [a] + TASK, [a, b, "--", "false"]):
            with self.subTest(args=args):
                res = self.run_plain(["--no-tui", "--rerun-failed"] + args)
                self.assert_exit(res, 2)
                self.assertEqual(res.stdout, b"")
                self.assert_one_line(res, "no earlier run")

    def test_a_group_is_the_same_selection_as_its_paths(self):
        a, b = self.dirs("a", "b", fail=("a",))
        self.write_config('[group "w"]\n\trepo = %s\n\trepo = %s\n' % (b, a))
        self.run_json(["-G", "w"] + TASK, 1)
        res = self.run_json(["--rerun-failed", a, b] + TASK, 1)
        self.assertEqual(self.ran(res), [a])

    def test_cancelled_tasks_are_rerun(self):
        a, b = self.dirs("a", "b", sleep={"a": 300, "b": 300})
        # -j 0 starts paused; each SIGUSR1 starts one more, so both are
        # known to the run (a list is read on a thread of its own) before
        # SIGTERM cancels them.
        p = subprocess.Popen([REPOPOOL, "--json", "--no-tui", "-j", "0", a, b] + TASK, cwd=self.tmp,
                             env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            self.assertIn(b'"event":"cap"', p.stdout.readline())  # its signal handlers are in place
            for _ in range(2):
                p.send_signal(signal.SIGUSR1)
                line = b""
                while b'"event":"start"' not in line:
                    line = p.stdout.readline()
                    self.assertTrue(line, "repopool ended before starting both tasks")
            p.terminate()
            p.communicate(timeout=RUN_TIMEOUT)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        self.assertEqual(p.returncode, 143)
        for path in (a, b):
            os.unlink(os.path.join(path, "sleep"))
        res = self.run_json(["--rerun-failed", a, b] + TASK, 0)
        self.assertEqual(self.ran(res), [a, b])


class OrderLongest(Base):
    def test_the_longest_last_time_starts_first(self):
        sleeps = {"s1": 0.05, "s2": 0.3, "s3": 0, "s4": 0.6, "long": 1.2}
        names = ["s1", "s2", "s3", "s4", "long"]
        dirs = self.dirs(*names, sleep=sleeps)
        first = self.run_json(["-j", "2"] + dirs + TASK, 0)
        self.assertEqual(self.started(first), dirs, "the given order")
        took = {e["repo"]: e["duration"] for e in first.ends()}
        # One never seen before: it could be the longest of all, so it goes
        # first; then the others by what they took, longest first.
        new, = self.dirs("new")
        second = self.run_json(["-j", "2", "--order=longest"] + dirs + [new] + TASK, 0)
        expected = [new] + sorted(dirs, key=lambda d: -took[d])
        self.assertEqual(self.started(second), expected, took)
        # Without the option, the given order again.
        third = self.run_json(["-j", "2"] + dirs + TASK, 0)
        self.assertEqual(self.started(third), dirs)

    def test_a_long_list_is_read_whole_before_the_first_start(self):
        # More entries than the feed hands over in one batch (64).
        names = ["d%03d" % i for i in range(150)]
        dirs = self.dirs(*names, sleep={"d149": 0.5})
        self.run_json(["-j", "4"] + dirs + TASK, 0)
        listing = self.path("list")
        self.write(listing, "\n".join(dirs) + "\n")
        res = self.run_json(["-j", "4", "--order=longest", "-f", listing] + TASK, 0)
        self.assertEqual(self.started(res)[0], dirs[-1])

    def test_needs_the_history(self):
        a, = self.dirs("a")
        res = self.run_plain(["--order=longest", "--no-history", a, "--", "true"])
        self.assert_exit(res, 2)
        self.assert_one_line(res, "--no-history")
        res = self.run_plain(["--order=sideways", a, "--", "true"])
        self.assert_exit(res, 2)
        self.assert_one_line(res, "--order")


class UnusableDatabase(Base):
    """A database that cannot be used is one warning, and changes neither
    what runs nor the exit status."""

    def check_runs_without(self, prefix=(), warning="history"):
        good, bad = self.unique("good"), self.unique("bad")
        a, b = self.dirs(good, bad, fail=(bad,))
        for status, args in ((0, [a]), (1, [a, b])):
            res = self.run_json(list(args) + TASK, status, prefix=prefix)
            self.assertEqual(len(res.ends()), len(args))
            self.assert_one_line(res, self.db, warning)
        return a, b

    def test_corrupt(self):
        self.write(self.db, b"this is not a database, but it is long enough to have a header" * 10)
        a, b = self.check_runs_without()
        # --rerun-failed cannot do without it: a usage error, one line.
        res = self.run_plain(["--rerun-failed", a, b] + TASK)
        self.assert_exit(res, 2)
        self.assert_one_line(res, self.db)
        res = self.run_plain(["--history"])
        self.assert_exit(res, 1)
        self.assert_one_line(res, self.db)

    def test_a_state_directory_that_is_a_file(self):
        os.makedirs(os.path.dirname(os.path.dirname(self.db)))
        self.write(os.path.dirname(self.db), "a file")
        self.check_runs_without()

    @unittest.skipUnless(os.geteuid() != 0 or shutil.which("setpriv"),
                         "as root, needs setpriv to run repopool as a user who cannot write the database")
    def test_read_only(self):
        a, = self.dirs("seed")
        self.run_json([a, "--", "true"], 0)
        before = self.rows("SELECT COUNT(*) FROM run")
        os.chmod(self.tmp, 0o755)
        for d in (self.home, os.path.dirname(os.path.dirname(self.db)), os.path.dirname(self.db)):
            os.chmod(d, 0o755)
        os.chmod(self.db, 0o444)
        prefix = SETPRIV if os.geteuid() == 0 else []
        if os.geteuid() != 0:
            os.chmod(os.path.dirname(self.db), 0o555)
        self.check_runs_without(prefix=prefix)
        self.assertEqual(self.rows("SELECT COUNT(*) FROM run"), before)

    def test_locked(self):
        a, = self.dirs("seed")
        self.run_json([a, "--", "true"], 0)
        # Another writer holds the write lock for as long as the run takes.
        con = sqlite3.connect(self.db, isolation_level=None, timeout=0)
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("INSERT INTO run (started, ended, args, work, selection, ok, failed, skipped,"
                        " cancelled, exit_status) VALUES (0, 0, '', '', '', 0, 0, 0, 0, 0)")
            self.check_runs_without(warning="locked")
            con.execute("ROLLBACK")
        finally:
            con.close()
        self.assertEqual(self.rows("SELECT COUNT(*) FROM run"), [(1,)])


class ConcurrentRuns(Base):
    def test_runs_at_once_all_record_every_task(self):
        runs, per_run = 4, 40
        groups = []
        for r in range(runs):
            groups.append(self.mkdirs(*("r%d-%02d" % (r, i) for i in range(per_run))))
        # Make the database first, then start every run at once.
        self.run_json([groups[0][0], "--", "true"], 0)
        procs = [subprocess.Popen([REPOPOOL, "--no-tui", "-q", "-j", "8"] + g + ["--", "true"], cwd=self.tmp,
                                  env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for g in groups]
        for p in procs:
            out, err = p.communicate(timeout=RUN_TIMEOUT)
            self.assertEqual((p.returncode, out, err), (0, b"", b""))
        counts = self.rows("SELECT r.ok, COUNT(t.rowid) FROM run r JOIN task t ON t.run = r.id"
                           " GROUP BY r.id ORDER BY r.id")
        self.assertEqual(counts, [(1, 1)] + [(per_run, per_run)] * runs)
        recorded = {repo for (repo,) in self.rows("SELECT r.path FROM task t JOIN repo r ON r.id = t.repo")}
        self.assertEqual(recorded, {d for g in groups for d in g})
        self.assertEqual(self.rows("PRAGMA journal_mode"), [("wal",)])


if __name__ == "__main__":
    unittest.main(verbosity=2)
