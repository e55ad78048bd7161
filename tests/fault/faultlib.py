"""Shared helpers for the fault and abuse tests: a sandbox per test, process
bookkeeping, git in a private HOME, a killable throttling relay, and a
runner for the repopool binary.

Every process a test starts (repopool, its tasks, git, the git daemon, the
relay, tmux) carries a marker in its environment; cleanup kills whatever
still carries it and fails the test if anything was left, so the suite may
run next to the other suites. Timeouts here only keep a broken build from
hanging the suite; no assertion depends on how fast anything is.

Run as a program (`python3 faultlib.py relay PORT TARGET RATE THRESHOLD`), this file
is the relay: a TCP proxy in its own process, so a test can kill it like a
server that dies.
"""

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

REPOPOOL = os.path.abspath(os.environ.get("REPOPOOL", "repopool"))
HERE = os.path.dirname(os.path.abspath(__file__))

# Generous limits that only guard against hanging.
RUN_TIMEOUT = 300
GIT_TIMEOUT = 300
EVENT_TIMEOUT = 120
GONE_TIMEOUT = 30

STATUSES = {"ok", "failed", "skipped", "cancelled"}
TRANSIENT = {"network", "refused", "timeout"}

# Variables that would point git at another repository or configuration.
_DROP_ENV = {"SUDO_UID", "SUDO_GID", "SUDO_USER", "XDG_CONFIG_HOME", "SSH_AUTH_SOCK",
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
"""


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
        _remove_tree(tmp)
    os._exit(128 + signum)


def _remove_tree(top):
    for root, dirs, _files in os.walk(top):
        for d in dirs:
            p = os.path.join(root, d)
            try:
                if not os.path.islink(p):
                    os.chmod(p, 0o755)
            except OSError:
                pass
    shutil.rmtree(top, ignore_errors=True)


if __name__ != "__main__":
    signal.signal(signal.SIGTERM, _on_sigterm)


def free_port():
    """A port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_events(stdout):
    """JSON Lines to a list of dicts; the output must be valid UTF-8 and
    end with a newline."""
    text = stdout.decode("utf-8")
    if text and not text.endswith("\n"):
        raise AssertionError("JSON output does not end with a newline: %r" % text[-200:])
    events = []
    for line in text.split("\n")[:-1]:
        obj = json.loads(line)
        if not isinstance(obj, dict):
            raise AssertionError("not a JSON object: %r" % line)
        events.append(obj)
    return events


def check_no_sanitizer_report(test, stderr):
    """Under -Db_sanitize a report on stderr fails whatever the status was."""
    for marker in (b"runtime error:", b"Sanitizer", b"internal error"):
        test.assertNotIn(marker, stderr, stderr.decode("utf-8", "replace")[-3000:])


# --- processes ---

def _stat_fields(pid):
    """Fields after the command name of /proc/PID/stat (state first), or None."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            st = f.read()
    except OSError:
        return None
    return st[st.rfind(b")") + 2:].split()


def is_alive(pid):
    """True while pid exists and is not a zombie."""
    f = _stat_fields(pid)
    return f is not None and f[0] not in (b"Z", b"X")


def pgid_of(pid):
    f = _stat_fields(pid)
    return int(f[2]) if f else None


def group_members(pgid):
    """Live (not zombie) pids of process group pgid."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        f = _stat_fields(int(name))
        if f and len(f) > 2 and int(f[2]) == pgid and f[0] not in (b"Z", b"X"):
            found.append(int(name))
    return found


def wait_group_gone(pgid, limit=GONE_TIMEOUT):
    """Polls until group pgid has no live member; returns the members left
    when the limit (an anti-hang guard) ran out, else []."""
    deadline = time.monotonic() + limit
    while True:
        left = group_members(pgid)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def wait_groups_gone(pgids, limit=GONE_TIMEOUT):
    """wait_group_gone for several groups under one deadline; returns
    {pgid: members left} of the groups that outlived it."""
    deadline = time.monotonic() + limit
    while True:
        left = {g: m for g, m in ((g, group_members(g)) for g in pgids) if m}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def processes_with(marker):
    """(pid, comm) of every live process whose environment holds marker."""
    needle = marker.encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open("/proc/%s/environ" % name, "rb") as f:
                env = f.read()
        except OSError:
            continue
        if needle not in env.split(b"\0"):
            continue
        f = _stat_fields(int(name))
        if f is None or f[0] in (b"Z", b"X"):
            continue
        try:
            with open("/proc/%s/comm" % name, "rb") as fc:
                comm = fc.read().strip().decode("utf-8", "replace")
        except OSError:
            comm = "?"
        found.append((int(name), comm))
    return found


# --- results ---

class Result:
    def __init__(self, args, returncode, stdout, stderr, events):
        self.args = args
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.events = events

    def of(self, kind):
        return [e for e in self.events if e["event"] == kind]

    def ends(self):
        return self.of("end")

    def end_by_repo(self):
        return {e["repo"]: e for e in self.ends()}

    def summary(self):
        s = self.of("summary")
        return s[-1] if s else None

    def describe(self):
        return "repopool %s\nexit %s\nstdout (end):\n%s\nstderr (end):\n%s" % (
            " ".join(repr(a) for a in self.args[:40]), self.returncode,
            self.stdout.decode("utf-8", "replace")[-6000:],
            self.stderr.decode("utf-8", "replace")[-3000:])


class FaultTestCase(unittest.TestCase):
    """A test with its own temporary directory, HOME, git configuration and
    process marker."""

    def setUp(self):
        self.tmp = os.path.realpath(tempfile.mkdtemp(prefix="repopool-fault-"))
        self.home = os.path.join(self.tmp, "home")
        os.mkdir(self.home)
        with open(os.path.join(self.home, ".gitconfig"), "w") as f:
            f.write(GLOBAL_GITCONFIG)
        self.marker = "REPOPOOL_FAULT_TAG=" + uuid.uuid4().hex
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("GIT_") and k not in _DROP_ENV}
        env.update({
            "HOME": self.home,
            "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Test Author",
            "GIT_AUTHOR_EMAIL": "author@example.invalid",
            "GIT_COMMITTER_NAME": "Test Committer",
            "GIT_COMMITTER_EMAIL": "committer@example.invalid",
            "GIT_TERMINAL_PROMPT": "0",
            "LC_ALL": "C.UTF-8",
            "TZ": "UTC",
        })
        k, v = self.marker.split("=", 1)
        env[k] = v
        self.env = env
        self._counter = 0
        _ACTIVE.append((self.marker, self.tmp))
        self.addCleanup(self._cleanup_tmp)

    def _cleanup_tmp(self):
        # Whatever a test started and did not stop is a leak (or a failed
        # test's leftovers): give it a moment, kill it, then say so.
        deadline = time.monotonic() + GONE_TIMEOUT
        while processes_with(self.marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = processes_with(self.marker)
        for pid, _comm in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        _remove_tree(self.tmp)
        _ACTIVE.remove((self.marker, self.tmp))
        if left:
            raise AssertionError("processes left behind: %r" % (left,))

    # --- files ---

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def unique(self, prefix):
        self._counter += 1
        return "%s-%d" % (prefix, self._counter)

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
                self.fail("timed out waiting for %s" % what)
            time.sleep(poll)

    def wait_files(self, paths, timeout=EVENT_TIMEOUT, unless=None):
        self.wait_until(lambda: all(os.path.exists(p) and os.path.getsize(p) > 0 for p in paths),
                        "files %r" % (paths[:3],), timeout, unless=unless)

    def read_int(self, path):
        return int(self.read(path).decode().strip())

    # --- git ---

    def git(self, *args, cwd=None, check=True, input=None):
        p = subprocess.run(["git"] + list(args), cwd=cwd, env=self.env, input=input,
                           stdin=None if input is not None else subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=GIT_TIMEOUT)
        if check and p.returncode != 0:
            raise AssertionError("git %s (in %s) failed with %d:\n%s%s" % (
                " ".join(args), cwd, p.returncode, p.stdout.decode("utf-8", "replace"),
                p.stderr.decode("utf-8", "replace")))
        return p.stdout.decode("utf-8", "surrogateescape") if check else p

    def rev(self, repo, what):
        return self.git("rev-parse", "--verify", "-q", what, cwd=repo).strip()

    def init(self, path, bare=False):
        os.makedirs(path, exist_ok=True)
        self.git("init", "-q", "-b", "main", *(["--bare"] if bare else []), path)
        return path

    def commit(self, repo, files, msg=None):
        for rel, content in files.items():
            self.write(os.path.join(repo, rel), content)
        self.git("add", "-A", cwd=repo)
        self.git("commit", "-q", "--no-verify", "-m", msg or self.unique("commit"), cwd=repo)
        return self.rev(repo, "HEAD")

    def new_repo(self, path, files=None):
        self.init(path)
        self.commit(path, files or {"README": "hello\n"}, "initial")
        return path

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

    def heads(self, repo, prefix="refs/heads/"):
        out = self.git("for-each-ref", "--format=%(refname) %(objectname)", prefix, cwd=repo)
        res = {}
        for line in out.splitlines():
            ref, oid = line.split(" ")
            res[ref[len(prefix):]] = oid
        return res

    # --- repopool ---

    def repopool(self, args, cwd=None, timeout=RUN_TIMEOUT, json_events=True, stdin=None,
                 prefix=()):
        """Runs repopool (under prefix, e.g. valgrind) to its end."""
        args = list(args)
        p = subprocess.Popen(list(prefix) + [REPOPOOL] + args, cwd=cwd, env=self.env,
                             stdin=stdin if stdin is not None else subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            self.fail("repopool %s did not end within %ss\n%s" % (
                args[:20], timeout, err.decode("utf-8", "replace")[-3000:]))
        check_no_sanitizer_report(self, err)
        events = parse_events(out) if json_events else []
        return Result(args, p.returncode, out, err, events)

    def assert_exit(self, res, code):
        self.assertEqual(res.returncode, code, res.describe())

    def check_events(self, res, total=None):
        """What every JSON run must satisfy: the initial cap first, the
        summary last and once, one end per task, and a summary whose counts
        are those of the end events."""
        ev = res.events
        self.assertGreaterEqual(len(ev), 2, res.describe())
        self.assertEqual(ev[0]["event"], "cap", res.describe())
        self.assertEqual(ev[-1]["event"], "summary", res.describe())
        self.assertEqual(len(res.of("summary")), 1, res.describe())
        ends = res.ends()
        ids = [e["id"] for e in ends]
        self.assertEqual(len(ids), len(set(ids)), "a task ended twice")
        s = ev[-1]
        self.assertEqual(s["total"], len(ends), "summary total vs. end events")
        if total is not None:
            self.assertEqual(s["total"], total)
            self.assertEqual(sorted(ids), list(range(1, total + 1)))
        for status in STATUSES:
            self.assertEqual(s[status], sum(1 for e in ends if e["status"] == status),
                             "summary %s count" % status)
        self.assertEqual(s["total"], s["ok"] + s["failed"] + s["skipped"] + s["cancelled"])
        last = 0.0
        for e in ev:
            self.assertGreaterEqual(e["t"], last, "time goes backwards at %r" % e)
            last = e["t"]
        return s


# --- a terminal: a private tmux server ---

class Tmux:
    """A private tmux server (its socket in the test's directory) with one
    100x30 pane that runs repopool through a script. The script writes
    repopool's pid (exec keeps it) before starting it, then its exit status
    and the terminal modes before and after, and keeps the pane open so the
    test can look at it. pipe-pane copies every byte written to the
    terminal into a file."""

    def __init__(self, test, width=100, height=30):
        self.test = test
        self.width, self.height = width, height
        self.sock = test.path(test.unique("tmux") + ".sock")
        self.env = dict(test.env, SHELL="/bin/sh", TERM="screen", LANG="C.UTF-8")
        self.env.pop("LC_ALL", None)
        self.run_dir = None
        test.addCleanup(self.kill)

    def cmd(self, *args, check=True):
        p = subprocess.run(["tmux", "-S", self.sock, "-f", "/dev/null"] + list(args), env=self.env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=EVENT_TIMEOUT)
        if check and p.returncode != 0:
            self.test.fail("tmux %s: %s" % (" ".join(args), p.stderr.decode("utf-8", "replace")))
        return p.stdout.decode("utf-8", "replace")

    def kill(self):
        if os.path.exists(self.sock):
            self.cmd("kill-server", check=False)

    def screen(self):
        """The pane's text, wrapped lines joined."""
        text = self.cmd("capture-pane", "-p", "-J", "-t", "fault")
        return text[:-1] if text.endswith("\n") else text

    def display(self, fmt):
        return self.cmd("display-message", "-p", "-t", "fault", fmt).strip()

    def raw(self):
        """Every byte written to the pane's terminal so far."""
        try:
            with open(os.path.join(self.run_dir, "raw"), "rb") as f:
                return f.read()
        except OSError:
            return b""

    def start(self, args, prefix=()):
        """Starts a new session running repopool with args; returns its pid."""
        self.run_dir = self.test.path(self.test.unique("run"))
        os.makedirs(self.run_dir)
        argv = " ".join(shlex.quote(a) for a in list(prefix) + [REPOPOOL] + list(args))
        script = "\n".join([
            "stty -g > stty.before",
            "sh -c 'echo $$ > repopool.pid; exec \"$@\"' sh %s 2> stderr" % argv,
            "status=$?",
            "stty -g > stty.after",
            "echo $status > status.tmp && mv status.tmp status",
            "exec sleep 100000",
            ""])
        self.test.write(os.path.join(self.run_dir, "run.sh"), script)
        # The pane starts a shell that waits for "go", so pipe-pane is in
        # place before anything is written to the terminal.
        os.mkfifo(os.path.join(self.run_dir, "go.fifo"))
        self.cmd("new-session", "-d", "-s", "fault", "-x", str(self.width), "-y", str(self.height),
                 "-c", self.run_dir, "read go < go.fifo; exec sh run.sh")
        self.cmd("set-option", "-g", "window-size", "manual")
        self.cmd("pipe-pane", "-t", "fault", "-o",
                 "cat >> " + shlex.quote(os.path.join(self.run_dir, "raw")))
        fifo = os.path.join(self.run_dir, "go.fifo")

        def open_fifo():
            try:
                return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                return None  # ENXIO: the pane's shell is not reading yet
        fd = self.test.wait_until(open_fifo, "the pane's shell")
        os.write(fd, b"go\n")
        os.close(fd)
        pid_file = os.path.join(self.run_dir, "repopool.pid")
        self.test.wait_files([pid_file])
        return self.test.read_int(pid_file)

    def trouble(self, pid):
        """Why a run in the pane cannot go on as a test hopes (repopool
        ended, or a task failed), or None."""
        if not is_alive(pid):
            return "repopool ended:\n" + self.screen()
        m = re.match(r"running \d+  queued \d+  done \d+  failed (\d+)", self.screen())
        if m and int(m.group(1)) > 0:
            return "a task failed:\n" + self.screen()
        return None

    def wait_exit(self, timeout=RUN_TIMEOUT):
        """Waits for the exit status; checks the terminal was given back as
        it was found. Returns (status, stderr)."""
        t = self.test
        status_file = os.path.join(self.run_dir, "status")
        t.wait_until(lambda: os.path.exists(status_file), "repopool to exit", timeout)
        status = t.read_int(status_file)
        err = t.read(os.path.join(self.run_dir, "stderr"))
        check_no_sanitizer_report(t, err)
        t.assertEqual(t.read(os.path.join(self.run_dir, "stty.before")),
                      t.read(os.path.join(self.run_dir, "stty.after")),
                      "terminal modes differ after repopool exited")
        t.assertEqual(self.display("#{alternate_on}"), "0", "the pane is left on the alternate screen")
        t.assertEqual(self.display("#{cursor_flag}"), "1", "the cursor is left hidden")
        return status, err


# --- a git daemon that can die ---

class Daemon:
    """A real `git daemon` on 127.0.0.1 serving base, in its own process
    group (it forks a child per connection, which runs upload-pack), so a
    test can kill the whole server at once and start it again on the same
    port."""

    def __init__(self, test, base):
        self.test = test
        self.base = base
        self.proc = None
        self.port = None
        self.log_path = os.path.join(test.tmp, "daemon.log")
        probe = os.path.join(base, "probe.git")
        if not os.path.exists(probe):
            test.init(probe, bare=True)

    def url(self, name, port=None):
        return "git://127.0.0.1:%d/%s" % (port or self.port, name)

    def start(self, port=None):
        """Starts on port, or on a free one; returns whether it serves."""
        tries = 1 if port else 20
        for _ in range(tries):
            self.port = port or free_port()
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    ["git", "daemon", "--reuseaddr", "--base-path=" + self.base, "--export-all",
                     "--informative-errors", "--listen=127.0.0.1", "--port=%d" % self.port,
                     self.base],
                    env=self.test.env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                    start_new_session=True)
            if self._wait_ready():
                return True
            self.kill()
        return False

    def _wait_ready(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            p = self.test.git("ls-remote", self.url("probe.git"), check=False)
            if p.returncode == 0 and self.proc.poll() is None:
                return True
            time.sleep(0.05)
        return False

    def kill(self):
        """SIGKILL to the daemon's whole group: the daemon and every
        upload-pack it runs die at once, mid-transfer."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=GONE_TIMEOUT)
        left = wait_group_gone(self.proc.pid)
        self.proc = None
        return left


    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-4000:]
        except OSError:
            return ""


# --- the relay ---

class Relay:
    """A throttling TCP relay in its own process group, in front of a local
    port: rate bytes per second per connection, server to client. It prints
    "ready", then "conn N" per connection, "mid N" once connection N has
    passed threshold bytes to its client and "done N BYTES" at its end."""

    def __init__(self, test, port, target_port, rate, threshold=256 * 1024):
        self.test = test
        self.port = port
        self.target_port = target_port
        self.rate = rate
        self.threshold = threshold
        self.proc = None
        self.reader = None
        self.lines = []
        self.lock = threading.Lock()

    def start(self):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "faultlib.py"), "relay", str(self.port),
             str(self.target_port), str(self.rate), str(self.threshold)],
            env=self.test.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, start_new_session=True)
        first = self.proc.stdout.readline()
        if first.strip() != b"ready":
            self.kill()
            return False
        self.reader = threading.Thread(target=self._read, args=(self.proc,), daemon=True)
        self.reader.start()
        return True

    def _read(self, proc):
        for line in proc.stdout:
            with self.lock:
                self.lines.append(line.decode().split())

    def in_flight(self):
        """Connections past the threshold that have not ended (after kill():
        those the kill cut)."""
        with self.lock:
            mid = {l[1] for l in self.lines if l[0] == "mid"}
            done = {l[1] for l in self.lines if l[0] == "done"}
        return mid - done

    def kill(self):
        """SIGKILL to the relay's group: every connection drops at once.
        Then every line it wrote has been read."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=GONE_TIMEOUT)
        if self.reader:
            self.reader.join(timeout=GONE_TIMEOUT)
            self.reader = None
        self.proc.stdout.close()
        self.proc = None



def _relay_main(port, target_port, rate, threshold):
    out_lock = threading.Lock()

    def say(text):
        with out_lock:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(("127.0.0.1", port))
    except OSError as e:
        say("error %s" % e)
        return 1
    listener.listen(128)
    say("ready")
    chunk = 16384

    def pump_up(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def pump_down(n, src, dst):
        start = time.monotonic()
        sent = 0
        told = False
        try:
            while True:
                data = src.recv(chunk)
                if not data:
                    break
                dst.sendall(data)
                sent += len(data)
                if not told and sent >= threshold:
                    told = True
                    say("mid %d" % n)
                ahead = sent / rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        say("done %d %d" % (n, sent))

    n = 0
    while True:
        client, _ = listener.accept()
        n += 1
        say("conn %d" % n)
        try:
            server = socket.create_connection(("127.0.0.1", target_port), timeout=10)
            server.settimeout(None)
        except OSError:
            client.close()
            say("done %d 0" % n)
            continue
        threading.Thread(target=pump_up, args=(client, server), daemon=True).start()
        threading.Thread(target=pump_down, args=(n, server, client), daemon=True).start()


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "relay":
        sys.exit(_relay_main(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]),
                             int(sys.argv[5])))
    sys.exit("usage: faultlib.py relay PORT TARGET_PORT RATE THRESHOLD")
