"""Ports on 127.0.0.1 and a real `git daemon` on one of them."""

import os
import random
import signal
import socket
import subprocess
import time

from .procs import kill_leader, wait_group_gone


def free_port():
    """A port that was free a moment ago (a server start retries on a clash)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lasting_free_port():
    """A free port below Linux's ephemeral range (32768 up): for a server
    that must listen on the same port again after a restart. A port the
    kernel hands out to other tests' connections and binds to 0 is never
    one of these, so it stays free while the server is down."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20000, 32000)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return free_port()


class ClosedPort:
    """A TCP port bound but never listening: connecting to it is refused,
    and while this object lives no one else can take the port."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()


class GitDaemon:
    """A real `git daemon` on 127.0.0.1 serving base, in its own process
    group: it forks a child per connection, and the child runs upload-pack,
    so kill() and stop() end the whole server at once, and start() may
    bring it back on the same port."""

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

    def url(self, name, port=None):
        return "git://127.0.0.1:%d/%s" % (port or self.port, name)

    def start(self, port=None, check=True):
        """Starts on port, or on a free one (trying others on a clash).
        Returns whether it serves; with check, fails the test if not."""
        for _ in range(1 if port else 20):
            self.port = port or free_port()
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    ["git", "daemon", "--reuseaddr", "--base-path=" + self.base, "--export-all",
                     "--informative-errors", "--listen=127.0.0.1", "--port=%d" % self.port,
                     "--enable=receive-pack"] + self.extra_args + [self.base],
                    env=self.test.env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                    start_new_session=True)
            if self._wait_ready():
                return True
            self.kill()
        if check:
            raise AssertionError("git daemon would not start; log:\n" + self.log())
        return False

    def _wait_ready(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False  # the port was taken
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

    def kill(self):
        """SIGKILL to the daemon's whole group: the daemon and every
        upload-pack it runs die at once, mid-transfer. Returns the members
        of the group still alive after a while (none, normally)."""
        if self.proc is None:
            return []
        kill_leader(self.proc)
        left = wait_group_gone(self.proc.pid)
        self.proc = None
        return left

    def stop(self):
        """SIGTERM to the group, a moment to go, then kill()."""
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
        self.kill()

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-4000:]
        except OSError:
            return ""
