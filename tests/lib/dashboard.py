"""The live dashboard, read and driven as a user would.

header(), table_rows() and SUMMARY_RE read what the dashboard shows.
DashboardTestCase runs an interactive bash in a tmux pane and types the
repopool command into it: repopool is the shell's foreground job. Before
each prompt the shell records the last command's status and the terminal's
modes in files, so the test knows when repopool has exited, with which
status, and whether the terminal was given back as it was. Keys go in with
send-keys, the screen comes out with capture-pane.

Nothing waits a fixed time: every wait polls the pane until what the test
expects shows up, with a generous deadline that only guards against a hang.
"""

import os
import re
import shlex
import time
import uuid

from .base import TestCase
from .config import REPOPOOL
from .events import check_no_sanitizer_report
from .procs import processes_with
from .tmux import Tmux

# Anti-hang limits, never timing assertions.
WAIT = 45
EXIT_WAIT = 60
POLL = 0.05

WIDTH, HEIGHT = 100, 30
PROMPT = "PROMPT$ "

HEADER_RE = re.compile(
    r"^running (?P<running>\d+)  queued (?P<queued>\d+)  ok (?P<ok>\d+)  failed (?P<failed>\d+)  "
    r"(?:skipped (?P<skipped>\d+)  )?(?:cancelled (?P<cancelled>\d+)  )?"
    r"cap (?P<cap>\d+)(?P<paused> paused)?")
TIMING_RE = re.compile(r"(?P<elapsed>(?=\d)(?:\d+h)?(?:\d+m)?(?:\d+(?:\.\d+)?s)?)  \d+(?:\.\d+)?/s  ETA (?P<eta>\S+)")
ROW_RE = re.compile(r"^(?P<mark>[RQOFSC])  (?P<name>\S+)")
SUMMARY_RE = re.compile(r"^repopool: (\d+) tasks in ")


def header(screen):
    """The header's counts as ints (None when absent), or None when the
    first line is not the dashboard's header."""
    lines = screen.split("\n")
    m = HEADER_RE.match(lines[0]) if lines else None
    if not m:
        return None
    h = {k: (int(v) if v and v.strip().isdigit() else v) for k, v in m.groupdict().items()}
    h["paused"] = bool(m.group("paused"))
    # Elapsed time, throughput and ETA: "1.2s  3.4/s  ETA 5.6s", near the
    # header.
    t = TIMING_RE.search("\n".join(lines[:2]))
    h["elapsed"] = seconds(t.group("elapsed")) if t else None
    h["eta"] = t.group("eta") if t else None
    for k in ("skipped", "cancelled"):
        h[k] = h[k] or 0
    return h


def seconds(text):
    """ "1.2s", "12s", "1m02s", "1h02m" as seconds."""
    total = 0.0
    for value, unit in re.findall(r"(\d+(?:\.\d+)?)([hms])", text):
        total += float(value) * {"h": 3600, "m": 60, "s": 1}[unit]
    return total


def table_rows(screen):
    """(mark, name) of every table row on the screen."""
    lines = screen.split("\n")
    rows = []
    for line in lines[3:-1]:
        m = ROW_RE.match(line)
        if m:
            rows.append((m.group("mark"), m.group("name")))
    return rows


class DashboardTestCase(TestCase):
    """An interactive bash in the width x height pane of a private tmux
    server, in the test's directory. Processes of the repopool run that
    start() begins carry run_tag as well as the test's marker."""

    width, height = WIDTH, HEIGHT

    def setUp(self):
        super().setUp()
        self.run_tag = "REPOPOOL_E2E_RUN=" + uuid.uuid4().hex
        self.prompts_path = self.path(".prompts")
        self.baseline = 0
        self.last_screen = ""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.tmp,
            "LANG": "C.UTF-8",
            "SHELL": "/bin/sh",
            "HISTFILE": "/dev/null",
            "PS1": PROMPT,
            # Before each prompt the shell records the last command's status
            # and the terminal's modes: how the test knows a command ended.
            "PROMPT_COMMAND": 's=$?; stty -g > .stty.tmp; mv .stty.tmp .stty; echo "$s" >> .prompts',
            "REPOPOOL": REPOPOOL,
        }
        for keep in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TMPDIR"):
            if keep in os.environ:
                env[keep] = os.environ[keep]
        key, value = self.marker.split("=", 1)
        env[key] = value
        self.term = Tmux(self, env=env, width=self.width, height=self.height)
        self.term.new_session("bash --norc --noprofile -i", self.tmp, self.path("raw"))
        self.wait_until(lambda: self.prompts(), "the shell's first prompt")
        self.wait_screen(lambda s: PROMPT.rstrip() in s, "the shell prompt")

    # --- tmux ---

    def tmux(self, *args, check=True):
        return self.term.cmd(*args, check=check, timeout=WAIT)

    def screen(self, escapes=False):
        """The pane as a whole frame (Tmux.frame)."""
        text = self.term.frame(escapes)
        if not escapes:
            self.last_screen = text
        return text

    def display(self, fmt):
        return self.term.display(fmt)

    def keys(self, *names):
        self.term.keys(*names)

    def type(self, text):
        self.term.type(text)

    def resize(self, w, h):
        self.term.resize(w, h)

    def raw(self):
        return self.term.raw()

    def alternate_on(self):
        return self.display("#{alternate_on}") == "1"

    # --- waiting ---

    def wait_until(self, cond, what, timeout=WAIT, poll=POLL, unless=None):
        return super().wait_until(cond, what, timeout, poll, unless)

    def waiting_context(self):
        return self.describe()

    def wait_screen(self, pred, what, timeout=WAIT):
        """Polls the pane until pred(screen) is true; returns that screen."""
        box = {}

        def check():
            s = self.screen()
            if pred(s):
                box["s"] = s
                return True
            return False

        self.wait_until(check, what, timeout)
        return box["s"]

    def wait_header(self, pred, what, timeout=WAIT):
        """Polls until the header parses and pred(header) is true; returns
        (header, screen)."""
        box = {}

        def check():
            s = self.screen()
            h = header(s)
            if h is not None and pred(h):
                box["r"] = (h, s)
                return True
            return False

        self.wait_until(check, what, timeout)
        return box["r"]

    def describe(self):
        """What the pane and the run's files show, for a failure message."""
        parts = ["the pane shows:\n" + self.screen()]
        for name in (".prompts", "stderr"):
            path = self.path(name)
            if os.path.exists(path):
                parts.append("%s: %r" % (name, self.read(path)[-2000:]))
        parts.append("processes (pid, name, state): %r" % (processes_with(self.marker, with_state=True),))
        return "\n".join(parts)

    # --- running repopool ---

    def prompts(self):
        """The statuses the shell recorded, one per prompt so far."""
        try:
            with open(self.prompts_path) as f:
                return f.read().split()
        except FileNotFoundError:
            return []

    def shell(self, line):
        """Types a command line into the pane's shell; wait_exit waits for
        the prompt that follows it."""
        self.baseline = len(self.prompts())
        self.type(line)
        self.keys("Enter")

    def start(self, *args, env=None):
        """Types the repopool command into the pane's shell, as a user
        would, so repopool is the shell's foreground job (Ctrl-Z stops it,
        fg resumes it). The command line itself is in a file the shell
        sources, so no argument has to survive being typed."""
        variables = dict(env or {})
        run_key, run_value = self.run_tag.split("=", 1)
        variables[run_key] = run_value
        line = "%s %s %s 2> stderr\n" % (
            " ".join("%s=%s" % (k, shlex.quote(v)) for k, v in variables.items()),
            shlex.quote(REPOPOOL), " ".join(shlex.quote(a) for a in args))
        self.write(self.path("cmd"), line)
        with open(self.path(".stty")) as f:
            self.stty_before = f.read()
        self.shell(". ./cmd")

    def wait_dashboard(self):
        """Waits for the dashboard's header on the alternate screen."""
        h, s = self.wait_header(lambda h: True, "the dashboard's header")
        self.wait_until(self.alternate_on, "the alternate screen")
        return h, s

    def wait_exit(self):
        """Waits for the shell's prompt after the command typed last;
        returns repopool's exit status and checks what every exit must
        leave behind."""
        self.wait_until(lambda: len(self.prompts()) > self.baseline, "repopool to exit", EXIT_WAIT)
        status = int(self.prompts()[self.baseline])
        with open(self.path(".stty")) as f:
            stty_after = f.read()
        err = self.read(self.path("stderr"))
        check_no_sanitizer_report(self, err)
        # Neither repopool nor any of its tasks is left (a task killed
        # with its process group may take a moment to be gone).
        deadline = time.monotonic() + 20
        while processes_with(self.run_tag) and time.monotonic() < deadline:
            time.sleep(POLL)
        self.assertEqual(processes_with(self.run_tag, with_state=True), [],
                         "processes left after repopool exited")
        # The terminal is given back as it was found.
        self.assertEqual(self.stty_before, stty_after, "terminal modes differ after repopool exited")
        self.wait_screen(lambda s: s.rstrip().endswith(PROMPT.rstrip()), "the shell prompt after the run")
        self.assertFalse(self.alternate_on(), "the pane is still on the alternate screen")
        self.assertEqual(self.display("#{cursor_flag}"), "1", "the cursor was left hidden")
        self.stderr = err
        return status

    def summary_line(self, screen=None):
        screen = self.screen() if screen is None else screen
        for line in screen.split("\n"):
            if SUMMARY_RE.match(line):
                return line
        return None

    def repos(self, *names):
        return self.mkdirs(*names, under="repos")

    def quit(self, expect_confirm):
        self.type("q")
        if expect_confirm:
            self.wait_screen(lambda s: re.search(r"Quit and cancel \d+ running and \d+ queued tasks\? y/n", s),
                             "the quit question")
            self.type("y")
