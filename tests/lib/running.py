"""A repopool process that runs while the test watches: threads read its
stdout and stderr as they come."""

import json
import queue
import subprocess
import threading
import time

from .config import EVENT_TIMEOUT, REPOPOOL, RUN_TIMEOUT
from .events import Result, check_no_sanitizer_report, parse_events
from .procs import reap


class Running:
    """repopool (under prefix) started with args in the test's environment.
    out and err collect its output lines as they arrive; next_event() and
    wait_for() read its JSON events one by one; the process is reaped at
    cleanup whatever happens."""

    def __init__(self, test, args, cwd=None, env=None, stdin=subprocess.DEVNULL, prefix=()):
        self.test = test
        self.args = list(args)
        self.proc = subprocess.Popen(list(prefix) + [REPOPOOL] + self.args, cwd=cwd,
                                     env=env or test.env, stdin=stdin, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.pid = self.proc.pid
        self.out = []
        self.err = []
        self.events = []     # those next_event() has read
        self.lines = queue.Queue()
        self.readers = [threading.Thread(target=self._read_out, daemon=True),
                        threading.Thread(target=self._read_err, daemon=True)]
        for t in self.readers:
            t.start()
        test.addCleanup(reap, self.proc)

    def _read_out(self):
        for line in self.proc.stdout:
            self.out.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def _read_err(self):
        for line in self.proc.stderr:
            self.err.append(line)

    def poll(self):
        return self.proc.poll()

    def send_signal(self, signum):
        self.proc.send_signal(signum)

    def stdout(self):
        return b"".join(self.out)

    def stderr(self):
        return b"".join(self.err)

    def saw(self, needle):
        """Whether a line of output so far holds needle."""
        return any(needle in line for line in list(self.out))

    def wait_line(self, needle, timeout=EVENT_TIMEOUT):
        """Waits for a line of output holding needle; returns whether one
        came before the output ended or the timeout (an anti-hang guard)."""
        deadline = time.monotonic() + timeout
        while not self.saw(needle):
            if not self.readers[0].is_alive() or time.monotonic() > deadline:
                return self.saw(needle)
            time.sleep(0.05)
        return True

    def wait(self, timeout=RUN_TIMEOUT):
        """Waits for the exit (raises subprocess.TimeoutExpired) and for
        the readers to take everything; returns the status."""
        status = self.proc.wait(timeout=timeout)
        for t in self.readers:
            t.join(timeout=30)
        return status

    def result(self, json_events=True):
        """The Result of a run that has ended (after wait())."""
        err = self.stderr()
        check_no_sanitizer_report(self.test, err)
        out = self.stdout()
        return Result(self.args, self.proc.returncode, out, err,
                      parse_events(out) if json_events else [])

    # --- events one by one ---

    def next_event(self, timeout=EVENT_TIMEOUT):
        """The next event, or None at the end of output."""
        line = self.lines.get(timeout=timeout)
        if line is None:
            self.lines.put(None)
            return None
        e = json.loads(line.decode("utf-8"))
        self.events.append(e)
        return e

    def wait_for(self, pred, what, timeout=EVENT_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.test.fail("no event %s in time; saw %r" % (what, self.events[-5:]))
            try:
                e = self.next_event(timeout=left)
            except queue.Empty:
                continue
            if e is None:
                self.test.fail("output ended before an event %s; saw %r" % (what, self.events[-5:]))
            if pred(e):
                return e

    def no_event_for(self, seconds):
        """True when no event arrives for a while (used only to show that
        something does not happen; a slow machine cannot make it fail)."""
        try:
            line = self.lines.get(timeout=seconds)
        except queue.Empty:
            return True
        self.lines.put(line)
        return False

    def output_lines(self, timeout=RUN_TIMEOUT):
        """Every line of output to its end, for runs without --json."""
        lines = []
        while True:
            line = self.lines.get(timeout=timeout)
            if line is None:
                self.lines.put(None)
                return lines
            lines.append(line)

    def finish(self, timeout=RUN_TIMEOUT):
        """Waits for the exit, reads the remaining events, checks stderr;
        returns the status."""
        status = self.wait(timeout)
        while self.next_event(timeout=timeout) is not None:
            pass
        check_no_sanitizer_report(self.test, self.stderr())
        return status
