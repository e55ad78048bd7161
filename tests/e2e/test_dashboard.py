#!/usr/bin/env python3
"""End-to-end tests of the live dashboard: the real binary in a real terminal.

Each test starts its own tmux server (a private socket), runs an interactive
bash in a 100x30 pane and types the repopool command into it, as a user
would (lib.dashboard.DashboardTestCase): repopool is the shell's foreground
job, and the test knows when it has exited, with which status, and whether
the terminal was given back as it was. The test presses keys with
send-keys and reads the screen with capture-pane; pipe-pane copies every
byte the pane's programs write to the terminal into a file, so the tests
can also look at the raw stream.

Nothing waits a fixed time: every wait polls the pane until what the test
expects shows up, with a generous deadline that only guards against a hang.
No assertion depends on how fast anything is.

Every process a test starts carries a marker in its environment; cleanup
kills the tmux server and then makes sure none of them is left, so meson
may run this file next to the other suites.

The binary is named by the REPOPOOL environment variable.
"""

import os
import re
import shlex
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.config import SOURCE_DIR  # noqa: E402
from lib.dashboard import (  # noqa: E402
    EXIT_WAIT, HEIGHT, POLL, PROMPT, SUMMARY_RE, WIDTH, DashboardTestCase, header, table_rows)
from lib.procs import processes_with  # noqa: E402

UI_HEADER = os.path.join(SOURCE_DIR, "include", "repopool", "ui.h")


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



class TestCap(DashboardTestCase):
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
        # The tasks quitting cancelled are one line, not one each.
        self.assertIn("repopool: 6 tasks cancelled: 3 running, 3 queued", screen)
        self.assertNotRegex(screen, r"(?m)^cancelled ", screen)


class TestPause(DashboardTestCase):
    def test_p_pauses_and_resumes(self):
        self.start("--demo", "40", "--demo-mean", "0.4", "--seed", "11", "-j", "3")
        self.wait_dashboard()
        self.type("p")
        h, s = self.wait_header(lambda h: h["cap"] == 0 and h["paused"], "cap 0 paused")
        self.assertIn("cap 0 paused", s.split("\n")[0])
        self.assertGreater(h["queued"], 0, "the run ended before the pause: %s" % s)

        # Running tasks finish; nothing new starts.
        h, s = self.wait_header(lambda h: h["running"] == 0, "running 0 while paused")
        queued, done = h["queued"], h["ok"] + h["failed"]
        self.assertGreater(queued, 0, s)
        # Let the clock in the header move on by more than a second, then
        # look again: still nothing started.
        t0 = h["elapsed"]
        h2, s2 = self.wait_header(lambda h: h["elapsed"] >= t0 + 1.5, "the clock to move on while paused")
        self.assertEqual((h2["running"], h2["queued"], h2["ok"] + h2["failed"]), (0, queued, done), s2)
        self.assertTrue(h2["paused"], s2)
        self.assertFalse(any(m == "R" for m, _ in table_rows(s2)), s2)

        self.type("p")
        h, s = self.wait_header(lambda h: h["cap"] == 3 and not h["paused"], "cap 3 after resuming")
        h, s = self.wait_header(lambda h: h["ok"] == 40 and h["eta"] == "done", "the run to the end",
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


class TestCancel(DashboardTestCase):
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


class TestLogView(DashboardTestCase):
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


class TestResize(DashboardTestCase):
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


class TestQuit(DashboardTestCase):
    def test_q_after_the_run_restores_the_terminal(self):
        self.start("--demo", "12", "--demo-mean", "0.2", "--seed", "5", "-j", "4")
        self.wait_dashboard()
        self.assertTrue(self.alternate_on())
        self.assertEqual(self.display("#{cursor_flag}"), "0", "the cursor shows on the dashboard")
        h, s = self.wait_header(lambda h: h["ok"] == 12 and h["eta"] == "done", "done 12, ETA done")
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
        # What quitting cancelled is one line, running and queued (not a
        # line per task), then the summary.
        self.assertNotRegex(screen, r"(?m)^cancelled ")
        self.assertRegex(screen, r"(?m)^repopool: 3 tasks cancelled: 2 running, 1 queued$")
        self.assertRegex(self.summary_line(screen) or "", r"^repopool: 3 tasks in .*3 cancelled")


class TestHelpAndTimeline(DashboardTestCase):
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
        self.wait_header(lambda h: h["ok"] >= 3, "some tasks done")
        self.type("t")
        s = self.wait_screen(lambda s: s.startswith("timeline "), "the timeline")
        lines = s.split("\n")
        self.assertIn("lanes: slots", lines[0])
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

    def test_h_shows_the_hosts_and_their_learned_limits(self):
        """Two simulated hosts with room for 2 and 6, an adaptive pool with a
        cap of 20: the hosts view lists both, with what each served and
        refused, and the header shows each host's limit."""
        self.start("--demo", "400", "--demo-mean", "0.2", "--seed", "4", "-j", "20", "--adaptive",
                   "--retries", "10", "--demo-capacity", "2,6")
        self.wait_header(lambda h: h["ok"] >= 40, "forty tasks done")
        self.type("h")
        s = self.wait_screen(lambda s: s.startswith("hosts: 2, limits learned from refusals"), "the hosts view")
        lines = s.split("\n")
        self.assertRegex(lines[1], r"^host\s+running\s+limit\s+ok\s+refused\s+last refusal", s)
        rows = {}
        for line in lines[2:4]:
            m = re.match(r"^(demo-host-\d)\s+(\d+)\s+(\d+|closed)\s+(\d+)\s+(\d+)\s+(-|\S+ ago)\s*$", line)
            self.assertIsNotNone(m, s)
            rows[m.group(1)] = m.groups()[1:]
        self.assertEqual(sorted(rows), ["demo-host-1", "demo-host-2"])
        # The host with room for 2 refused at least once, and its limit is
        # below the cap: it was learned.
        running, limit, ok, refused, _last = rows["demo-host-1"]
        self.assertGreater(int(refused), 0, s)
        self.assertTrue(limit == "closed" or int(limit) < 20, s)
        self.assertGreater(int(rows["demo-host-2"][2]), 0, s)
        self.assertIn("hHosts", lines[-1])
        self.type("h")
        self.wait_header(lambda h: True, "the table after h")
        self.quit(expect_confirm=True)
        self.assertIn(self.wait_exit(), (0, 1))


PAYLOAD = (b"title\x1b]0;PWNED\x07 clear\x1b[2J move\x1b[10;10HHIDDEN-BY-CR\r"
           b"after-cr alt\x1b[?1049l end\n")


class TestHostileOutput(DashboardTestCase):
    def test_task_output_cannot_drive_the_terminal(self):
        payload = os.path.join(self.tmp, "payload")
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


class TestTerminals(DashboardTestCase):
    def test_a_terminal_that_cannot_move_the_cursor_runs_headless(self):
        """TERM=dumb once gave a blank or garbled screen: the run goes on
        headless, with one line on stderr saying why."""
        self.start("--demo", "5", "--demo-mean", "0.01", "--seed", "2", env={"TERM": "dumb"})
        self.assertEqual(self.wait_exit(), 0)
        self.assertEqual(self.stderr.decode().strip(),
                         "repopool: the terminal (TERM=dumb) cannot move the cursor; "
                         "going on without the dashboard")
        screen = self.screen()
        self.assertEqual(len(re.findall(r"(?m)^ok +\S+ +demo-\d", screen)), 5, screen)
        self.assertRegex(self.summary_line(screen) or "", r"^repopool: 5 tasks in .*5 ok")

    def test_an_unknown_terminal_runs_headless(self):
        self.start("--demo", "5", "--demo-mean", "0.01", "--seed", "2", env={"TERM": "no-such-terminal"})
        self.assertEqual(self.wait_exit(), 0)
        self.assertEqual(self.stderr.decode().strip(),
                         "repopool: cannot use the terminal (TERM=no-such-terminal); "
                         "going on without the dashboard")
        self.assertRegex(self.summary_line() or "", r"^repopool: 5 tasks in .*5 ok")


class TestInterrupt(DashboardTestCase):
    def test_ctrl_c_stops_everything_and_exits_130(self):
        paths = self.repos("int1", "int2", "int3", "int4")
        self.start("-j", "2", *paths, "--", "sleep", "300")
        self.wait_header(lambda h: h["running"] == 2, "running 2")
        self.wait_until(lambda: len([p for p in processes_with(self.run_tag) if p[1] == "sleep"]) == 2,
                        "two sleep tasks")
        self.keys("C-c")
        self.assertEqual(self.wait_exit(), 130)
        screen = self.screen()
        self.assertNotRegex(screen, r"(?m)^cancelled ")
        self.assertRegex(screen, r"(?m)^repopool: 4 tasks cancelled: 2 running, 2 queued$")
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


class TestHangup(DashboardTestCase):
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


class TestNoColor(DashboardTestCase):
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


class TestColor(DashboardTestCase):
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


class TestExitWhenDone(DashboardTestCase):
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


class TestSuspend(DashboardTestCase):
    def test_ctrl_z_then_fg_resumes(self):
        self.start("--demo", "30", "--demo-mean", "0.3", "--seed", "21", "-j", "2")
        h, s = self.wait_header(lambda h: h["ok"] >= 1, "a task done")
        self.assertLess(h["ok"], 30, "the run ended before Ctrl-Z")
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
        h, s = self.wait_header(lambda h: h["ok"] == 30, "the run to the end", timeout=EXIT_WAIT)
        self.assertEqual(table_rows(s)[0][0], "O", s)
        # Keys still work after the resume.
        self.type("q")
        self.assertEqual(self.wait_exit(), 0)
        self.assertRegex(self.summary_line() or "", r"^repopool: 30 tasks in .*: 30 ok")


if __name__ == "__main__":
    unittest.main(verbosity=2)
