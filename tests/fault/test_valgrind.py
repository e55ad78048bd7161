#!/usr/bin/env python3
"""valgrind memcheck over representative runs of the real binary.

Each run is `valgrind --error-exitcode=99 --leak-check=full
--errors-for-leak-kinds=definite --track-fds=yes` around repopool: the demo
(with failures, refusals and retries), commands (output, failures, a
missing command, a joblog), a timeout (a task that obeys SIGTERM and one
that ignores it, killed after the grace period), a cancel by SIGINT,
`--git status` on a few repositories, `--git fetch` and `--git pull` from a
local path remote (libgit2, and `--fetch-with=git`), and the dashboard in
tmux. Each must end with its usual exit status (never 99), no memory
errors, no definite leaks, and no descriptor open at exit that repopool
opened itself (those inherited from the test are fine).

Only definite leaks and errors count: libgit2, OpenSSL and curses keep
"still reachable" memory until exit, which is not a leak. valgrind.supp
next to this file holds suppressions for third-party definite leaks that
are not repopool's (see the comments in it; it may be empty).

Skipped when valgrind is not installed, and for a sanitizer build, which
valgrind cannot run. repopool hears a command's exit through a pidfd;
valgrind 3.19 (Debian 12's) does not implement pidfd_open, so under it no
command can start: the test then checks that failure path instead (every
task fails as internal, no child is left, memcheck stays clean) and skips
the runs that need commands running (timeouts, cancelling running
commands), saying why. The interrupt paths are still covered with demo
tasks, headless and in the dashboard.
"""

import json
import os
import re
import shutil
import signal
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import TestCase  # noqa: E402
from lib.config import EVENT_TIMEOUT, RUN_TIMEOUT, built_with  # noqa: E402
from lib.procs import wait_group_gone  # noqa: E402
from lib.running import Running  # noqa: E402
from lib.tmux import Tmux  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SUPPRESSIONS = os.path.join(HERE, "valgrind.supp")
VALGRIND = shutil.which("valgrind")


NO_PIDFD = ("this valgrind does not implement pidfd_open (syscall 434; valgrind 3.19 warns "
            "\"unhandled amd64-linux syscall: 434\"), which repopool's command backend needs "
            "to hear a child's exit: under it no command can start")


@unittest.skipUnless(VALGRIND, "valgrind is not installed")
@unittest.skipIf(built_with(b"__asan_init", b"__ubsan_handle"), "a sanitizer build: valgrind cannot run it")
class Memcheck(TestCase):
    _commands_run = None

    def commands_run(self):
        """Whether commands can start under this valgrind (see NO_PIDFD);
        asked once per process."""
        if Memcheck._commands_run is None:
            d = self.dirs("probe")[0]
            prefix, log = self.valgrind_prefix("probe")
            res = self.repopool(["--json", d, "--", "true"], prefix=prefix)
            e = res.ends()[0] if res.ends() else {}
            Memcheck._commands_run = e.get("status") == "ok"
            if not Memcheck._commands_run:
                self.assertIn("function not implemented", e.get("summary", ""), res.describe())
                self.assertIn("syscall: 434", self.read(log).decode("utf-8", "replace"))
                sys.stderr.write("\nNOTE: %s.\n" % NO_PIDFD)
        return Memcheck._commands_run

    def need_commands(self):
        if not self.commands_run():
            self.skipTest(NO_PIDFD)
    def valgrind_prefix(self, name):
        log = self.path("valgrind-%s.log" % self.unique(name))
        args = [VALGRIND, "-q", "--error-exitcode=99", "--leak-check=full",
                "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite",
                "--track-fds=yes", "--child-silent-after-fork=yes", "--num-callers=40",
                "--log-file=" + log]
        if os.path.exists(SUPPRESSIONS):
            args.append("--suppressions=" + SUPPRESSIONS)
        return args, log

    def check_log(self, log, what):
        with open(log, encoding="utf-8", errors="replace") as f:
            text = f.read()
        body = re.sub(r"(?m)^==\d+== ?", "", text)
        problems = []
        m = re.search(r"ERROR SUMMARY: (\d+) errors", body)
        if m and int(m.group(1)) != 0:
            problems.append("memory errors")
        m = re.search(r"definitely lost: ([\d,]+) bytes", body)
        if m and m.group(1) != "0":
            problems.append("definite leaks")
        if re.search(r"(Invalid (read|write|free)|uninitialised|Mismatched free|overlap)", body):
            problems.append("errors in the log")
        # Descriptors open at exit: every block is headed "Open ... N..." and
        # says "<inherited from parent>" unless repopool opened it.
        blocks = re.split(r"\n(?=Open )", body)
        leaked = [b for b in blocks if b.startswith("Open ") and "<inherited from parent>" not in b]
        if leaked:
            problems.append("descriptors left open:\n" + "\n".join(leaked))
        self.assertFalse(problems, "%s under valgrind: %s\n%s" % (what, ", ".join(problems), text[-12000:]))

    def vg_run(self, what, args, status, cwd=None, json_events=True):
        prefix, log = self.valgrind_prefix(what)
        res = self.repopool(args, cwd=cwd, prefix=prefix, json_events=json_events)
        self.assertNotEqual(res.returncode, 99, "valgrind found errors in %s:\n%s" % (what, self.read(log)[-12000:]))
        self.assert_exit(res, status)
        self.check_log(log, what)
        return res

    def dirs(self, *names):
        return self.mkdirs(*names, under=self.unique("d"))

    # --- runs ---

    def test_demo(self):
        res = self.vg_run("demo", ["--json", "--demo", "30", "--demo-mean", "0.01", "--seed", "5", "-j", "4"], 0)
        self.check_events(res, total=30)
        res = self.vg_run("demo with refusals and retries",
                          ["--json", "--demo", "30", "--demo-mean", "0.02", "--demo-capacity", "2",
                           "--demo-fail", "0.2", "--retries", "2", "--seed", "9", "-j", "6"], 1)
        self.check_events(res, total=30)
        self.vg_run("demo, lines", ["--no-tui", "--demo", "10", "--demo-mean", "0.01"], 0, json_events=False)

    def test_commands(self):
        a, b, c, d = self.dirs("a", "b", "c c", "d")
        self.write(os.path.join(b, "code"), "3")
        joblog = self.path("joblog")
        runs = self.commands_run()
        res = self.vg_run("commands", ["--json", "-j", "2", "--joblog", joblog, a, b, c, d, self.path("missing"),
                                       "--", "sh", "-c", "echo $$ > .pgid; echo out; echo err >&2; "
                                       "[ -e code ] && exit $(cat code); printf '\\033[31mred\\n'"], 1)
        self.check_events(res, total=5)
        ends = res.end_by_repo()
        self.assertEqual(ends[self.path("missing")]["class"], "not-a-repo")
        if runs:
            self.assertEqual(ends[b]["exit"], 3)
            self.assertEqual(ends[a]["summary"], "red")
            res = self.vg_run("a missing command", ["--json", a, "--", "repopool-no-such-command"], 1)
            self.assertEqual(res.ends()[0]["exit"], 127)
            self.vg_run("shell mode, lines", ["--shell", a, b, "--", 'echo "$REPOPOOL_REPO"'], 0,
                        json_events=False)
            self.vg_run("big output", ["--json", a, "--", "sh", "-c", "head -c 3000000 /dev/zero"], 0)
        else:
            # The start fails on every task: that path is memchecked, and
            # must leave no child behind.
            for p in (a, b, c, d):
                e = ends[p]
                self.assertEqual((e["status"], e["class"]), ("failed", "internal"), e)
                self.assertIn("function not implemented", e["summary"])
                pgid_file = os.path.join(p, ".pgid")
                if os.path.exists(pgid_file):
                    self.assertEqual(wait_group_gone(self.read_int(pgid_file)), [])
            self.vg_run("shell mode, lines", ["--shell", a, b, "--", 'echo "$REPOPOOL_REPO"'], 1,
                        json_events=False)

    def test_timeouts(self):
        self.need_commands()
        polite, stubborn = self.dirs("polite", "stubborn")
        self.write(os.path.join(stubborn, "stubborn"), "")
        res = self.vg_run("timeouts", ["--json", "-j", "2", "--timeout", "1", polite, stubborn, "--", "sh", "-c",
                                       "[ -e stubborn ] && trap '' TERM; echo $$ > .pgid; sleep 60 & sleep 60"], 1)
        self.check_events(res, total=2)
        for e in res.ends():
            self.assertEqual((e["status"], e["class"]), ("failed", "timeout"), e)
        for d in (polite, stubborn):
            self.assertEqual(wait_group_gone(self.read_int(os.path.join(d, ".pgid"))), [])

    def interrupt(self, what, args, started, expect_total):
        """Runs repopool --json under valgrind, waits for started(events),
        sends SIGINT; checks exit 130 and a clean memcheck."""
        prefix, log = self.valgrind_prefix(what)
        p = Running(self, args, prefix=prefix)

        def events():
            text = p.stdout()
            return [json.loads(l) for l in text.split(b"\n")[:-1]]
        self.wait_until(lambda: started(events()), what + ": tasks running", EVENT_TIMEOUT,
                        unless=lambda: (p.poll() is not None and "repopool exited with %s" % p.poll()) or
                        (any(e["event"] == "end" for e in events()) and
                         "a task ended before the interrupt: %r" % events()[-3:]))
        p.send_signal(signal.SIGINT)
        rc = p.wait(timeout=RUN_TIMEOUT)
        res = p.result()
        self.assertNotEqual(rc, 99, self.read(log)[-12000:])
        self.assert_exit(res, 130)
        self.check_events(res, total=expect_total)
        self.assertEqual(res.summary().get("interrupted"), "INT")
        self.assertEqual(res.summary()["cancelled"], expect_total)
        self.check_log(log, what)
        return res

    def test_cancel_demo_by_sigint(self):
        self.interrupt("demo cancelled by SIGINT",
                       ["--json", "-j", "2", "--demo", "5", "--demo-mean", "1000", "--seed", "1"],
                       lambda ev: sum(1 for e in ev if e["event"] == "start") >= 2, 5)

    def test_cancel_commands_by_sigint(self):
        self.need_commands()
        dirs = self.dirs("a", "b", "c")
        pgid_files = [os.path.join(d, ".pgid") for d in dirs[:2]]
        self.interrupt("commands cancelled by SIGINT",
                       ["--json", "-j", "2"] + dirs + ["--", "sh", "-c", "echo $$ > .pgid; sleep 60 & sleep 60"],
                       lambda ev: all(os.path.exists(f) and os.path.getsize(f) for f in pgid_files), 3)
        for f in pgid_files:
            self.assertEqual(wait_group_gone(self.read_int(f)), [])

    def git_fixture(self):
        """An upstream with new commits, and clones of it: clean, dirty,
        behind (pullable), plus a plain directory that is no repository."""
        upstream = self.new_repo(self.path("upstream"), {"README": "one\n", "src/a.c": "int a;\n"})
        clones = {}
        for name in ("clean", "dirty", "behind"):
            p = self.path("clones", name)
            self.git("clone", "-q", upstream, p)
            clones[name] = p
        self.write(os.path.join(clones["dirty"], "README"), "changed\n")
        self.write(os.path.join(clones["dirty"], "untracked.txt"), "new\n")
        self.commit(upstream, {"README": "two\n", "src/b.c": "int b;\n"})
        self.git("branch", "topic", cwd=upstream)
        self.git("tag", "v1", cwd=upstream)
        plain = self.path("plain")
        os.mkdir(plain)
        return upstream, clones, plain

    def test_git_status(self):
        upstream, clones, plain = self.git_fixture()
        res = self.vg_run("git status", ["--json", "--git", "status", "-j", "3"] + list(clones.values()) + [plain], 1)
        self.check_events(res, total=4)
        ends = res.end_by_repo()
        self.assertEqual(ends[clones["dirty"]]["git"]["modified"], 1)
        self.assertEqual(ends[plain]["class"], "not-a-repo")

    def test_git_fetch_and_pull(self):
        upstream, clones, plain = self.git_fixture()
        res = self.vg_run("git fetch", ["--json", "--git", "fetch", "-j", "2", clones["clean"], clones["dirty"]], 0)
        self.check_events(res, total=2)
        self.assertEqual(self.rev(clones["clean"], "refs/remotes/origin/main"), self.rev(upstream, "main"))
        res = self.vg_run("git fetch with git", ["--json", "--git", "fetch", "--fetch-with=git", clones["behind"]], 0)
        self.assertEqual(self.rev(clones["behind"], "refs/remotes/origin/main"), self.rev(upstream, "main"))
        self.commit(upstream, {"README": "three\n"})
        res = self.vg_run("git pull", ["--json", "--git", "pull", "-j", "3"] + list(clones.values()), 1)
        self.check_events(res, total=3)
        ends = res.end_by_repo()
        self.assertEqual(ends[clones["clean"]]["status"], "ok", ends)
        self.assertEqual(ends[clones["behind"]]["status"], "ok", ends)
        self.assertEqual((ends[clones["dirty"]]["status"], ends[clones["dirty"]]["class"]), ("skipped", "dirty"))
        self.assertEqual(self.rev(clones["behind"], "HEAD"), self.rev(upstream, "main"))
        self.git("fsck", "--no-progress", cwd=clones["behind"])

    def test_dashboard(self):
        dirs = self.dirs("a", "b")
        for what, args in (("dashboard, demo", ["--demo", "12", "--demo-mean", "0.02", "--seed", "3", "-j", "3"]),
                           ("dashboard, commands", ["-j", "2"] + dirs + ["--", "sh", "-c", "echo hi; exit 1"])):
            with self.subTest(what=what):
                prefix, log = self.valgrind_prefix("tui")
                tmux = Tmux(self)
                tmux.start(["--tui", "--exit-when-done"] + args, prefix=prefix)
                status, err = tmux.wait_exit()
                self.assertNotEqual(status, 99, self.read(log)[-12000:])
                self.assertIn(status, (0, 1), tmux.screen())
                self.assertIn("repopool: ", tmux.screen())
                self.check_log(log, what)
                tmux.kill()

    def dashboard_interrupt(self, what, args):
        prefix, log = self.valgrind_prefix(what)
        tmux = Tmux(self)
        pid = tmux.start(["--tui", "-j", "2"] + args, prefix=prefix)
        self.wait_until(lambda: re.match(r"running 2 ", tmux.screen()), what + ": the dashboard, two running",
                        EVENT_TIMEOUT, unless=lambda: tmux.trouble(pid))
        os.kill(pid, signal.SIGINT)
        status, err = tmux.wait_exit()
        self.assertEqual(status, 130, self.read(log)[-12000:])
        self.assertRegex(tmux.screen(), r"(?m)^repopool: \d+ tasks in .*; interrupted by SIGINT$")
        self.check_log(log, what)
        tmux.kill()

    def test_dashboard_interrupted(self):
        self.dashboard_interrupt("the dashboard interrupted, demo",
                                 ["--demo", "5", "--demo-mean", "1000", "--seed", "1"])

    def test_dashboard_interrupted_commands(self):
        self.need_commands()
        dirs = self.dirs("a", "b", "c")
        self.dashboard_interrupt("the dashboard interrupted, commands",
                                 dirs + ["--", "sh", "-c", "echo $$ > .pgid; sleep 60"])
        for d in dirs[:2]:
            self.assertEqual(wait_group_gone(self.read_int(os.path.join(d, ".pgid"))), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
