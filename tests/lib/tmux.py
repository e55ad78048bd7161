"""A private tmux server (its socket in the test's directory) with one pane.

pipe-pane copies every byte written to the pane's terminal into a file, so
a test can look at the raw stream as well as at the screen. start() runs
repopool in the pane through a script; lib.dashboard drives an interactive
shell in it instead.
"""

import os
import shlex
import subprocess
import time

from .config import EVENT_TIMEOUT, REPOPOOL, RUN_TIMEOUT
from .events import check_no_sanitizer_report
from .procs import is_alive

SESSION = "main"


class Tmux:
    """The server is killed at the test's cleanup. env: the environment of
    the server and so of the pane (by default the test's, with a POSIX
    shell, TERM=screen and a UTF-8 locale)."""

    def __init__(self, test, env=None, width=100, height=30):
        self.test = test
        self.width, self.height = width, height
        self.sock = test.path(test.unique("tmux") + ".sock")
        if env is None:
            env = dict(test.env, SHELL="/bin/sh", TERM="screen", LANG="C.UTF-8")
            env.pop("LC_ALL", None)
        self.env = env
        self.raw_path = None
        self.run_dir = None
        test.addCleanup(self.kill)

    def cmd(self, *args, check=True, timeout=EVENT_TIMEOUT):
        p = subprocess.run(["tmux", "-S", self.sock, "-f", "/dev/null", "-u"] + list(args), env=self.env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        if check and p.returncode != 0:
            self.test.fail("tmux %s failed: %s" % (" ".join(args), p.stderr.decode("utf-8", "replace")))
        return p.stdout.decode("utf-8", "replace")

    def kill(self):
        if os.path.exists(self.sock):
            self.cmd("kill-server", check=False)

    def new_session(self, command, cwd, raw_path):
        """The server, its session and the pane running command (a shell
        command line) in cwd; every byte written to the pane's terminal
        from then on goes to raw_path too."""
        self.cmd("new-session", "-d", "-s", SESSION, "-x", str(self.width), "-y", str(self.height),
                 "-c", cwd, command)
        # Keep the pane's size ours, whatever clients come and go.
        self.cmd("set-option", "-g", "window-size", "manual")
        self.raw_path = raw_path
        self.cmd("pipe-pane", "-t", SESSION, "-o", "cat >> " + shlex.quote(raw_path))

    # --- looking ---

    def capture(self, join=False, escapes=False):
        """The pane's text (with join, wrapped lines joined; with escapes,
        attributes as SGR sequences)."""
        args = ["capture-pane", "-p", "-t", SESSION]
        if join:
            args.append("-J")
        if escapes:
            args.append("-e")
        text = self.cmd(*args)
        return text[:-1] if text.endswith("\n") else text

    def screen(self):
        """The pane's text, wrapped lines joined."""
        return self.capture(join=True)

    def frame(self, escapes=False):
        """The pane as a whole frame: a redraw can reach tmux in more than
        one write, so capture until two captures a moment apart agree (the
        clocks tick once a second, far slower than this)."""
        text = self.capture(escapes=escapes)
        for _ in range(20):
            time.sleep(0.02)
            again = self.capture(escapes=escapes)
            if again == text:
                break
            text = again
        return text

    def display(self, fmt):
        return self.cmd("display-message", "-p", "-t", SESSION, fmt).strip()

    def raw(self):
        """Every byte written to the pane's terminal so far."""
        try:
            with open(self.raw_path, "rb") as f:
                return f.read()
        except (OSError, TypeError):
            return b""

    # --- typing ---

    def keys(self, *names):
        """Named keys: Enter, Escape, C-c, C-z, ..."""
        self.cmd("send-keys", "-t", SESSION, *names)

    def type(self, text):
        """Literal text, one key per character."""
        self.cmd("send-keys", "-t", SESSION, "-l", "--", text)

    def resize(self, w, h):
        self.cmd("resize-window", "-t", SESSION, "-x", str(w), "-y", str(h))

    # --- repopool run by a script in the pane ---

    def start(self, args, prefix=()):
        """Starts a session running repopool (under prefix) with args
        through a script; returns repopool's pid. The script writes the pid
        (exec keeps it) before starting it, then its exit status and the
        terminal modes before and after, and keeps the pane open so the
        test can look at it."""
        t = self.test
        self.run_dir = t.path(t.unique("run"))
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
        t.write(os.path.join(self.run_dir, "run.sh"), script)
        # The pane starts a shell that waits for "go", so pipe-pane is in
        # place before anything is written to the terminal.
        fifo = os.path.join(self.run_dir, "go.fifo")
        os.mkfifo(fifo)
        self.new_session("read go < go.fifo; exec sh run.sh", self.run_dir,
                         os.path.join(self.run_dir, "raw"))

        def open_fifo():
            try:
                return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                return None  # ENXIO: the pane's shell is not reading yet
        fd = t.wait_until(open_fifo, "the pane's shell")
        os.write(fd, b"go\n")
        os.close(fd)
        pid_file = os.path.join(self.run_dir, "repopool.pid")
        t.wait_files([pid_file])
        return t.read_int(pid_file)

    def trouble(self, pid):
        """Why a run in the pane cannot go on as a test hopes (repopool
        ended, or a task failed), or None."""
        from .dashboard import header
        if not is_alive(pid):
            return "repopool ended:\n" + self.screen()
        h = header(self.screen())
        if h and h["failed"] > 0:
            return "a task failed:\n" + self.screen()
        return None

    def wait_exit(self, timeout=RUN_TIMEOUT):
        """Waits for the exit status of the run start() began; checks the
        terminal was given back as it was found. Returns (status, stderr)."""
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
