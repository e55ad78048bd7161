#!/usr/bin/env python3
"""Integration tests of the repopool command line, through the real binary.

Each test works in its own temporary directory and signals only the
processes it started, so meson may run this file next to the other tests.
Timeouts here only keep a broken build from hanging the suite; no assertion
depends on how fast anything is.

The binary is named by the REPOPOOL environment variable.
"""

import os
import re
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import TestCase  # noqa: E402
from lib.config import RUN_TIMEOUT, STATUSES  # noqa: E402
from lib.events import EventChecker, parse_events  # noqa: E402
from lib.procs import wait_group_gone  # noqa: E402
from lib.running import Running  # noqa: E402


class Base(TestCase):
    def run_cli(self, args, **kw):
        """Runs repopool to its end; its Result, events not parsed."""
        return self.repopool(args, json_events=False, **kw)

    def json_run(self, args, status, total=None, op=None, **kw):
        p = self.run_cli(["--json"] + list(args), **kw)
        self.assert_exit(p, status)
        self.assertNotIn(b"\x1b", p.stdout)
        return EventChecker(self, parse_events(p.stdout), total=total, op=op).check()

    def pgid_file(self, repo):
        """Where a task in repo writes its process group id; whatever
        still runs in that group is killed at cleanup."""
        path = os.path.join(repo, ".pgid")
        self.kill_groups_later([path])
        return path

    def assert_groups_gone(self, pgid_paths):
        for path in pgid_paths:
            if not os.path.exists(path):
                continue
            pgid = int(self.read(path).strip())
            self.assertFalse(wait_group_gone(pgid), "a process of group %d survived" % pgid)


class TestJsonEvents(Base):
    def test_command_events(self):
        dirs = self.mkdirs("a", "b", "c", "d")
        for d, code in zip(dirs, (0, 3, 0, 0)):
            self.write(os.path.join(d, "code"), str(code))
        c = self.json_run(["-j", "2"] + dirs + ["--", "sh", "-c", "echo hello; exit $(cat code)"],
                          1, total=4, op="command")
        ends = c.end_by_repo()
        self.assertEqual(sorted(ends), sorted(dirs))
        for d in dirs:
            e = ends[d]
            if d.endswith("/b"):
                self.assertEqual(e["status"], "failed")
                self.assertEqual(e["class"], "exit")
                self.assertEqual(e["exit"], 3)
                self.assertEqual(e["summary"], "exit 3: hello")
            else:
                self.assertEqual(e["status"], "ok")
                self.assertEqual(e["summary"], "hello")
        self.assertEqual(c.events[0]["cap"], 2)
        summary = c.events[-1]
        self.assertEqual((summary["ok"], summary["failed"]), (3, 1))
        self.assertLessEqual(summary["peak_running"], 2)
        starts = [e for e in c.events if e["event"] == "start"]
        self.assertEqual(sorted(e["repo"] for e in starts), sorted(dirs))
        self.assertEqual([e["id"] for e in starts], [1, 2, 3, 4], "tasks start in order")

    def test_demo_events(self):
        c = self.json_run(["--demo", "30", "--demo-mean", "0.01", "--seed", "7", "-j", "4"], 0,
                          total=30, op="demo")
        self.assertEqual(c.events[0]["cap"], 4)
        self.assertTrue(all(e["status"] == "ok" for e in c.ends()))
        self.assertEqual(sorted(e["repo"] for e in c.ends()),
                         sorted("demo-%d" % i for i in range(1, 31)))

    def test_demo_default_count(self):
        c = self.json_run(["--demo", "--demo-mean", "0.005"], 0, total=40, op="demo")
        self.assertEqual(c.events[0]["cap"], 5, "the default cap")

    def test_demo_capacity_refuses(self):
        c = self.json_run(["--demo", "20", "--demo-capacity", "2", "-j", "5", "--demo-mean", "0.05",
                           "--seed", "3"], 1, total=20, op="demo")
        refused = [e for e in c.ends() if e["status"] == "failed"]
        self.assertTrue(refused, "a server with room for 2 refuses some of 5")
        for e in refused:
            self.assertEqual(e["class"], "refused")
            # Retry-After: about when one of the 2 slots frees (mean 50 ms / 2).
            self.assertEqual(e["summary"], "429 Too Many Requests (Retry-After 25 ms)")
        self.assertFalse([e for e in c.events if e["event"] == "retry"])

    def test_demo_hosts_have_their_own_capacity(self):
        """Two simulated hosts with room for 1 and for 3; tasks alternate
        between them. At -j 8 host 1 refuses more than host 2."""
        c = self.json_run(["--demo", "40", "--demo-capacity", "1,3", "-j", "8", "--demo-mean", "0.05",
                           "--seed", "5"], 1, total=40, op="demo")
        refused = {e["repo"] for e in c.ends() if e["class"] == "refused"}
        odd = {r for r in refused if int(r.split("-")[1]) % 2 == 1}
        self.assertGreater(len(odd), len(refused - odd), refused)

    def test_demo_capacity_retries(self):
        p = self.run_cli(["--json", "--demo", "20", "--demo-capacity", "2", "-j", "5", "--demo-mean", "0.05",
                 "--seed", "3", "--retries", "4"])
        self.assertIn(p.returncode, (0, 1), p.stderr)
        c = EventChecker(self, parse_events(p.stdout), total=20, op="demo").check()
        retries = [e for e in c.events if e["event"] == "retry"]
        self.assertTrue(retries, "refused tasks are retried")
        for e in retries:
            self.assertEqual(e.get("class"), "refused")
        for e in c.ends():
            self.assertLessEqual(e["attempt"], 5, "at most 1 + --retries attempts")
        self.assertTrue(any(e["attempt"] > 1 and e["status"] == "ok" for e in c.ends()),
                        "a retried task gets through")
        self.assertEqual(p.returncode, 0 if all(e["status"] == "ok" for e in c.ends()) else 1)

    def test_demo_within_capacity_never_refused(self):
        c = self.json_run(["--demo", "20", "--demo-capacity", "2", "-j", "2", "--demo-mean", "0.02",
                           "--seed", "3"], 0, total=20, op="demo")
        self.assertTrue(all(e["status"] == "ok" for e in c.ends()))
        self.assertLessEqual(c.events[-1]["peak_running"], 2)


class TestCompare(Base):
    """--compare: the demo's tasks four ways in simulated time."""

    def compare(self, args):
        p = self.run_cli(["--demo", "600", "--demo-mean", "0.1", "--seed", "11", "--compare"] + args)
        self.assert_exit(p, 0)
        self.assertEqual(p.stderr, b"")
        out = p.stdout.decode()
        rows = {}
        for line in out.splitlines():
            parts = line.rsplit(None, 4)
            if len(parts) == 5 and parts[4].isdigit() and parts[2].isdigit():
                rows[parts[0].strip()] = {"makespan": parts[1], "refusals": int(parts[2]),
                                          "failed": int(parts[3]), "peak": int(parts[4])}
        self.assertEqual(list(rows), ["sequential", "unbounded", "fixed -j 8", "adaptive"], out)
        return rows, out

    @staticmethod
    def seconds(text):
        if text.endswith("s") and "m" not in text:
            return float(text[:-1])
        minutes, rest = text.split("m")
        return 60 * int(minutes) + float(rest.rstrip("s") or 0)

    def test_the_four_ways_on_a_server_with_room_for_8(self):
        rows, out = self.compare(["--demo-capacity", "8", "-j", "8", "--retries", "10"])
        seq, unbounded, fixed, adaptive = (rows[k] for k in rows)
        self.assertEqual((seq["peak"], seq["refusals"], seq["failed"]), (1, 0, 0))
        self.assertEqual((fixed["peak"], fixed["refusals"], fixed["failed"]), (8, 0, 0))
        self.assertEqual(unbounded["peak"], 600, "everything at once")
        self.assertGreater(unbounded["refusals"], 1000)
        self.assertEqual(adaptive["failed"], 0)
        self.assertLessEqual(adaptive["refusals"], 60)
        self.assertLess(self.seconds(adaptive["makespan"]), self.seconds(unbounded["makespan"]))
        self.assertLessEqual(self.seconds(adaptive["makespan"]), 1.25 * self.seconds(fixed["makespan"]))
        self.assertIn("its limit", out, "the adaptive way draws its learned limit")
        self.assertIn("room for 8", out)

    def test_without_retries_the_unbounded_way_fails_what_was_refused(self):
        rows, _ = self.compare(["--demo-capacity", "8", "-j", "8"])
        self.assertEqual(rows["unbounded"]["failed"], rows["unbounded"]["refusals"])
        self.assertGreater(rows["unbounded"]["failed"], 500)
        self.assertEqual(rows["fixed -j 8"]["failed"], 0)

    def test_the_same_seed_gives_the_same_table(self):
        _, a = self.compare(["--demo-capacity", "8", "-j", "8", "--retries", "3"])
        _, b = self.compare(["--demo-capacity", "8", "-j", "8", "--retries", "3"])
        self.assertEqual(a, b)

    def test_compare_needs_the_demo(self):
        d = self.mkdirs("a")
        p = self.run_cli(["--compare"] + d + ["--", "true"])
        self.assert_exit(p, 2)
        self.assertEqual(p.stderr.decode().strip().count("\n"), 0)
        self.assertIn("--compare", p.stderr.decode())


class TestSignals(Base):
    def test_usr1_raises_and_usr2_lowers_the_cap(self):
        live = Running(self, ["--json", "--demo", "6", "--demo-mean", "1000", "--seed", "1", "-j", "1"])
        e = live.wait_for(lambda e: e["event"] == "cap", "cap")
        self.assertEqual((e["cap"], e["by"]), (1, "option"))
        live.wait_for(lambda e: e["event"] == "start", "start")
        for wanted in (2, 3):
            live.send_signal(signal.SIGUSR1)
            e = live.wait_for(lambda e: e["event"] == "cap", "cap after SIGUSR1")
            self.assertEqual((e["cap"], e["by"]), (wanted, "signal"))
            e = live.wait_for(lambda e: e["event"] == "start", "start after SIGUSR1")
            self.assertEqual(e["running"], wanted)
            self.assertEqual(e["cap"], wanted)
        self.assertEqual(e["running"], 3, "after two SIGUSR1, three run at once")
        live.send_signal(signal.SIGUSR2)
        e = live.wait_for(lambda e: e["event"] == "cap", "cap after SIGUSR2")
        self.assertEqual((e["cap"], e["by"]), (2, "signal"))
        live.send_signal(signal.SIGINT)
        status = live.finish()
        self.assertEqual(status, 130, live.stderr())
        c = EventChecker(self, live.events, total=6, op="demo", cap_lowered=True).check()
        ends = c.ends()
        # Lowering the cap stops nothing: the three keep running until the
        # interrupt cancels them with the three still queued.
        self.assertEqual(sorted(e["status"] for e in ends), ["cancelled"] * 6)
        self.assertEqual(c.events[-1]["peak_running"], 3)
        self.assertEqual(c.events[-1].get("interrupted"), "INT")

    def test_jobs_zero_starts_paused(self):
        dirs = self.mkdirs("a", "b")
        live = Running(self, ["--json", "-j", "0"] + dirs + ["--", "true"])
        e = live.wait_for(lambda e: e["event"] == "cap", "cap")
        self.assertEqual((e["cap"], e["by"]), (0, "option"))
        self.assertTrue(live.no_event_for(1.0), "nothing starts while paused")
        self.assertIsNone(live.proc.poll(), "a paused run waits")
        live.send_signal(signal.SIGUSR1)
        e = live.wait_for(lambda e: e["event"] == "cap", "cap after SIGUSR1")
        self.assertEqual((e["cap"], e["by"]), (1, "signal"))
        status = live.finish()
        self.assertEqual(status, 0, live.stderr())
        c = EventChecker(self, live.events, total=2, op="command").check()
        self.assertEqual(c.events[-1]["peak_running"], 1)

    def test_usr1_stops_at_max_jobs(self):
        live = Running(self, ["--json", "--demo", "3", "--demo-mean", "1000", "--seed", "1",
                           "-j", "2", "--max-jobs", "2"])
        live.wait_for(lambda e: e["event"] == "start" and e["running"] == 2, "two running")
        live.send_signal(signal.SIGUSR1)  # at the ceiling: no change, no event
        live.send_signal(signal.SIGUSR2)
        e = live.wait_for(lambda e: e["event"] == "cap", "cap after SIGUSR2")
        self.assertEqual((e["cap"], e["by"]), (1, "signal"))
        live.send_signal(signal.SIGTERM)
        self.assertEqual(live.finish(), 143, live.stderr())
        c = EventChecker(self, live.events, total=3, op="demo", cap_lowered=True).check()
        caps = [e["cap"] for e in c.events if e["event"] == "cap"]
        self.assertLessEqual(max(caps), 2, "the cap never passes --max-jobs")
        self.assertEqual(c.events[-1].get("interrupted"), "TERM")

    def test_interrupt_while_paused(self):
        dirs = self.mkdirs("a", "b")
        live = Running(self, ["--json", "-j", "0"] + dirs + ["--", "true"])
        live.wait_for(lambda e: e["event"] == "cap", "cap")
        live.send_signal(signal.SIGINT)
        self.assertEqual(live.finish(), 130, live.stderr())
        c = EventChecker(self, live.events, total=2, op="command").check()
        self.assertEqual([e["attempt"] for e in c.ends()], [0, 0])
        self.assertEqual(sorted(e["status"] for e in c.ends()), ["cancelled"] * 2)

    def interrupt(self, signum, expected_status, json_mode):
        dirs = self.mkdirs("a", "b", "c", "d")
        pgids = [self.pgid_file(d) for d in dirs]
        args = (["--json"] if json_mode else []) + ["-j", "2"] + dirs + \
            ["--", "sh", "-c", "echo $$ > .pgid; exec sleep 120"]
        live = Running(self, args)
        if json_mode:
            live.wait_for(lambda e: e["event"] == "start" and e["running"] == 2, "two running")
        self.wait_files(pgids[:2])
        live.send_signal(signum)
        status = live.finish() if json_mode else live.proc.wait(timeout=RUN_TIMEOUT)
        self.assertEqual(status, expected_status)
        self.assert_groups_gone(pgids)
        self.assertFalse(os.path.exists(pgids[2]) or os.path.exists(pgids[3]),
                         "queued tasks do not start after an interrupt")
        return live

    def test_sigint_cancels_everything(self):
        live = self.interrupt(signal.SIGINT, 130, True)
        c = EventChecker(self, live.events, total=4, op="command").check()
        self.assertEqual(sorted(e["status"] for e in c.ends()), ["cancelled"] * 4)
        summary = c.events[-1]
        self.assertEqual(summary["cancelled"], 4)
        self.assertEqual(summary.get("interrupted"), "INT")

    def test_sigterm_cancels_everything(self):
        live = self.interrupt(signal.SIGTERM, 143, False)
        raw = live.output_lines()
        out = b"".join(raw).decode()
        self.assertTrue(all(l.endswith(b"\n") for l in raw), out)
        lines = out.splitlines()
        # The two that ran, one line for the two that never started, the
        # summary.
        self.assertEqual(len(lines), 4, out)
        self.assertTrue(all(l.startswith("cancelled") for l in lines[:2]), out)
        self.assertEqual(lines[2], "repopool: 2 queued tasks cancelled", out)
        self.assertTrue(lines[3].startswith("repopool:"), out)
        self.assertIn("4 cancelled", lines[3])
        self.assertIn("SIGTERM", lines[3])

    def test_second_sigint_kills_at_once(self):
        dirs = self.mkdirs("a", "b", "c")
        pgids = [self.pgid_file(d) for d in dirs]
        live = Running(self, ["--json", "-j", "2"] + dirs +
                    ["--", "sh", "-c", "trap '' TERM; echo $$ > .pgid; sleep 120"])
        live.wait_for(lambda e: e["event"] == "start" and e["running"] == 2, "two running")
        self.wait_files(pgids[:2])
        live.send_signal(signal.SIGINT)
        # The queued task is cancelled at once: the first SIGINT was seen.
        e = live.wait_for(lambda e: e["event"] == "end", "end of the queued task")
        self.assertEqual((e["id"], e["status"]), (3, "cancelled"))
        live.send_signal(signal.SIGINT)
        status = live.finish()
        self.assertEqual(status, 130, live.stderr())
        c = EventChecker(self, live.events, total=3, op="command").check()
        self.assertEqual(sorted(e["status"] for e in c.ends()), ["cancelled"] * 3)
        self.assertEqual(c.events[-1].get("interrupted"), "INT")
        self.assert_groups_gone(pgids)


class TestTimeout(Base):
    def test_timeout_stops_a_task_that_ignores_sigterm(self):
        slow, quick = self.mkdirs("slow", "quick")
        self.write(os.path.join(slow, "slow"), "")
        pgids = [self.pgid_file(slow)]
        c = self.json_run(["--timeout", "0.5", slow, quick, "--", "sh", "-c",
                           "if [ -e slow ]; then trap '' TERM; echo $$ > .pgid; sleep 120; fi; echo fine"],
                          1, total=2, op="command")
        ends = c.end_by_repo()
        self.assertEqual(ends[quick]["status"], "ok")
        e = ends[slow]
        self.assertEqual((e["status"], e["class"], e["exit"]), ("failed", "timeout", None))
        self.assertEqual(e["summary"], "timed out after 0.5s")
        self.assert_groups_gone(pgids)

    def test_timeouts_are_retried(self):
        d = self.mkdirs("r")[0]
        c = self.json_run(["--timeout", "0.2", "--retries", "1", d, "--", "sleep", "120"],
                          1, total=1, op="command")
        retries = [e for e in c.events if e["event"] == "retry"]
        self.assertEqual(len(retries), 1)
        self.assertEqual(retries[0].get("class"), "timeout")
        e = c.ends()[0]
        self.assertEqual((e["attempt"], e["class"]), (2, "timeout"))

    def test_exit_failures_are_not_retried(self):
        d = self.mkdirs("r")[0]
        c = self.json_run(["--retries", "3", d, "--", "false"], 1, total=1, op="command")
        self.assertFalse([e for e in c.events if e["event"] == "retry"])
        e = c.ends()[0]
        self.assertEqual((e["attempt"], e["class"], e["exit"]), (1, "exit", 1))


class TestBadInput(Base):
    def check_usage(self, args, *needles):
        p = self.run_cli(args, cwd=self.tmp)
        self.assert_exit(p, 2)
        self.assertEqual(p.stdout, b"", "nothing on stdout")
        err = p.stderr.decode("utf-8", "replace")
        self.assertTrue(err.endswith("\n"), repr(err))
        self.assertEqual(err.count("\n"), 1, "one line on stderr: %r" % err)
        for needle in needles:
            self.assertIn(needle, err, "the message names the input")

    def test_bad_jobs(self):
        d = self.mkdirs("r")[0]
        self.check_usage(["-j", "abc", d, "--", "true"], "abc", "-j")
        self.check_usage(["-j", "-1", d, "--", "true"], "'-1'", "-j")
        self.check_usage(["-j", "99999999", d, "--", "true"], "99999999", "-j")
        self.check_usage(["--jobs=4x", d, "--", "true"], "4x")

    def test_unknown_option(self):
        self.check_usage(["--frobnicate", "--", "true"], "--frobnicate")

    def test_separator_without_command(self):
        d = self.mkdirs("r")[0]
        self.check_usage([d, "--"], "'--'")

    def test_empty_repository_list(self):
        self.check_usage(["-f", "/dev/null", "--", "true"], "/dev/null")

    def test_bad_rate_and_timeout(self):
        d = self.mkdirs("r")[0]
        self.check_usage(["--rate", "0", d, "--", "true"], "--rate", "'0'")
        self.check_usage(["--timeout", "-1", d, "--", "true"], "--timeout", "'-1'")
        self.check_usage(["--timeout", "0", d, "--", "true"], "--timeout")

    def test_nothing_found_by_scanning(self):
        # run.h: an empty repository list is one line on stderr, status 2.
        (empty,) = self.mkdirs("empty")
        self.check_usage(["-s", empty, "--", "true"], empty)
        p = self.run_cli(["--", "true"], cwd=empty)
        self.assert_exit(p, 2)
        self.assertEqual(p.stderr.count(b"\n"), 1, "one line on stderr: %r" % p.stderr)

    def test_help_and_version(self):
        p = self.run_cli(["--help"])
        self.assert_exit(p, 0)
        self.assertIn(b"Usage: repopool", p.stdout)
        p = self.run_cli(["--version"])
        self.assert_exit(p, 0)
        self.assertTrue(p.stdout.startswith(b"repopool "))


class TestRepositories(Base):
    def test_unusable_paths_fail_alone(self):
        good, unreadable = self.mkdirs("good", "unreadable")
        missing = os.path.join(self.tmp, "missing")
        afile = os.path.join(self.tmp, "a-file")
        self.write(afile, "x")
        os.chmod(unreadable, 0)
        c = self.json_run([missing, afile, good, unreadable, "--", "sh", "-c", "echo ran"], 1,
                          total=4, op="command")
        ends = c.end_by_repo()
        self.assertEqual(ends[good]["status"], "ok")
        self.assertEqual(ends[good]["summary"], "ran")
        for path, summary in ((missing, "No such file or directory"), (afile, "not a directory")):
            self.assertEqual(ends[path]["status"], "failed")
            self.assertEqual(ends[path]["class"], "not-a-repo")
            self.assertEqual(ends[path]["summary"], summary)
        # root can enter a mode 000 directory; anyone else cannot.
        if os.geteuid() == 0:
            self.assertIn(ends[unreadable]["status"], STATUSES)
        else:
            self.assertEqual(ends[unreadable]["status"], "failed")
            self.assertEqual(ends[unreadable]["class"], "not-a-repo")
            self.assertEqual(ends[unreadable]["summary"], "Permission denied")

    def test_duplicates_run_once(self):
        a, b = self.mkdirs("a", "b")
        link = os.path.join(self.tmp, "link-to-a")
        os.symlink(a, link)
        listing = os.path.join(self.tmp, "list")
        self.write(listing, "%s\n%s/\n" % (a, link))
        c = self.json_run([a, a + "/", a + "/../a", link, "a", "./a/.", b, "-f", listing,
                           "--", "true"], 0, total=2, op="command", cwd=self.tmp)
        starts = [e["repo"] for e in c.events if e["event"] == "start"]
        self.assertEqual(starts, [a, b])

    def test_empty_path_is_not_the_current_directory(self):
        # An empty argument (say, an unset shell variable) names no
        # directory: its task must fail, not run in the current directory,
        # and the current directory named as "." runs once.
        (here,) = self.mkdirs("here")
        c = self.json_run(["", ".", "--", "sh", "-c", "pwd -P >> .ran"], 1, op="command", cwd=here)
        ends = c.ends()
        self.assertEqual(self.read(os.path.join(here, ".ran")), here.encode() + b"\n",
                         "the current directory ran once")
        ok = [e for e in ends if e["status"] == "ok"]
        failed = [e for e in ends if e["status"] == "failed"]
        self.assertEqual([e["repo"] for e in ok], [here])
        self.assertEqual(len(failed), 1, ends)

    def test_scan_finds_repositories(self):
        tree = self.mkdirs("tree")[0]
        for sub in ("a/.git", "b/c/.git", "d", "e/f"):
            os.makedirs(os.path.join(tree, sub))
        c = self.json_run(["-s", tree, "--", "true"], 0, total=2, op="command")
        self.assertEqual([e["repo"] for e in c.events if e["event"] == "start"],
                         [os.path.join(tree, "a"), os.path.join(tree, "b", "c")])

    def test_many_tasks(self):
        dirs = self.mkdirs(*("r%03d" % i for i in range(300)))
        c = self.json_run(["-j", "16"] + dirs + ["--", "true"], 0, total=300, op="command")
        self.assertEqual(sorted(c.end_by_repo()), dirs)
        self.assertLessEqual(c.events[-1]["peak_running"], 16)

    def test_repos_from_stdin(self):
        a, b, c_ = self.mkdirs("a", "b", "c c")
        text = "\n".join(["# a comment", a, "", "   ", "\t# indented comment", b, "  ", c_, ""])
        c = self.json_run(["-f", "-", "--", "true"], 0, total=3, op="command",
                          input=text.encode())
        self.assertEqual([e["repo"] for e in c.events if e["event"] == "start"], [a, b, c_])

    def test_repos_from_file(self):
        a, b = self.mkdirs("a", "b")
        listing = os.path.join(self.tmp, "list")
        self.write(listing, "#x\n\n%s\n%s\n" % (a, b))
        c = self.json_run(["--repos-from", listing, "--", "true"], 0, total=2, op="command")
        self.assertEqual(sorted(c.end_by_repo()), [a, b])


NASTY_NAMES = [
    "with space",
    "it's \"quoted\"",
    "new\nline",
    "$(touch PWNED)",
    "`touch PWNED`",
    "semi;touch PWNED;x",
    "-x dash",
    "tab\there",
    "star * and ?",
    "ünïcödé",
]


class TestNastyPaths(Base):
    def setUp(self):
        super().setUp()
        self.dirs = self.mkdirs(*NASTY_NAMES)

    def tearDown(self):
        pwned = []
        for root, dirs, files in os.walk(self.tmp):
            pwned += [os.path.join(root, f) for f in files if f.startswith("PWNED")]
        self.assertEqual(pwned, [], "a path was executed as shell code")

    def run_ok(self, args, json_mode=True, extra=()):
        if json_mode:
            return self.json_run(self.dirs + ["--"] + args, 0, total=len(self.dirs),
                                 op="command", cwd=self.tmp)
        p = self.run_cli(list(extra) + self.dirs + ["--"] + args, cwd=self.tmp)
        self.assert_exit(p, 0)
        return p

    def test_cwd_is_the_repository(self):
        c = self.run_ok(["sh", "-c", "pwd -P > .pwd"])
        self.assertEqual(sorted(c.end_by_repo()), sorted(self.dirs), "repo fields round-trip")
        for d in self.dirs:
            self.assertEqual(self.read(os.path.join(d, ".pwd")), os.fsencode(d) + b"\n")

    def test_placeholder_is_one_argument(self):
        self.run_ok(["sh", "-c", 'printf %s "$1" > "$1/.arg"', "sh", "{}"])
        for d in self.dirs:
            self.assertEqual(self.read(os.path.join(d, ".arg")), os.fsencode(d))

    def test_placeholder_inside_an_argument(self):
        self.run_ok(["touch", "{}/.touched"])
        for d in self.dirs:
            self.assertTrue(os.path.exists(os.path.join(d, ".touched")), d)

    def test_shell_gets_the_path_in_the_environment_only(self):
        self.json_run(["--shell"] + self.dirs +
                      ["--", 'printf %s "$REPOPOOL_REPO" > .env; printf %s "{}" > .brace; pwd -P'],
                      0, total=len(self.dirs), op="command", cwd=self.tmp)
        for d in self.dirs:
            self.assertEqual(self.read(os.path.join(d, ".env")), os.fsencode(d))
            self.assertEqual(self.read(os.path.join(d, ".brace")), b"{}", "the script is not edited")

    def test_headless_lines_stay_one_per_task(self):
        p = self.run_ok(["pwd"], json_mode=False, extra=["--output=last"])
        lines = p.stdout.split(b"\n")
        self.assertEqual(lines[-1], b"")
        lines = lines[:-1]
        self.assertEqual(len(lines), len(self.dirs) + 1, p.stdout)
        self.assertTrue(all(l.startswith(b"ok ") for l in lines[:-1]), p.stdout)
        self.assertTrue(lines[-1].startswith(b"repopool:"), p.stdout)
        self.assertNotIn(b"\t", p.stdout)


class TestJoblog(Base):
    def test_joblog(self):
        dirs = self.mkdirs("zero", "three", "five")
        codes = {dirs[0]: 0, dirs[1]: 3, dirs[2]: 5}
        for d, code in codes.items():
            self.write(os.path.join(d, "code"), str(code))
        log = os.path.join(self.tmp, "job.log")
        p = self.run_cli(["--joblog", log, "-j", "2"] + dirs + ["--", "sh", "-c", "echo out; exit $(cat code)"])
        self.assert_exit(p, 1)
        lines = self.read(log).decode().split("\n")
        self.assertEqual(lines[-1], "", "the log ends with a newline")
        lines = lines[:-1]
        self.assertEqual(lines[0], "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand")
        self.assertEqual(len(lines), 1 + len(dirs))
        seen = set()
        for line in lines[1:]:
            cols = line.split("\t")
            self.assertEqual(len(cols), 9, line)
            seq = int(cols[0])
            self.assertIn(seq, (1, 2, 3))
            seen.add(seq)
            repo = dirs[seq - 1]
            self.assertGreater(float(cols[2]), 1e9, "Starttime is seconds since the epoch")
            self.assertGreaterEqual(float(cols[3]), 0)
            self.assertEqual(int(cols[5]), len("out\n"), "Receive counts the output")
            self.assertEqual(int(cols[6]), codes[repo], "Exitval of %s" % repo)
            self.assertEqual(int(cols[7]), 0)
            self.assertIn(repo, cols[8])
        self.assertEqual(seen, {1, 2, 3})

    def test_joblog_unwritable(self):
        d = self.mkdirs("r")[0]
        log = os.path.join(self.tmp, "no-such-dir", "job.log")
        p = self.run_cli(["--joblog", log, d, "--", "true"])
        self.assert_exit(p, 2)
        self.assertEqual(p.stderr.count(b"\n"), 1, p.stderr)
        self.assertIn(log.encode(), p.stderr)


# Names that are code if a joblog line is edited or pasted carelessly.
JOBLOG_NAMES = [
    b"repo\rtouch X #",
    b"a\nb",
    b"$(touch Y)",
    b"it's",
    b"x\x1b]0;title\x07",
    b"bad\xffbyte",
    b"tab\ttouch X",
    b"rlo\xe2\x80\xaecsi\xc2\x9b",
    b"with space",
    b"plain",
]


class TestJoblogReplay(Base):
    """The Command column, pasted into bash, goes back to the same path and
    runs nothing a name smuggled in."""

    def setUp(self):
        super().setUp()
        self.dirs = []
        for name in JOBLOG_NAMES:
            path = os.path.join(os.fsencode(self.tmp), name)
            os.mkdir(path)
            self.dirs.append(path)
        self.log = os.path.join(self.tmp, "job.log")
        p = self.run_cli(["--no-tui", "--joblog", self.log] + self.dirs + ["--", "pwd"], cwd=self.tmp)
        self.assert_exit(p, 0)
        lines = self.read(self.log).split(b"\n")
        self.assertEqual(lines[-1], b"", "the log ends with a newline")
        self.lines = lines[1:-1]

    def tearDown(self):
        planted = []
        for root, _, files in os.walk(os.fsencode(self.tmp)):
            planted += [os.path.join(root, f) for f in files if f in (b"X", b"Y")]
        self.assertEqual(planted, [], "a path in the joblog ran as shell code")

    def commands(self):
        """Seq -> Command column."""
        out = {}
        for line in self.lines:
            cols = line.split(b"\t")
            self.assertEqual(len(cols), 9, line)
            out[int(cols[0])] = cols[8]
        return out

    def test_one_line_per_task(self):
        self.assertEqual(len(self.lines), len(self.dirs), self.lines)
        self.assertEqual(sorted(self.commands()), list(range(1, len(self.dirs) + 1)))
        text = self.read(self.log)
        for byte in (b"\r", b"\x1b", b"\x07", b"\x7f", b"\xff", b"\xe2\x80\xae", b"\xc2\x9b"):
            self.assertNotIn(byte, text)

    def test_command_replays_the_path_in_bash(self):
        empty = os.path.join(self.tmp, "empty")
        os.mkdir(empty)
        for seq, command in self.commands().items():
            path = self.dirs[seq - 1]
            self.assertTrue(command.startswith(b"cd ") and command.endswith(b" && pwd"), command)
            p = subprocess.run(["bash", "-c", command], cwd=empty, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
            self.assertEqual(p.returncode, 0, (command, p.stderr))
            self.assertEqual(p.stdout, path + b"\n", command)
        self.assertEqual(os.listdir(empty), [])

    def test_ordinary_paths_keep_posix_quotes(self):
        commands = self.commands()
        for name in (b"plain", b"with space", b"it's", b"$(touch Y)"):
            seq = JOBLOG_NAMES.index(name) + 1
            command = commands[seq]
            self.assertNotIn(b"$'", command)
            # Plain POSIX quoting: dash (Debian's sh) reads it too.
            p = subprocess.run(["sh", "-c", command], cwd=self.tmp, stdout=subprocess.PIPE,
                               timeout=RUN_TIMEOUT)
            self.assertEqual(p.stdout, self.dirs[seq - 1] + b"\n", command)
        self.assertEqual(commands[JOBLOG_NAMES.index(b"plain") + 1],
                         b"cd " + self.dirs[JOBLOG_NAMES.index(b"plain")] + b" && pwd")
        self.assertEqual(commands[JOBLOG_NAMES.index(b"with space") + 1],
                         b"cd '" + self.dirs[JOBLOG_NAMES.index(b"with space")] + b"' && pwd")


class TestJsonHiddenCharacters(Base):
    """--json escapes C1 controls and bidirectional characters; decoded, the
    event gives back the exact path."""

    def test_rlo_and_csi_are_escaped(self):
        names = ["rlo\u202etxt.exe\u009b31m", "bidi\u061c\u200e\u200f\u202a\u2066\u2069",
                 "sep\u2028\u2029\u0085", "plain caf\u00e9"]
        dirs = self.mkdirs(*names)
        p = self.run_cli(["--json"] + dirs + ["--", "true"])
        self.assert_exit(p, 0)
        for raw in (b"\xe2\x80\xae", b"\xc2\x9b", b"\xc2\x85", b"\xd8\x9c", b"\xe2\x80\x8e",
                    b"\xe2\x80\x8f", b"\xe2\x80\xaa", b"\xe2\x81\xa6", b"\xe2\x81\xa9",
                    b"\xe2\x80\xa8", b"\xe2\x80\xa9", b"\x1b"):
            self.assertNotIn(raw, p.stdout)
        self.assertIn("caf\u00e9".encode(), p.stdout, "other characters stay raw")
        self.assertIn(b"\\u202e", p.stdout)
        self.assertIn(b"\\u009b", p.stdout)
        c = EventChecker(self, parse_events(p.stdout), total=len(dirs), op="command").check()
        for kind in ("start", "end"):
            self.assertEqual(sorted(e["repo"] for e in c.events if e["event"] == kind), sorted(dirs))

    def test_invalid_utf8_becomes_replacement_character(self):
        path = os.path.join(os.fsencode(self.tmp), b"bad\xffbyte\xe2\x80\xae")
        os.mkdir(path)
        p = self.run_cli(["--json", path, "--", "true"])
        self.assert_exit(p, 0)
        self.assertNotIn(b"\xff", p.stdout)
        self.assertNotIn(b"\xe2\x80\xae", p.stdout)
        events = parse_events(p.stdout)
        repos = [e["repo"] for e in events if "repo" in e]
        self.assertEqual(repos, [path.decode("utf-8", "replace")] * 2)


class TestHeadless(Base):
    def test_exit_status(self):
        a, b = self.mkdirs("a", "b")
        self.assert_exit(self.run_cli([a, b, "--", "true"]), 0)
        self.assert_exit(self.run_cli([a, b, "--", "false"]), 1)
        self.write(os.path.join(b, "fail"), "")
        self.assert_exit(self.run_cli([a, b, "--", "sh", "-c", "test ! -e fail"]), 1)
        self.assert_exit(self.run_cli([a, "--", "repopool-no-such-command-4711"]), 1)

    def test_lines_and_summary(self):
        a, b, c = self.mkdirs("a", "b", "c")
        self.write(os.path.join(b, "fail"), "")
        p = self.run_cli(["--output=last", a, b, c, "--", "sh", "-c",
                          "if [ -e fail ]; then echo broken; exit 4; fi; echo fine"])
        self.assert_exit(p, 1)
        lines = p.stdout.decode().split("\n")
        self.assertEqual(lines[-1], "")
        lines = lines[:-1]
        self.assertEqual(len(lines), 4, p.stdout)
        by_repo = {}
        for line in lines[:3]:
            for d in (a, b, c):
                if ("  " + d + "  ") in line:
                    by_repo[d] = line
        self.assertEqual(sorted(by_repo), [a, b, c], p.stdout)
        self.assertTrue(by_repo[a].startswith("ok "))
        self.assertTrue(by_repo[a].endswith("fine"))
        self.assertTrue(by_repo[b].startswith("failed "))
        self.assertTrue(by_repo[b].endswith("exit 4: broken"))
        self.assertTrue(lines[3].startswith("repopool: 3 tasks"), lines[3])
        self.assertIn("2 ok", lines[3])
        self.assertIn("1 failed", lines[3])

    def test_output_all_last_and_none(self):
        """A command's whole output under its line by default, never
        interleaved with another task's (each prints, sleeps, prints); its
        last line with --output=last; none but a failure's reason with
        --output=none."""
        dirs = self.mkdirs("a", "b", "c")
        self.write(os.path.join(dirs[2], "fail"), "")
        script = ("echo first of $(basename $PWD); sleep 0.2; echo second of $(basename $PWD); "
                  "if [ -e fail ]; then echo broken; exit 3; fi")
        p = self.run_cli(["-j", "3"] + dirs + ["--", "sh", "-c", script])
        self.assert_exit(p, 1)
        lines = p.stdout.decode().splitlines()
        self.assertEqual(len(lines), 3 + 2 + 2 + 3 + 1, p.stdout)
        for i, line in enumerate(lines[:-1]):
            m = re.match(r"^(?:ok|failed) +\S+  \S+/(\w)\b", line)
            if m:
                name = m.group(1)
                self.assertEqual(lines[i + 1], "    first of " + name, p.stdout)
                self.assertEqual(lines[i + 2], "    second of " + name, p.stdout)
        self.assertRegex(p.stdout.decode(), r"(?m)^failed .*/c  exit 3: broken\n    first of c\n"
                                            r"    second of c\n    broken$")
        p = self.run_cli(["--output=last", "-j", "3"] + dirs + ["--", "sh", "-c", script])
        lines = p.stdout.decode().splitlines()
        self.assertEqual(len(lines), 4, p.stdout)
        self.assertTrue(any(l.endswith("/a  second of a") for l in lines), p.stdout)
        p = self.run_cli(["--output=none", "-j", "3"] + dirs + ["--", "sh", "-c", script])
        lines = p.stdout.decode().splitlines()
        self.assertEqual(len(lines), 4, p.stdout)
        self.assertTrue(any(l.endswith("/a") for l in lines), p.stdout)
        self.assertTrue(any(l.endswith("/c  exit 3: broken") for l in lines), p.stdout)
        p = self.run_cli(["--output=most", dirs[0], "--", "true"])
        self.assert_exit(p, 2)
        self.assertEqual(p.stderr.decode(),
                         "repopool: invalid value 'most' for --output: expected all, last or none\n")

    def test_quiet_prints_only_failures(self):
        a, b = self.mkdirs("a", "b")
        self.write(os.path.join(b, "fail"), "")
        p = self.run_cli(["-q", a, b, "--", "sh", "-c", "test ! -e fail"])
        self.assert_exit(p, 1)
        lines = p.stdout.decode().splitlines()
        self.assertEqual(len(lines), 1, p.stdout)
        self.assertIn(b, lines[0])

    def test_escape_sequences_do_not_reach_stdout(self):
        a = self.mkdirs("a")[0]
        b = self.mkdirs("esc\x1b[31mred\x07")[0]
        script = r"printf '\033]0;pwned\007\033[2Jdanger\r\n'"
        for json_mode in (False, True):
            args = (["--json"] if json_mode else []) + [a, b, "--", "sh", "-c", script]
            p = self.run_cli(args)
            self.assert_exit(p, 0)
            for byte in (b"\x1b", b"\x07", b"\r", b"\x9b"):
                self.assertNotIn(byte, p.stdout, "%r in %r" % (byte, p.stdout))
            self.assertIn(b"danger", p.stdout)
            if json_mode:
                ends = EventChecker(self, parse_events(p.stdout), total=2).check().end_by_repo()
                self.assertEqual(sorted(ends), sorted([a, b]), "JSON keeps the path exactly")
                self.assertEqual(ends[a]["summary"], "danger")
            else:
                # Each line, the output under it (--output=all, the
                # default for commands), the summary.
                self.assertEqual(len(p.stdout.splitlines()), 5, p.stdout)
                self.assertEqual(p.stdout.splitlines()[1], b"    danger")
        p = self.run_cli(["--demo", "10", "--demo-mean", "0.01", "--seed", "2"])
        self.assert_exit(p, 0)
        lines = p.stdout.decode().splitlines()
        self.assertEqual(len(lines), 11)
        self.assertTrue(lines[-1].startswith("repopool: 10 tasks"), lines[-1])


if __name__ == "__main__":
    unittest.main(verbosity=2)
