"""Shared helpers for the git operation tests: sandboxed git, a real
`git daemon` on a free port, a throttling TCP proxy, and runners for the
repopool binary.

Everything lives in temporary directories the tests create; HOME points into
them and GIT_CONFIG_NOSYSTEM=1 is set, so neither the user's nor the
system's git configuration can change what git or libgit2 do. Timeouts in
here only keep a broken build from hanging the suite; no assertion depends
on how fast anything is.
"""

import hashlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time
import unittest

REPOPOOL = os.environ.get("REPOPOOL", "repopool")
if os.sep in REPOPOOL:
    REPOPOOL = os.path.abspath(REPOPOOL)

# Generous limits that only guard against hanging.
RUN_TIMEOUT = 300
GIT_TIMEOUT = 300
EVENT_TIMEOUT = 120

TRANSIENT = {"network", "refused", "timeout"}

# Variables that would point git at another repository or configuration.
_DROP_ENV = {"SUDO_UID", "SUDO_GID", "SUDO_USER", "XDG_CONFIG_HOME", "SSH_AUTH_SOCK",
             "SSH_ASKPASS", "EMAIL", "PAGER", "LESS"}


def sandbox_env(home):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GIT_") and k not in _DROP_ENV}
    env.update({
        "HOME": home,
        "XDG_CONFIG_HOME": os.path.join(home, ".config"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test Author",
        "GIT_AUTHOR_EMAIL": "author@example.invalid",
        "GIT_COMMITTER_NAME": "Test Committer",
        "GIT_COMMITTER_EMAIL": "committer@example.invalid",
        "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C",
        "TZ": "UTC",
    })
    if "REPOPOOL" in os.environ:
        env["REPOPOOL"] = os.environ["REPOPOOL"]
    return env


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


def free_port():
    """A port that was free a moment ago (the daemon start retries on a clash)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ClosedPort:
    """A TCP port bound but never listening: connecting to it is refused,
    and while this object lives no one else can take the port."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()


def parse_events(stdout):
    events = []
    text = stdout.decode("utf-8")
    if text and not text.endswith("\n"):
        raise AssertionError("JSON output does not end with a newline: %r" % text[-200:])
    for line in text.split("\n")[:-1]:
        obj = json.loads(line)
        if not isinstance(obj, dict):
            raise AssertionError("not a JSON object: %r" % line)
        events.append(obj)
    return events


class Result:
    def __init__(self, args, proc, stdout, stderr, events):
        self.args = args
        self.returncode = proc.returncode
        self.stdout = stdout
        self.stderr = stderr
        self.events = events

    def ends(self):
        return [e for e in self.events if e["event"] == "end"]

    def end_by_repo(self):
        """The last end event of each repository."""
        out = {}
        for e in self.ends():
            out[e["repo"]] = e
        return out

    def starts(self):
        return [e for e in self.events if e["event"] == "start"]

    def retries(self):
        return [e for e in self.events if e["event"] == "retry"]

    def summary(self):
        s = [e for e in self.events if e["event"] == "summary"]
        return s[-1] if s else None

    def describe(self):
        return "repopool %s\nexit %s\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(repr(a) for a in self.args), self.returncode,
            self.stdout.decode("utf-8", "replace")[-6000:],
            self.stderr.decode("utf-8", "replace")[-3000:])


def procs_with_cwd_under(root):
    """Pids of live processes whose working directory is inside root."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            cwd = os.readlink("/proc/%s/cwd" % name)
            with open("/proc/%s/stat" % name, "rb") as f:
                st = f.read()
        except OSError:
            continue
        state = st[st.rfind(b")") + 2:].split()[0]
        if state in (b"Z", b"X"):
            continue
        if cwd == root or cwd.startswith(root + "/"):
            found.append(int(name))
    return found


class GitTestCase(unittest.TestCase):
    """A test with its own temporary directory, HOME and git configuration."""

    def setUp(self):
        self.tmp = os.path.realpath(tempfile.mkdtemp(prefix="repopool-git-test-"))
        self.addCleanup(self._remove_tmp)
        self.home = os.path.join(self.tmp, "home")
        os.mkdir(self.home)
        with open(os.path.join(self.home, ".gitconfig"), "w") as f:
            f.write(GLOBAL_GITCONFIG)
        self.env = sandbox_env(self.home)
        self._counter = 0

    def _remove_tmp(self):
        # Nothing the test started may still work in the directory.
        deadline = time.monotonic() + 30
        while procs_with_cwd_under(self.tmp) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = procs_with_cwd_under(self.tmp)
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)
        if left:
            raise AssertionError("processes left behind in %s: %s" % (self.tmp, left))

    # --- paths and files ---

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

    # --- git ---

    def git(self, *args, cwd=None, check=True, input=None, env=None):
        """Runs git; returns its stdout as text (raises with stderr on failure)."""
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

    # --- repopool ---

    def repopool(self, args, cwd=None, timeout=RUN_TIMEOUT, env=None, json_events=True):
        args = list(args)
        if json_events and "--json" not in args:
            args = ["--json"] + args
        p = subprocess.Popen([REPOPOOL] + args, cwd=cwd, env=env or self.env,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            raise AssertionError("repopool %s did not end within %ss\n%s" % (
                args, timeout, err.decode("utf-8", "replace")))
        events = parse_events(out) if json_events else []
        return Result(args, p, out, err, events)

    def assert_exit(self, res, code):
        self.assertEqual(res.returncode, code, res.describe())

    def single_end(self, res, repo):
        ends = res.end_by_repo()
        self.assertIn(repo, ends, res.describe())
        return ends[repo]


class GitDaemon:
    """A real `git daemon` on 127.0.0.1 serving base, in its own process group.

    stop() kills the whole group (the daemon forks a child per connection,
    and the child runs upload-pack), so nothing outlives the test.
    """

    def __init__(self, test, base, extra_args=()):
        self.test = test
        self.base = base
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.log_path = os.path.join(test.tmp, test.unique("daemon") + ".log")
        os.makedirs(base, exist_ok=True)
        probe = os.path.join(base, "probe.git")
        if not os.path.exists(probe):
            test.git("init", "-q", "--bare", probe)

    def url(self, name):
        return "git://127.0.0.1:%d/%s" % (self.port, name)

    def start(self):
        for _ in range(20):
            port = free_port()
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(
                ["git", "daemon", "--reuseaddr", "--base-path=" + self.base, "--export-all",
                 "--informative-errors", "--listen=127.0.0.1", "--port=%d" % port,
                 "--enable=receive-pack"] + self.extra_args + [self.base],
                env=self.test.env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True)
            log.close()
            self.port = port
            if self._wait_ready():
                return self
            self.stop()
        raise AssertionError("git daemon would not start; log:\n" + self.log())

    def _wait_ready(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False  # the port was taken: try another
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5):
                    pass
            except OSError:
                time.sleep(0.05)
                continue
            # Something listens; make sure it is this daemon serving base.
            p = self.test.git("ls-remote", self.url("probe.git"), check=False)
            if p.returncode == 0 and self.proc.poll() is None:
                return True
            time.sleep(0.2)
        return False

    def stop(self):
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)
        self.proc = None

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-4000:]
        except OSError:
            return ""


class ThrottlingProxy:
    """A TCP proxy on 127.0.0.1 in front of target_port.

    rate: bytes per second forwarded from the server to the client (None:
    unlimited). silent=True: accept and read, but never connect onwards or
    answer, like a server that hangs. served counts the bytes sent to clients.
    """

    def __init__(self, target_port, rate=None, silent=False, chunk=8192):
        self.target_port = target_port
        self.rate = rate
        self.silent = silent
        self.chunk = chunk
        self.served = 0
        self.connections = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.socks = []
        self.threads = []
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self._spawn(self._accept_loop)

    def _spawn(self, fn, *args):
        t = threading.Thread(target=fn, args=args, daemon=True)
        with self.lock:
            self.threads.append(t)
        t.start()

    def _track(self, s):
        with self.lock:
            self.socks.append(s)

    def _accept_loop(self):
        while not self.stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self._track(client)
            with self.lock:
                self.connections += 1
            if self.silent:
                self._spawn(self._drain, client)
                continue
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            self._track(server)
            self._spawn(self._pump, client, server, None)
            self._spawn(self._pump, server, client, self.rate)

    def _drain(self, s):
        try:
            while not self.stopping.is_set() and s.recv(65536):
                pass
        except OSError:
            pass

    def _pump(self, src, dst, rate):
        start = time.monotonic()
        sent = 0
        try:
            while not self.stopping.is_set():
                data = src.recv(self.chunk if rate else 65536)
                if not data:
                    break
                dst.sendall(data)
                sent += len(data)
                if rate:
                    with self.lock:
                        self.served += len(data)
                    ahead = sent / rate - (time.monotonic() - start)
                    if ahead > 0:
                        self.stopping.wait(ahead)
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        except OSError:
            pass

    def stop(self):
        self.stopping.set()
        try:
            self.listener.close()
        except OSError:
            pass
        with self.lock:
            socks = list(self.socks)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
        with self.lock:
            threads = list(self.threads)
        for t in threads:
            t.join(timeout=10)


def tree_snapshot(root, skip_top=(".git",)):
    """{relative path: (kind, mode, content digest)} of everything under root."""
    snap = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d not in skip_top]
            filenames = [f for f in filenames if f not in skip_top]
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                snap[rel] = ("link", 0, os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                snap[rel] = ("dir", stat.S_IMODE(st.st_mode), None)
            else:
                with open(p, "rb") as f:
                    snap[rel] = ("file", stat.S_IMODE(st.st_mode), hashlib.sha256(f.read()).hexdigest())
        # os.walk does not follow symlinked directories; they are recorded as links.
    return snap


class _CountingRelay:
    """A TCP relay on 127.0.0.1 in front of target_port, base of the relays
    below: each accepted connection gets its own threads, and the relay
    counts connections open at once (current, peak) and in all (total). A
    connection counts from its accept until both directions are closed.
    open_at_accept[i] is how many were open (the new one included) right
    after the i-th accept.

    Subclasses may override _before_connect(client) (runs after the accept,
    before connecting onwards) and _server_to_client(server, client).
    """

    def __init__(self, target_port):
        self.target_port = target_port
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.current = 0
        self.peak = 0
        self.total = 0
        self.open_at_accept = []
        self.socks = []
        self.threads = []
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self._spawn(self._accept_loop)

    def url(self, name):
        return "git://127.0.0.1:%d/%s" % (self.port, name)

    def reset_counts(self):
        """Starts peak and total afresh (peak from the connections open now)."""
        with self.lock:
            self.peak = self.current
            self.total = 0
            self.open_at_accept = []

    def counts(self):
        with self.lock:
            return {"current": self.current, "peak": self.peak, "total": self.total,
                    "open_at_accept": list(self.open_at_accept)}

    def _spawn(self, fn, *args):
        t = threading.Thread(target=fn, args=args, daemon=True)
        with self.lock:
            self.threads.append(t)
        t.start()

    def _track(self, s):
        with self.lock:
            self.socks.append(s)

    def _accept_loop(self):
        while not self.stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            client.settimeout(None)
            self._track(client)
            with self.lock:
                self.current += 1
                self.total += 1
                self.peak = max(self.peak, self.current)
                self.open_at_accept.append(self.current)
            self._spawn(self._serve, client)

    def _closed(self):
        with self.lock:
            self.current -= 1

    def _before_connect(self, client):
        pass

    def _serve(self, client):
        self._before_connect(client)
        server = None
        if not self.stopping.is_set():
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
                server.settimeout(None)
                self._track(server)
            except OSError:
                server = None
        if server is None:
            try:
                client.close()
            except OSError:
                pass
            self._closed()
            return
        upstream = threading.Thread(target=self._pump, args=(client, server), daemon=True)
        with self.lock:
            self.threads.append(upstream)
        upstream.start()
        try:
            self._server_to_client(server, client)
        except OSError:
            pass
        self._shut_wr(client)
        upstream.join()
        for s in (client, server):
            try:
                s.close()
            except OSError:
                pass
        self._closed()

    @staticmethod
    def _shut_wr(s):
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _pump(self, src, dst):
        try:
            while not self.stopping.is_set():
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        self._shut_wr(dst)

    def _server_to_client(self, server, client):
        while not self.stopping.is_set():
            data = server.recv(65536)
            if not data:
                break
            client.sendall(data)

    def stop(self):
        self.stopping.set()
        try:
            self.listener.close()
        except OSError:
            pass
        with self.lock:
            socks = list(self.socks)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
        with self.lock:
            threads = list(self.threads)
        for t in threads:
            t.join(timeout=10)


class DelayingRelay(_CountingRelay):
    """A relay that holds every new connection for delay seconds (read at
    each accept, so a test may change it) before connecting onwards: a
    server that answers each connection late. peak says how many
    connections were open at once."""

    def __init__(self, target_port, delay=0.0):
        self.delay = delay
        super().__init__(target_port)

    def _before_connect(self, client):
        with self.lock:
            delay = self.delay
        if delay > 0:
            self.stopping.wait(delay)


def pkt_line(payload):
    """payload as one git pkt-line (4 hex digits of length, then the data)."""
    return b"%04x" % (len(payload) + 4) + payload


# What upload-pack sends while pack-objects is quiet: an empty band-1 packet.
KEEPALIVE_PKT = b"0005\x01"
PROGRESS_PKT = pkt_line(b"\x02Counting objects: 1\r")


class PackHoldingRelay(_CountingRelay):
    """A relay that reads the server's pkt-lines (git protocol v0/v1) and,
    at the first band-1 packet of a connection (the pack data, which comes
    after the NAK/ACK lines that answer the client's "done"), holds it and
    everything after it back for hold seconds. Meanwhile it sends inject (a
    whole pkt-line, or None for silence) every interval seconds, then
    forwards the held packet and the rest unchanged.

    holds counts holds begun, holds_done those that ran their full time,
    injected the packets sent in them.
    """

    def __init__(self, target_port, hold=8.0, inject=None, interval=1.0):
        self.hold = hold
        self.inject = inject
        self.interval = interval
        self.holds = 0
        self.holds_done = 0
        self.injected = 0
        super().__init__(target_port)

    def _hold(self, client):
        with self.lock:
            self.holds += 1
        if self.inject is None:
            if self.stopping.wait(self.hold):
                return
        else:
            for _ in range(int(round(self.hold / self.interval))):
                if self.stopping.wait(self.interval):
                    return
                client.sendall(self.inject)
                with self.lock:
                    self.injected += 1
        with self.lock:
            self.holds_done += 1

    def _server_to_client(self, server, client):
        buf = b""
        passthrough = False
        while not passthrough and not self.stopping.is_set():
            data = server.recv(65536)
            if not data:
                client.sendall(buf)
                return
            buf += data
            # Forward whole packets until a band-1 packet begins.
            pos = 0
            while len(buf) - pos >= 4:
                head = buf[pos:pos + 4]
                if not all(c in b"0123456789abcdefABCDEF" for c in head):
                    passthrough = True  # not pkt-lines after all
                    break
                n = int(head, 16)
                if n > 4:
                    if len(buf) - pos < 5:
                        break
                    if buf[pos + 4] == 1:
                        client.sendall(buf[:pos])
                        buf = buf[pos:]
                        pos = 0
                        self._hold(client)
                        passthrough = True
                        break
                size = max(n, 4)
                if len(buf) - pos < size:
                    break
                pos += size
            client.sendall(buf[:pos])
            buf = buf[pos:]
        client.sendall(buf)
        # Held (or not pkt-lines): the rest goes through unchanged.
        super()._server_to_client(server, client)
