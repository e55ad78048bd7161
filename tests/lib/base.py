"""TestCase, the base of every Python test: a temporary directory, a
sandboxed HOME and git environment, and a marker on every process it
starts; and DaemonTestCase, with a real git daemon.

Everything a test makes lives in its temporary directory; HOME,
XDG_CONFIG_HOME and XDG_STATE_HOME point into it and GIT_CONFIG_NOSYSTEM=1
is set, so neither the user's nor the system's git configuration can change
what git or libgit2 do, and repopool's config file and run history are the
test's own. Every process a test starts (repopool, its tasks, git, the git
daemon, relays, tmux) carries the test's marker in its environment; cleanup
waits a while for whatever still carries it (or still works in the
directory), kills it, and fails the test if anything was left, so the
suites may run side by side. meson's SIGTERM at a timeout kills what the
running test started, too.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import uuid

from .config import EVENT_TIMEOUT, GIT_TIMEOUT, GONE_TIMEOUT, REPOPOOL, RUN_TIMEOUT
from .events import EventChecker, Result, check_no_sanitizer_report, parse_events
from .gitdaemon import GitDaemon
from .procs import kill_group, processes_with, procs_with_cwd_under, wait_group_gone

# Variables that would point git at another repository or configuration,
# or tmux at another server.
_DROP_ENV = {"SUDO_UID", "SUDO_GID", "SUDO_USER", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "SSH_AUTH_SOCK",
             "SSH_ASKPASS", "EMAIL", "PAGER", "LESS", "TMUX", "TMUX_PANE"}

GLOBAL_GITCONFIG = """\
[init]
\tdefaultBranch = main
[advice]
\tdetachedHead = false
[gc]
\tauto = 0
[maintenance]
\tauto = false
[core]
\tfsmonitor = false
[commit]
\tgpgSign = false
[pull]
\trebase = false
[merge]
\tconflictStyle = merge
"""


def sandbox_env(home, marker):
    """The environment of everything a test runs: this one without git's
    variables, HOME and git's identity fixed, the C.UTF-8 locale, UTC, and
    marker (KEY=VALUE)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GIT_") and k not in _DROP_ENV}
    env.update({
        "HOME": home,
        # repopool's config file and run history live here, never in the
        # user's own.
        "XDG_CONFIG_HOME": os.path.join(home, ".config"),
        "XDG_STATE_HOME": os.path.join(home, ".local", "state"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test Author",
        "GIT_AUTHOR_EMAIL": "author@example.invalid",
        "GIT_COMMITTER_NAME": "Test Committer",
        "GIT_COMMITTER_EMAIL": "committer@example.invalid",
        "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
    })
    key, value = marker.split("=", 1)
    env[key] = value
    return env


def remove_tree(top):
    """rm -rf, also through directories a test made unreadable."""
    for root, dirs, _files in os.walk(top):
        for d in dirs:
            p = os.path.join(root, d)
            try:
                if not os.path.islink(p):
                    os.chmod(p, 0o755)
            except OSError:
                pass
    try:
        os.chmod(top, 0o755)
    except OSError:
        pass
    shutil.rmtree(top, ignore_errors=True)


# Every live test's marker and directory, for the SIGTERM handler below.
_ACTIVE = []


def _on_sigterm(signum, _frame):
    """meson ends a test that ran out of time with SIGTERM to its process
    group and SIGKILL half a second later: kill what the running test
    started outside that group (tmux servers, daemons, task groups) first,
    then remove its directory if there is time."""
    for marker, _tmp in list(_ACTIVE):
        for pid, _comm in processes_with(marker):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    for _marker, tmp in list(_ACTIVE):
        remove_tree(tmp)
    os._exit(128 + signum)


signal.signal(signal.SIGTERM, _on_sigterm)


class TestCase(unittest.TestCase):
    """A test with its own temporary directory (tmp), HOME (home), git
    configuration, environment (env) and process marker (marker)."""

    def setUp(self):
        self.tmp = os.path.realpath(tempfile.mkdtemp(prefix="repopool-test-"))
        self.home = os.path.join(self.tmp, "home")
        os.mkdir(self.home)
        with open(os.path.join(self.home, ".gitconfig"), "w") as f:
            f.write(GLOBAL_GITCONFIG)
        self.marker = "REPOPOOL_TEST_TAG=" + uuid.uuid4().hex
        self.env = sandbox_env(self.home, self.marker)
        self._counter = 0
        _ACTIVE.append((self.marker, self.tmp))
        self.addCleanup(self._cleanup_tmp)

    def _left_behind(self):
        left = processes_with(self.marker)
        marked = {pid for pid, _comm in left}
        return left + [(pid, "?") for pid in procs_with_cwd_under(self.tmp) if pid not in marked]

    def _cleanup_tmp(self):
        # Whatever a test started and did not stop is a leak (or a failed
        # test's leftovers): give it a moment, kill it, then say so.
        deadline = time.monotonic() + GONE_TIMEOUT
        while self._left_behind() and time.monotonic() < deadline:
            time.sleep(0.1)
        left = self._left_behind()
        for pid, _comm in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        remove_tree(self.tmp)
        _ACTIVE.remove((self.marker, self.tmp))
        if left:
            raise AssertionError("processes left behind: %r" % (left,))

    # --- files ---

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def unique(self, prefix):
        self._counter += 1
        return "%s-%d" % (prefix, self._counter)

    def mkdirs(self, *names, under=None):
        """Makes the directories names (under tmp, or tmp/under); returns
        their paths."""
        paths = []
        for name in names:
            p = self.path(under, name) if under else self.path(name)
            os.makedirs(p)
            paths.append(p)
        return paths

    @staticmethod
    def write(path, content, mode=None):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content.encode() if isinstance(content, str) else content)
        if mode is not None:
            os.chmod(path, mode)

    @staticmethod
    def read(path):
        with open(path, "rb") as f:
            return f.read()

    def read_int(self, path):
        return int(self.read(path).decode().strip())

    # --- waiting ---

    def waiting_context(self):
        """What a failure to wait should show besides what was awaited."""
        return ""

    def wait_until(self, cond, what, timeout=EVENT_TIMEOUT, poll=0.05, unless=None):
        """Polls cond until it is true and returns its value; fails at the
        deadline (an anti-hang guard), or at once when unless() says what
        is awaited can no longer happen (unless returns why)."""
        deadline = time.monotonic() + timeout
        while True:
            value = cond()
            if value:
                return value
            why = unless() if unless else None
            if why:
                self.fail("gave up waiting for %s: %s" % (what, why))
            if time.monotonic() > deadline:
                context = self.waiting_context()
                self.fail("timed out waiting for %s%s" % (what, "; " + context if context else ""))
            time.sleep(poll)

    def wait_files(self, paths, timeout=EVENT_TIMEOUT, unless=None):
        """Waits until every file in paths exists and is not empty."""
        self.wait_until(lambda: all(os.path.exists(p) and os.path.getsize(p) > 0 for p in paths),
                        "files %r" % (paths[:3],), timeout, unless=unless)

    def kill_groups_later(self, pgid_files):
        """At cleanup, kills the process groups whose ids the tasks wrote
        into pgid_files (those written by then), and waits for them to go."""
        def kill():
            for path in pgid_files:
                try:
                    pgid = self.read_int(path)
                except (OSError, ValueError):
                    continue
                kill_group(pgid)
                wait_group_gone(pgid)
        self.addCleanup(kill)

    # --- git ---

    def git(self, *args, cwd=None, check=True, input=None, env=None):
        """Runs git; returns its stdout as text (raises with stderr on
        failure), or with check=False the CompletedProcess."""
        p = subprocess.run(["git"] + list(args), cwd=cwd, env=env or self.env,
                           input=input.encode() if isinstance(input, str) else input,
                           stdin=None if input is not None else subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=GIT_TIMEOUT)
        if check and p.returncode != 0:
            raise AssertionError("git %s (in %s) failed with %d:\n%s%s" % (
                " ".join(args), cwd, p.returncode, p.stdout.decode("utf-8", "replace"),
                p.stderr.decode("utf-8", "replace")))
        return p.stdout.decode("utf-8", "surrogateescape") if check else p

    def rev(self, repo, what):
        return self.git("rev-parse", "--verify", "-q", what, cwd=repo).strip()

    def init(self, path, bare=False, branch="main"):
        os.makedirs(path, exist_ok=True)
        self.git("init", "-q", "-b", branch, *(["--bare"] if bare else []), path)
        return path

    def commit(self, repo, files=None, msg=None, allow_empty=False):
        """Writes files ({path: text|bytes|None to delete}), stages all, commits."""
        for rel, content in (files or {}).items():
            p = os.path.join(repo, rel)
            if content is None:
                if os.path.lexists(p):
                    os.unlink(p)
            else:
                self.write(p, content)
        self.git("add", "-A", cwd=repo)
        self.git("commit", "-q", "--no-verify", "-m", msg or self.unique("commit"),
                 *(["--allow-empty"] if allow_empty or not files else []), cwd=repo)
        return self.rev(repo, "HEAD")

    def new_repo(self, path, files=None):
        self.init(path)
        self.commit(path, files or {"README": "hello\n", "src/a.c": "int a;\n"}, "initial")
        return path

    def heads(self, repo, prefix="refs/heads/"):
        """{short name: commit} of the refs under prefix."""
        out = self.git("for-each-ref", "--format=%(refname) %(objectname)", prefix, cwd=repo)
        res = {}
        for line in out.splitlines():
            ref, oid = line.split(" ")
            res[ref[len(prefix):]] = oid
        return res

    def origin_heads(self, repo):
        """{branch: commit} of repo's remote-tracking refs of origin
        (without origin/HEAD)."""
        got = self.heads(repo, "refs/remotes/origin/")
        got.pop("HEAD", None)
        return got

    def arrival_problem(self, local, bare):
        """Why local's remote-tracking refs are not the branches of bare,
        where it fetches from; None when they are."""
        server, got = self.heads(bare), self.origin_heads(local)
        if got == server:
            return None
        return "%s: remote-tracking refs %s, server heads %s" % (local, got, server)

    def fast_import(self, repo, ref, blobs, parent=None, message="big"):
        """A commit on ref holding blobs ({name: bytes}), written with
        fast-import and compression off, so big random blobs are cheap to make."""
        stream = bytearray()
        stream += b"commit %s\ncommitter T <t@example.invalid> 1700000000 +0000\n" % ref.encode()
        stream += b"data %d\n%s\n" % (len(message), message.encode())
        if parent:
            stream += b"from %s\n" % parent.encode()
        for name, data in blobs.items():
            stream += b"M 100644 inline %s\ndata %d\n" % (name.encode(), len(data)) + data + b"\n"
        stream += b"\n"
        p = subprocess.run(["git", "-c", "core.compression=0", "-c", "pack.compression=0",
                            "fast-import", "--quiet"], cwd=repo, env=self.env, input=bytes(stream),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=GIT_TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr)
        return self.rev(repo, ref)

    # --- repopool ---

    def repopool(self, args, cwd=None, timeout=RUN_TIMEOUT, env=None, json_events=True,
                 stdin=None, input=None, stdout=subprocess.PIPE, prefix=(), preexec_fn=None,
                 new_session=False):
        """Runs repopool (under prefix, e.g. valgrind) to its end and
        returns its Result. json_events: adds --json when args lack it and
        parses the events. stdin: a descriptor or file (else /dev/null);
        input: bytes written to it instead. stdout: where its output goes
        instead of the Result. new_session: in a session of its own, so no
        terminal is there for it to open."""
        args = list(args)
        if json_events and "--json" not in args:
            args = ["--json"] + args
        p = subprocess.Popen(list(prefix) + [REPOPOOL] + args, cwd=cwd, env=env or self.env,
                             stdin=subprocess.PIPE if input is not None else
                             stdin if stdin is not None else subprocess.DEVNULL,
                             stdout=stdout, stderr=subprocess.PIPE, preexec_fn=preexec_fn,
                             start_new_session=new_session)
        try:
            out, err = p.communicate(input=input, timeout=timeout)
        except subprocess.TimeoutExpired:
            if new_session:
                os.killpg(p.pid, signal.SIGKILL)
            else:
                p.kill()
            out, err = p.communicate()
            self.fail("repopool %s did not end within %ss\n%s" % (
                args[:20], timeout, err.decode("utf-8", "replace")[-3000:]))
        check_no_sanitizer_report(self, err)
        out = out or b""
        events = parse_events(out) if json_events else []
        return Result(args, p.returncode, out, err, events)

    def assert_exit(self, res, code):
        self.assertEqual(res.returncode, code, res.describe())

    def single_end(self, res, repo):
        ends = res.end_by_repo()
        self.assertIn(repo, ends, res.describe())
        return ends[repo]

    def check_events(self, res, total=None):
        """What every JSON run must satisfy (EventChecker.check_basic);
        returns the summary."""
        return EventChecker(self, res.events, total=total, describe=res.describe).check_basic()


class DaemonTestCase(TestCase):
    """Tests with a real git daemon serving self.base: start_daemon(), or
    in setUp when daemon_at_setup."""

    daemon_at_setup = False

    def setUp(self):
        super().setUp()
        self.base = self.path("served")
        self.daemon = None
        if self.daemon_at_setup:
            self.start_daemon()

    def start_daemon(self, extra=()):
        self.daemon = GitDaemon(self, self.base, extra)
        self.addCleanup(self.daemon.stop)
        self.daemon.start()
        return self.daemon

    def served_repo(self, name, files=None):
        """A bare repository on the daemon, and a working clone to push from."""
        bare = self.init(os.path.join(self.base, name), bare=True)
        work = self.new_repo(self.path("pushers", name), files)
        self.git("remote", "add", "origin", bare, cwd=work)
        self.git("push", "-q", "origin", "main", cwd=work)
        return bare, work

    def push_commit(self, work, branch="main", files=None):
        """A new commit on branch of the served repository work pushes to."""
        self.git("checkout", "-q", "-B", branch, cwd=work)
        head = self.commit(work, files or {self.unique("f") + ".txt": self.unique("content")})
        self.git("push", "-q", "origin", branch, cwd=work)
        self.git("checkout", "-q", "main", cwd=work)
        return head

    def clone_via(self, url, dest):
        self.git("clone", "-q", url, dest)
        return dest

    def tracking(self, local, branch="main"):
        """Where local's remote-tracking branch of origin points."""
        return self.rev(local, "refs/remotes/origin/" + branch)

    def add_relay(self, relay):
        """relay, stopped at cleanup."""
        self.addCleanup(relay.stop)
        return relay

    def run_over(self, args, repos, timeout=120):
        """One headless run of repopool with args over repos, which must end
        one task each; returns the Result and {repo: end event}. The timeout
        only guards against a hang: a healthy run takes seconds."""
        res = self.repopool(["--no-tui"] + list(args) + list(repos), timeout=timeout)
        ends = res.end_by_repo()
        self.assertEqual(sorted(ends), sorted(repos), res.describe())
        self.assertEqual(len(res.ends()), len(repos), "one end event per task\n" + res.describe())
        return res, ends

    def assert_all_ok(self, res, ends):
        bad = {r: (e["status"], e["class"], e.get("summary")) for r, e in ends.items()
               if (e["status"], e["class"]) != ("ok", "none")}
        self.assertEqual(bad, {}, res.describe())
        self.assert_exit(res, 0)
