#!/usr/bin/env python3
"""End-to-end tests of the live dashboard: the real binary in a real terminal.

Each test starts its own tmux server (a private socket), runs an interactive
bash in a 100x30 pane and types the repopool command into it, as a user
would: repopool is the shell's foreground job. Before each prompt the shell
records the last command's status and the terminal's modes in files, so the
test knows when repopool has exited, with which status, and whether the
terminal was given back as it was.
The test presses keys with send-keys and reads the screen with capture-pane.
pipe-pane copies every byte the pane's programs write to the terminal into
a file, so the tests can also look at the raw stream.

Nothing waits a fixed time: every wait polls the pane until what the test
expects shows up, with a generous deadline that only guards against a hang.
No assertion depends on how fast anything is.

Every process a test starts carries a marker in its environment; tearDown
kills the tmux server and then makes sure none of them is left, so meson
may run this file next to the other suites.

The binary is named by the REPOPOOL environment variable.
"""

import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import uuid

REPOPOOL = os.path.abspath(os.environ["REPOPOOL"]) if os.environ.get("REPOPOOL") else shutil.which("repopool")
HERE = os.path.dirname(os.path.abspath(__file__))
UI_HEADER = os.path.join(HERE, "..", "..", "include", "repopool", "ui.h")

# Anti-hang limits, never timing assertions.
WAIT = 45
EXIT_WAIT = 60
POLL = 0.05

WIDTH, HEIGHT = 100, 30
PROMPT = "PROMPT$ "

HEADER_RE = re.compile(
    r"^running (?P<running>\d+)  queued (?P<queued>\d+)  done (?P<done>\d+)  failed (?P<failed>\d+)  "
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


def ui_actions():
    """(keys, label, help) of every action, read from the one list the
    help screen and the footer are generated from."""
    with open(UI_HEADER, encoding="utf-8") as f:
        text = f.read()
    body = text[text.index("#define UI_ACTION_LIST"):text.index("enum ui_action")]
    found = re.findall(r'X\(\s*(\w+)\s*,\s*"([^"]*)"\s*,\s*(NULL|"[^"]*")\s*,\s*"([^"]*)"\s*\)', body)
    return [(keys, None if label == "NULL" else label.strip('"'), help_text)
            for _id, keys, label, help_text in found]


# --- reading capture-pane -e: one attribute record per cell ---

def parse_sgr_screen(text):
    """Parses capture-pane -e output into rows of (char, attrs) cells, where
    attrs is a dict: bold, dim, underline, reverse, fg, bg (None: default).
    Attributes carry over line ends, as tmux emits them."""
    state = {"bold": False, "dim": False, "underline": False, "reverse": False, "fg": None, "bg": None}
    rows = []
    for line in text.split("\n"):
        cells = []
        i = 0
        while i < len(line):
            ch = line[i]
            if ch == "\x1b" and i + 1 < len(line) and line[i + 1] == "[":
                j = i + 2
                while j < len(line) and not ("\x40" <= line[j] <= "\x7e"):
                    j += 1
                if j < len(line) and line[j] == "m":
                    apply_sgr(state, line[i + 2:j])
                i = j + 1
                continue
            if ch == "\x1b":
                i += 2
                continue
            cells.append((ch, dict(state)))
            i += 1
        rows.append(cells)
    return rows


def apply_sgr(state, params):
    codes = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params else [0]
    k = 0
    while k < len(codes):
        c = codes[k]
        if c == 0:
            state.update(bold=False, dim=False, underline=False, reverse=False, fg=None, bg=None)
        elif c == 1:
            state["bold"] = True
        elif c == 2:
            state["dim"] = True
        elif c == 4:
            state["underline"] = True
        elif c == 7:
            state["reverse"] = True
        elif c == 22:
            state["bold"] = state["dim"] = False
        elif c == 24:
            state["underline"] = False
        elif c == 27:
            state["reverse"] = False
        elif 30 <= c <= 37 or 90 <= c <= 97:
            state["fg"] = c
        elif c == 39:
            state["fg"] = None
        elif 40 <= c <= 47 or 100 <= c <= 107:
            state["bg"] = c
        elif c == 49:
            state["bg"] = None
        elif c in (38, 48):
            # 38;5;n or 38;2;r;g;b
            kind = codes[k + 1] if k + 1 < len(codes) else 0
            value = tuple(codes[k + 2:k + 3]) if kind == 5 else tuple(codes[k + 2:k + 5])
            state["fg" if c == 38 else "bg"] = (c, kind) + value
            k += 2 if kind == 5 else 4
        k += 1


def cells_text(cells):
    return "".join(ch for ch, _ in cells)


# --- processes started by a test ---

def processes_with(marker, with_state=False):
    """(pid, comm) of every live process whose environment holds marker."""
    needle = marker.encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % name, "rb") as f:
                env = f.read()
            if needle not in env:
                continue
            with open("/proc/%s/stat" % name, "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # The state follows the parenthesised command name; skip zombies.
        close = stat.rindex(b")")
        if stat[close + 2:close + 3] == b"Z":
            continue
        comm = stat[stat.index(b"(") + 1:close].decode("utf-8", "replace")
        found.append((int(name), comm))
        if with_state:
            found[-1] += (stat[close + 2:close + 3].decode(),)
    return found


class Dashboard(unittest.TestCase):
    """One private tmux server with one pane per test."""

    width, height = WIDTH, HEIGHT

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="repopool-e2e-")
        self.tag = "REPOPOOL_E2E_TAG=" + uuid.uuid4().hex
        self.run_tag = "REPOPOOL_E2E_RUN=" + uuid.uuid4().hex
        self.socket = "repopool-e2e-%d-%s" % (os.getpid(), uuid.uuid4().hex[:12])
        self.raw_path = os.path.join(self.dir, "raw")
        self.prompts_path = os.path.join(self.dir, ".prompts")
        self.baseline = 0
        self.last_screen = ""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.dir,
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
        k, v = self.tag.split("=", 1)
        env[k] = v
        self.env = env
        self.addCleanup(self.cleanup)
        self.tmux("new-session", "-d", "-s", "e2e", "-x", str(self.width), "-y", str(self.height),
                  "-c", self.dir, "bash --norc --noprofile -i")
        # tmux leaves its socket behind when the server is killed.
        self.socket_path = self.display("#{socket_path}")
        # Keep the pane's size ours, whatever clients come and go.
        self.tmux("set-option", "-g", "window-size", "manual")
        self.tmux("pipe-pane", "-t", "e2e", "-o", "cat >> " + shlex.quote(self.raw_path))
        self.wait_until(lambda: self.prompts(), "the shell's first prompt")
        self.wait_screen(lambda s: PROMPT.rstrip() in s, "the shell prompt")

    def cleanup(self):
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], env=self.env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # The server's end hangs up on the pane: repopool must stop its
        # tasks. Give everything time to go, then make sure it has.
        deadline = time.monotonic() + 20
        while processes_with(self.tag) and time.monotonic() < deadline:
            time.sleep(POLL)
        left = processes_with(self.tag)
        for pid, _comm in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)
        if getattr(self, "socket_path", None):
            try:
                os.unlink(self.socket_path)
            except OSError:
                pass
        if left:
            self.fail("processes left behind after the tmux server ended: %r" % (left,))

    # --- tmux ---

    def tmux(self, *args, check=True):
        p = subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", "-u"] + list(args),
                           env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=WAIT)
        if check and p.returncode != 0:
            self.fail("tmux %s failed: %s" % (" ".join(args), p.stderr.decode("utf-8", "replace")))
        return p.stdout.decode("utf-8", "replace")

    def capture(self, escapes=False):
        args = ["capture-pane", "-p", "-t", "e2e"]
        if escapes:
            args.append("-e")
        text = self.tmux(*args)
        return text[:-1] if text.endswith("\n") else text

    def screen(self, escapes=False):
        """The pane as a whole frame: a redraw can reach tmux in more than
        one write, so capture until two captures a moment apart agree (the
        clocks tick once a second, far slower than this)."""
        text = self.capture(escapes)
        for _ in range(20):
            time.sleep(0.02)
            again = self.capture(escapes)
            if again == text:
                break
            text = again
        if not escapes:
            self.last_screen = text
        return text

    def display(self, fmt):
        return self.tmux("display-message", "-p", "-t", "e2e", fmt).strip()

    def keys(self, *names):
        """Named keys: Enter, Escape, C-c, C-z, ..."""
        self.tmux("send-keys", "-t", "e2e", *names)

    def type(self, text):
        """Literal text, one key per character."""
        self.tmux("send-keys", "-t", "e2e", "-l", "--", text)

    def resize(self, w, h):
        self.tmux("resize-window", "-t", "e2e", "-x", str(w), "-y", str(h))

    # --- waiting ---

    def wait_until(self, cond, what, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while True:
            value = cond()
            if value:
                return value
            if time.monotonic() > deadline:
                self.fail("timed out waiting for %s; %s" % (what, self.describe()))
            time.sleep(POLL)

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
            path = os.path.join(self.dir, name)
            if os.path.exists(path):
                with open(path, "rb") as f:
                    parts.append("%s: %r" % (name, f.read()[-2000:]))
        parts.append("processes (pid, name, state): %r" % (processes_with(self.tag, with_state=True),))
        return "\n".join(parts)

    def alternate_on(self):
        return self.display("#{alternate_on}") == "1"

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
        with open(os.path.join(self.dir, "cmd"), "w") as f:
            f.write(line)
        with open(os.path.join(self.dir, ".stty")) as f:
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
        with open(os.path.join(self.dir, ".stty")) as f:
            stty_after = f.read()
        with open(os.path.join(self.dir, "stderr"), "rb") as f:
            err = f.read()
        for marker in (b"runtime error:", b"Sanitizer", b"internal error"):
            self.assertNotIn(marker, err, err.decode("utf-8", "replace"))
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

    def raw(self):
        with open(self.raw_path, "rb") as f:
            return f.read()

    def repos(self, *names):
        paths = []
        for n in names:
            p = os.path.join(self.dir, "repos", n)
            os.makedirs(p)
            paths.append(p)
        return paths

    def quit(self, expect_confirm):
        self.type("q")
        if expect_confirm:
            self.wait_screen(lambda s: re.search(r"Quit and cancel \d+ running and \d+ queued tasks\? y/n", s),
                             "the quit question")
            self.type("y")


class TestCap(Dashboard):
    def test_plus_and_minus_change_the_cap_and_running_follows(self):
        paths = self.repos("r1", "r2", "r3", "r4", "r5", "r6")
        self.start("-j", "1", *paths, "--", "sleep", "300")
        self.wait_header(lambda h: h["running"] == 1 and h["cap"] == 1 and h["queued"] == 5, "running 1, cap 1")

        self.type("+")
        self.wait_header(lambda h: h["cap"] == 2 and h["running"] == 2, "cap 2, running 2")
        self.type("+")
        h, s = self.wait_header(lambda h: h["cap"] == 3 and h["running"] == 3, "cap 3, running 3")
        self.assertEqual(h["queued"], 3)
        self.assertEqual(sum(1 for m, _ in table_rows(s) if m == "R"), 3, s)

        # Lowering stops nothing: the running tasks go on.
        self.type("-")
        h, s = self.wait_header(lambda h: h["cap"] == 2, "cap 2")
        self.assertEqual(h["running"], 3, s)
        self.assertEqual(h["queued"], 3, s)

        # '=' is '+' without shift.
        self.type("=")
        h, s = self.wait_header(lambda h: h["cap"] == 3, "cap 3 again")
        self.assertEqual(h["running"], 3, s)

        # q asks first while tasks run; n keeps the run going.
        self.type("q")
        s = self.wait_screen(lambda s: "Quit and cancel 3 running and 3 queued tasks? y/n" in s,
                             "the quit question")
        self.type("n")
        s = self.wait_screen(lambda s: "Quit and cancel" not in s and "qQuit" in s, "the footer back")
        self.assertEqual(header(s)["running"], 3, s)

        self.quit(expect_confirm=True)
        status = self.wait_exit()
        self.assertEqual(status, 1)
        screen = self.screen()
        self.assertRegex(self.summary_line(screen) or "", r"^repopool: 6 tasks in .*6 cancelled", screen)


class TestPause(Dashboard):
    def test_p_pauses_and_resumes(self):
        self.start("--demo", "40", "--demo-mean", "0.4", "--seed", "11", "-j", "3")
        self.wait_dashboard()
        self.type("p")
        h, s = self.wait_header(lambda h: h["cap"] == 0 and h["paused"], "cap 0 paused")
        self.assertIn("cap 0 paused", s.split("\n")[0])
        self.assertGreater(h["queued"], 0, "the run ended before the pause: %s" % s)

        # Running tasks finish; nothing new starts.
        h, s = self.wait_header(lambda h: h["running"] == 0, "running 0 while paused")
        queued, done = h["queued"], h["done"] + h["failed"]
        self.assertGreater(queued, 0, s)
        # Let the clock in the header move on by more than a second, then
        # look again: still nothing started.
        t0 = h["elapsed"]
        h2, s2 = self.wait_header(lambda h: h["elapsed"] >= t0 + 1.5, "the clock to move on while paused")
        self.assertEqual((h2["running"], h2["queued"], h2["done"] + h2["failed"]), (0, queued, done), s2)
        self.assertTrue(h2["paused"], s2)
        self.assertFalse(any(m == "R" for m, _ in table_rows(s2)), s2)

        self.type("p")
        h, s = self.wait_header(lambda h: h["cap"] == 3 and not h["paused"], "cap 3 after resuming")
        h, s = self.wait_header(lambda h: h["done"] == 40 and h["eta"] == "done", "the run to the end",
                                timeout=EXIT_WAIT)
        self.assertEqual(h["eta"], "done", s)
        self.quit(expect_confirm=False)
        self.assertEqual(self.wait_exit(), 0)
        self.assertRegex(self.summary_line() or "", r"^repopool: 40 tasks in .*: 40 ok")

    def test_j0_starts_paused(self):
        paths = self.repos("p1", "p2", "p3")
        self.start("-j", "0", *paths, "--", "sleep", "300")
        h, s = self.wait_header(lambda h: True, "the dashboard")
        self.assertEqual((h["cap"], h["paused"], h["running"], h["queued"]), (0, True, 0, 3), s)
        self.assertEqual([m for m, _ in table_rows(s)], ["Q", "Q", "Q"], s)
        # Resuming a run that started paused: one at a time.
        self.type("p")
        h, s = self.wait_header(lambda h: h["running"] == 1, "running 1")
        self.assertEqual((h["cap"], h["paused"], h["queued"]), (1, False, 2), s)
        self.quit(expect_confirm=True)
        self.assertEqual(self.wait_exit(), 1)


class TestCancel(Dashboard):
    def test_c_cancels_the_selected_task(self):
        paths = self.repos("alpha", "bravo", "charlie", "delta")
        self.start("-j", "2", *paths, "--", "sleep", "300")
        h, s = self.wait_header(lambda h: h["running"] == 2, "running 2")
        rows = table_rows(s)
        self.assertEqual(rows[:2], [("R", "alpha"), ("R", "bravo")], s)

        # Down twice, up once: the second row.
        self.type("j")
        self.type("j")
        self.type("k")
        self.type("c")
        h, s = self.wait_header(lambda h: h["cancelled"] == 1, "cancelled 1")
        self.assertIn("cancelled 1", s.split("\n")[0])
        rows = dict((name, mark) for mark, name in table_rows(s))
        self.assertEqual(rows.get("bravo"), "C", s)
        self.assertEqual(rows.get("alpha"), "R", s)
        # The freed slot went to the next queued task.
        h, s = self.wait_header(lambda h: h["running"] == 2 and h["queued"] == 1, "charlie started")
        rows = dict((name, mark) for mark, name in table_rows(s))
        self.assertEqual(rows.get("charlie"), "R", s)
        self.assertEqual(rows.get("delta"), "Q", s)
        bravo_line = next(line for line in s.split("\n") if re.match(r"^C  bravo\b", line))
        self.assertIn("cancelled", bravo_line[3:])

        self.quit(expect_confirm=True)
        self.assertEqual(self.wait_exit(), 1)
        screen = self.screen()
        self.assertRegex(screen, r"(?m)^cancelled .*/bravo\b")
        self.assertRegex(self.summary_line(screen) or "", r"^repopool: 4 tasks in .*4 cancelled")


class TestLogView(Dashboard):
    def test_enter_shows_the_output_and_esc_goes_back(self):
        paths = self.repos("talker")
        self.start("--shell", *paths, "--",
                   "echo first line of talk; echo second line of talk; echo third line of talk; sleep 300")
        self.wait_screen(lambda s: "third line of talk" in s, "the running task's last line in its row")
        self.keys("Enter")
        s = self.wait_screen(lambda s: "lines 1-3 of 3" in s, "the log view")
        lines = s.split("\n")
        self.assertRegex(lines[0], r"^running\s+.*talker")
        self.assertEqual(lines[1:4], ["first line of talk", "second line of talk", "third line of talk"], s)
        self.assertIn("Esc: back", lines[-1])

        self.keys("Escape")
        s = self.wait_header(lambda h: h["running"] == 1, "the table again")[1]
        self.assertEqual(table_rows(s), [("R", "talker")], s)
        self.assertIn("qQuit", s.split("\n")[-1])

        # The log of a task that ended.
        self.type("c")
        self.wait_header(lambda h: h["cancelled"] == 1, "the task cancelled")
        self.keys("Enter")
        s = self.wait_screen(lambda s: s.startswith("cancelled ") and "lines 1-3 of 3" in s,
                             "the log view of the cancelled task")
        self.assertEqual(s.split("\n")[1:4], ["first line of talk", "second line of talk", "third line of talk"], s)
        self.keys("Escape")
        self.wait_header(lambda h: h["cancelled"] == 1, "the table again")
        self.quit(expect_confirm=False)
        self.assertEqual(self.wait_exit(), 1)


class TestResize(Dashboard):
    def test_resize_relays_out_too_small_and_back(self):
        paths = self.repos("one", "two", "three")
        self.start("-j", "3", *paths, "--", "sleep", "300")
        h, s = self.wait_header(lambda h: h["running"] == 3, "running 3")
        self.assertEqual(len(s.split("\n")), 30)
        wide_op = self.table_header_op_column(s)
        self.assertIsNotNone(wide_op, s)

        # Narrower: the repository column gives way, so OP moves left.
        self.resize(60, 20)
        s = self.wait_screen(lambda s: header(s) is not None and len(s.split("\n")) == 20
                             and (self.table_header_op_column(s) or wide_op) < wide_op, "the 60x20 layout")
        lines = s.split("\n")
        self.assertTrue(all(len(line) <= 60 for line in lines), s)
        self.assertTrue(lines[-1].startswith("?Help"), s)
        self.assertEqual(sorted(n for _, n in table_rows(s)), ["one", "three", "two"], s)

        self.resize(30, 6)
        s = self.wait_screen(lambda s: "terminal too small" in s, "'terminal too small'")
        self.assertIsNone(header(s), s)

        # Keys still work on the small screen.
        self.type("+")
        self.resize(WIDTH, HEIGHT)
        # The redraw after a resize reaches tmux in more than one write: wait
        # for the rows too, not just the header.
        h, s = self.wait_header(lambda h: len(self.last_screen.split("\n")) == HEIGHT
                                and self.table_header_op_column(self.last_screen) == wide_op
                                and len(table_rows(self.last_screen)) == 3,
                                "the 100x30 layout again")
        self.assertEqual(h["cap"], 4, s)
        self.assertNotIn("terminal too small", s)
        self.assertEqual(sorted(n for _, n in table_rows(s)), ["one", "three", "two"], s)
        self.assertTrue(s.split("\n")[-1].startswith("?Help") and "qQuit" in s.split("\n")[-1], s)

        self.quit(expect_confirm=True)
        self.assertEqual(self.wait_exit(), 1)

    @staticmethod
    def table_header_op_column(screen):
        lines = screen.split("\n")
        if len(lines) < 3 or not lines[2].startswith("S  REPOSITORY") or " OP " not in lines[2]:
            return None
        return lines[2].find(" OP ") + 1


class TestQuit(Dashboard):
    def test_q_after_the_run_restores_the_terminal(self):
        self.start("--demo", "12", "--demo-mean", "0.2", "--seed", "5", "-j", "4")
        self.wait_dashboard()
        self.assertTrue(self.alternate_on())
        self.assertEqual(self.display("#{cursor_flag}"), "0", "the cursor shows on the dashboard")
        h, s = self.wait_header(lambda h: h["done"] == 12 and h["eta"] == "done", "done 12, ETA done")
        self.assertTrue(self.alternate_on())
        # The run is over: q quits without asking.
        self.type("q")
        self.assertEqual(self.wait_exit(), 0)
        screen = self.screen()
        self.assertRegex(self.summary_line(screen) or "", r"^repopool: 12 tasks in .*: 12 ok; peak \d+ running")
        # Nothing of the dashboard is left on the normal screen.
        self.assertNotIn("REPOSITORY", screen)
        raw = self.raw()
        self.assertEqual(raw.count(b"\x1b[?1049h"), 1, raw[-400:])
        self.assertEqual(raw.count(b"\x1b[?1049l"), 1, raw[-400:])
        self.assertLess(raw.index(b"\x1b[?1049l"), raw.index(b"repopool: 12 tasks in"))

    def test_q_while_running_cancels_and_reports(self):
        paths = self.repos("slow1", "slow2", "slow3")
        self.start("-j", "2", *paths, "--", "sleep", "300")
        self.wait_header(lambda h: h["running"] == 2, "running 2")
        self.assertTrue(self.alternate_on())
        self.quit(expect_confirm=True)
        self.assertEqual(self.wait_exit(), 1)
        screen = self.screen()
        # The tasks that did not end ok (the queued one in a line of its
        # own kind), then the summary.
        for name in ("slow1", "slow2"):
            self.assertRegex(screen, r"(?m)^cancelled .*/%s\b" % name)
        self.assertRegex(screen, r"(?m)^repopool: 1 queued task cancelled$")
        self.assertRegex(self.summary_line(screen) or "", r"^repopool: 3 tasks in .*3 cancelled")


class TestHelpAndTimeline(Dashboard):
    def test_help_lists_every_key(self):
        self.start("--demo", "30", "--demo-mean", "2", "--seed", "2", "-j", "3")
        self.wait_dashboard()
        self.type("?")
        s = self.wait_screen(lambda s: s.startswith("repopool keys"), "the help screen")
        lines = s.split("\n")
        actions = ui_actions()
        self.assertGreaterEqual(len(actions), 20)
        for keys, _label, help_text in actions:
            expected = "  " + keys.ljust(13) + help_text
            self.assertIn(expected, [line.rstrip() for line in lines], "help lacks %r:\n%s" % (keys, s))
        self.assertIn("Marks: R running, Q queued, O ok, F failed, S skipped, C cancelled.", s)
        # Every footer label names its key on the table screen too.
        self.keys("Escape")
        h, s = self.wait_header(lambda h: True, "the table after help")
        footer = s.split("\n")[-1]
        for keys, label, _help in actions:
            if label:
                self.assertIn(keys.split(" ")[0] + label, footer)
        # F1 opens help as well; ? closes it.
        self.keys("F1")
        self.wait_screen(lambda s: s.startswith("repopool keys"), "help from F1")
        self.type("?")
        self.wait_header(lambda h: True, "the table after ? on help")
        self.quit(expect_confirm=True)
        self.assertEqual(self.wait_exit(), 1)

    def test_t_shows_the_timeline(self):
        self.start("--demo", "60", "--demo-mean", "0.3", "--seed", "4", "-j", "3")
        self.wait_header(lambda h: h["done"] >= 3, "some tasks done")
        self.type("t")
        s = self.wait_screen(lambda s: s.startswith("timeline: "), "the timeline")
        lines = s.split("\n")
        self.assertIn("lanes = slots", lines[0])
        for lane in (1, 2, 3):
            self.assertRegex(lines[1 + lane], r"^\s+%d\s" % lane, s)
        # Bars with the marks of the tasks that ran in the lanes.
        body = "\n".join(lines[2:5])
        self.assertRegex(body, "[ROF]", s)
        self.assertIn("\u2588", body, s)
        self.assertIn("qQuit", lines[-1])
        self.type("t")
        self.wait_header(lambda h: True, "the table after t")
        self.quit(expect_confirm=True)
        self.assertEqual(self.wait_exit(), 1)


PAYLOAD = (b"title\x1b]0;PWNED\x07 clear\x1b[2J move\x1b[10;10HHIDDEN-BY-CR\r"
           b"after-cr alt\x1b[?1049l end\n")


class TestHostileOutput(Dashboard):
    def test_task_output_cannot_drive_the_terminal(self):
        payload = os.path.join(self.dir, "payload")
        with open(payload, "wb") as f:
            f.write(b"an innocent first line\n" + PAYLOAD)
        paths = self.repos("evil-running", "evil-failing")
        title_before = self.display("#{pane_title}")
        self.assertNotIn("PWNED", title_before)
        # One task keeps running with the payload as its last line; the
        # other fails with it, so its line is printed after the dashboard.
        self.start("--shell", *paths, "--",
                   'cat %s; case "$REPOPOOL_REPO" in *failing) exit 3;; esac; sleep 300' % shlex.quote(payload))
        h, s = self.wait_header(lambda h: h["running"] == 1 and h["failed"] == 1, "one running, one failed")
        s = self.wait_screen(lambda s: "after-cr alt end" in s, "the sanitized last line in the table")
        self.check_clean_screen(s)
        self.assertTrue(self.alternate_on(), "the task's ESC[?1049l left the alternate screen")
        self.assertNotIn("PWNED", self.display("#{pane_title}"))

        # The log view of each task.
        self.keys("Enter")
        s = self.wait_screen(lambda s: "lines 1-2 of 2" in s, "the log view")
        self.assertEqual(s.split("\n")[1:3], ["an innocent first line", "after-cr alt end"], s)
        self.check_clean_screen(s)
        self.keys("Escape")
        self.wait_header(lambda h: True, "the table")
        self.type("j")
        self.keys("Enter")
        s = self.wait_screen(lambda s: s.startswith("failed ") and "lines 1-2 of 2" in s,
                             "the failed task's log")
        self.check_clean_screen(s)
        self.keys("Escape")
        self.wait_header(lambda h: True, "the table")
        self.assertTrue(self.alternate_on())
        self.assertNotIn("PWNED", self.display("#{pane_title}"))

        self.quit(expect_confirm=True)
        self.assertEqual(self.wait_exit(), 1)
        screen = self.screen()
        self.assertRegex(screen, r"(?m)^failed .*/evil-failing\b.*after-cr alt end", screen)
        self.check_clean_screen(screen)
        self.assertNotIn("PWNED", self.display("#{pane_title}"))

        # The strongest check: the bytes that reached the terminal.
        raw = self.raw()
        self.assertNotIn(b"PWNED", raw)
        self.assertNotIn(b"HIDDEN-BY-CR", raw)
        self.assertNotIn(b"\x1b]", raw)       # no OSC at all: no title change
        self.assertNotIn(b"\x1b[2J", raw)
        self.assertNotIn(b"\x1b[10;10H", raw)
        self.assertNotIn(b"\x07", raw)
        # The alternate screen was entered and left once: by repopool.
        self.assertEqual(raw.count(b"\x1b[?1049h"), 1)
        self.assertEqual(raw.count(b"\x1b[?1049l"), 1)

    def check_clean_screen(self, s):
        self.assertNotIn("PWNED", s)
        self.assertNotIn("HIDDEN-BY-CR", s)
        self.assertNotIn("[2J", s)
        self.assertNotIn("[10;10H", s)
        self.assertNotIn("1049", s)
        self.assertNotIn("\x1b", s)


class TestInterrupt(Dashboard):
    def test_ctrl_c_stops_everything_and_exits_130(self):
        paths = self.repos("int1", "int2", "int3", "int4")
        self.start("-j", "2", *paths, "--", "sleep", "300")
        self.wait_header(lambda h: h["running"] == 2, "running 2")
        self.wait_until(lambda: len([p for p in processes_with(self.run_tag) if p[1] == "sleep"]) == 2,
                        "two sleep tasks")
        self.keys("C-c")
        self.assertEqual(self.wait_exit(), 130)
        screen = self.screen()
        for name in ("int1", "int2"):
            self.assertRegex(screen, r"(?m)^cancelled .*/%s\b" % name)
        self.assertRegex(screen, r"(?m)^repopool: 2 queued tasks cancelled$")
        self.assertRegex(self.summary_line(screen) or "", r"^repopool: 4 tasks in .*4 cancelled")

    def test_ctrl_c_kills_tasks_that_ignore_sigterm(self):
        paths = self.repos("stubborn1", "stubborn2", "stubborn3")
        self.start("-j", "2", "--shell", *paths, "--", "trap '' TERM; sleep 300")
        self.wait_header(lambda h: h["running"] == 2, "running 2")
        self.wait_until(lambda: len([p for p in processes_with(self.run_tag) if p[1] == "sleep"]) == 2,
                        "two sleep tasks")
        self.keys("C-c")
        # SIGTERM is ignored: the grace period ends in SIGKILL.
        self.assertEqual(self.wait_exit(), 130)
        screen = self.screen()
        self.assertRegex(self.summary_line(screen) or "", r"^repopool: 3 tasks in .*3 cancelled")


class TestHangup(Dashboard):
    def test_terminal_going_away_leaves_nothing_behind(self):
        paths = self.repos("h1", "h2", "h3")
        self.start("-j", "2", *paths, "--", "sleep", "300")
        self.wait_header(lambda h: h["running"] == 2, "running 2")
        self.wait_until(lambda: len([p for p in processes_with(self.run_tag) if p[1] == "sleep"]) == 2,
                        "two sleep tasks")
        # The terminal disappears under repopool (SIGHUP, then no tty).
        self.tmux("kill-server")
        deadline = time.monotonic() + 20
        while processes_with(self.run_tag) and time.monotonic() < deadline:
            time.sleep(POLL)
        self.assertEqual(processes_with(self.run_tag, with_state=True), [],
                         "repopool or its tasks outlived the terminal")


class TestNoColor(Dashboard):
    def test_no_color_keeps_marks_and_works(self):
        paths = self.repos("nc1", "nc2", "nc3", "nc4")
        self.start("-j", "2", *paths, "--", "sleep", "300", env={"NO_COLOR": "1"})
        h, s = self.wait_header(lambda h: h["running"] == 2, "running 2")
        self.assertEqual(table_rows(s), [("R", "nc1"), ("R", "nc2"), ("Q", "nc3"), ("Q", "nc4")], s)
        self.type("+")
        # A frame can reach tmux in more than one write: wait for the rows
        # to agree with the header, then check them.
        h, s = self.wait_header(lambda h: h["cap"] == 3 and h["running"] == 3
                                and [m for m, _ in table_rows(self.last_screen)].count("R") == 3, "cap 3")
        self.assertEqual([m for m, _ in table_rows(s)], ["R", "R", "R", "Q"], s)

        cells = parse_sgr_screen(self.screen(escapes=True))
        # No colour anywhere.
        colored = [(y, x) for y, row in enumerate(cells) for x, (_, a) in enumerate(row)
                   if a["fg"] is not None or a["bg"] is not None]
        self.assertEqual(colored, [], "colours despite NO_COLOR")
        # The selected row (the first) stands out by reverse video alone;
        # the others do not.
        first = cells[3]
        self.assertTrue(cells_text(first).startswith("R  nc1"))
        self.assertTrue(all(a["reverse"] for _, a in first[:20]), first[:20])
        for row in cells[4:7]:
            self.assertFalse(any(a["reverse"] for _, a in row), cells_text(row))

        # Move down: the highlight follows.
        self.type("j")
        self.wait_until(lambda: all(a["reverse"] for _, a in parse_sgr_screen(self.screen(escapes=True))[4][:20]),
                        "the highlight on the second row")
        cells = parse_sgr_screen(self.screen(escapes=True))
        self.assertFalse(any(a["reverse"] for _, a in cells[3][:20]), cells_text(cells[3]))

        self.quit(expect_confirm=True)
        self.assertEqual(self.wait_exit(), 1)


class TestColor(Dashboard):
    def test_colours_reach_the_terminal(self):
        # With a colour terminal (tmux's "screen": 8 colours) and no
        # NO_COLOR, states have colours and the selected row stands out
        # from the other running rows.
        paths = self.repos("c1", "c2", "c3")
        self.start("-j", "2", *paths, "--", "sleep", "300")
        self.wait_header(lambda h: h["running"] == 2, "running 2")
        escaped = self.screen(escapes=True)
        cells = parse_sgr_screen(escaped)
        # On failure, show the rows as the terminal got them.
        shown = "\n".join(repr(line) for line in escaped.split("\n")[:6])
        marks = {cells_text(row)[:6]: row for row in cells[3:6]}
        self.assertIn("R  c1 ", marks, [cells_text(r) for r in cells[:6]])
        running_mark = cells[4][0]  # c2: running, not selected
        queued_mark = cells[5][0]   # c3: queued
        self.assertEqual(running_mark[0], "R")
        self.assertEqual(queued_mark[0], "Q")
        self.assertNotEqual(running_mark[1]["fg"], None,
                            "the running mark has no colour: %r; the screen's first lines with their "
                            "escapes:\n%s" % (running_mark[1], shown))
        sel, other = cells[3][10][1], cells[4][10][1]
        self.assertNotEqual(sel, other, "the selected row looks like the other running row:\n" + shown)
        # The table's column header stands out from the rows below it.
        self.assertNotEqual(cells[2][5][1], cells[5][5][1],
                            "the column header looks like a plain row:\n" + shown)
        self.quit(expect_confirm=True)
        self.assertEqual(self.wait_exit(), 1)


class TestExitWhenDone(Dashboard):
    def test_exit_when_done_closes_by_itself(self):
        self.start("--demo", "10", "--demo-mean", "0.3", "--seed", "9", "-j", "2", "--exit-when-done")
        # No key at all.
        self.assertEqual(self.wait_exit(), 0)
        screen = self.screen()
        self.assertRegex(self.summary_line(screen) or "", r"^repopool: 10 tasks in .*: 10 ok")
        raw = self.raw()
        # The dashboard was up (on the alternate screen) and went away.
        start = raw.index(b"\x1b[?1049h")
        self.assertIn(b"running", raw[start:])
        self.assertLess(raw.rindex(b"\x1b[?1049l"), raw.index(b"repopool: 10 tasks in"))

    def test_exit_when_done_with_failures(self):
        self.start("--demo", "12", "--demo-mean", "0.2", "--demo-fail", "0.5", "--seed", "3", "-j", "3",
                   "--exit-when-done")
        self.assertEqual(self.wait_exit(), 1)
        screen = self.screen()
        m = re.search(r"(?m)^repopool: 12 tasks in [^:]*: (\d+) ok, (\d+) failed", screen)
        self.assertIsNotNone(m, screen)
        ok, failed = int(m.group(1)), int(m.group(2))
        self.assertGreater(failed, 0, screen)
        self.assertEqual(ok + failed, 12, screen)
        # Each failed task's line comes before the summary; no ok task's.
        lines = screen.split("\n")
        summary_at = next(i for i, line in enumerate(lines) if SUMMARY_RE.match(line))
        failed_lines = [line for line in lines[:summary_at] if re.match(r"^failed +\d", line)]
        self.assertEqual(len(failed_lines), failed, screen)
        self.assertFalse(any(re.match(r"^ok +\d", line) for line in lines), screen)


class TestSuspend(Dashboard):
    def test_ctrl_z_then_fg_resumes(self):
        self.start("--demo", "30", "--demo-mean", "0.3", "--seed", "21", "-j", "2")
        h, s = self.wait_header(lambda h: h["done"] >= 1, "a task done")
        self.assertLess(h["done"], 30, "the run ended before Ctrl-Z")
        self.keys("C-z")
        s = self.wait_screen(lambda s: "Stopped" in s and s.rstrip().endswith(PROMPT.rstrip()),
                             "the shell's prompt with the job stopped")
        self.assertFalse(self.alternate_on(), "still on the alternate screen while stopped")
        self.assertEqual(self.display("#{cursor_flag}"), "1")
        self.wait_until(lambda: self.prompts()[self.baseline:] == ["148"], "the shell to see the job stop")
        self.assertEqual([state for _, name, state in processes_with(self.run_tag, with_state=True)
                          if name == "repopool"], ["T"])

        self.shell("fg")
        self.wait_until(self.alternate_on, "the alternate screen again")
        # The whole screen is drawn again, not only what changed.
        h, s = self.wait_header(lambda h: True, "the dashboard again")
        s = self.wait_screen(lambda s: "qQuit" in s.split("\n")[-1] and "S  REPOSITORY" in s,
                             "the table and footer again")
        h, s = self.wait_header(lambda h: h["done"] == 30, "the run to the end", timeout=EXIT_WAIT)
        self.assertEqual(table_rows(s)[0][0], "O", s)
        # Keys still work after the resume.
        self.type("q")
        self.assertEqual(self.wait_exit(), 0)
        self.assertRegex(self.summary_line() or "", r"^repopool: 30 tasks in .*: 30 ok")


if __name__ == "__main__":
    unittest.main(verbosity=2)
