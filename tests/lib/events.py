"""repopool's JSON Lines events: parsing, a run's Result, and the checks
every event stream must pass (DESIGN.md)."""

import json
import math

from .config import STATUSES

CLASSES = {
    "none", "usage", "not-a-repo", "owner", "auth", "network", "refused", "timeout",
    "dirty", "diverged", "detached", "no-upstream", "locked", "exit", "signal", "internal",
}
CAP_BY = {"key", "signal", "option", "auto"}

SANITIZER_MARKERS = (b"runtime error:", b"Sanitizer", b"internal error")


def check_no_sanitizer_report(test, stderr):
    """Under -Db_sanitize a report on stderr fails whatever the status was."""
    for marker in SANITIZER_MARKERS:
        test.assertNotIn(marker, stderr, stderr.decode("utf-8", "replace")[-3000:])


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


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_number(v):
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) and math.isfinite(v)


class Events:
    """Looks into self.events."""

    def of(self, kind):
        return [e for e in self.events if e["event"] == kind]

    def ends(self):
        return self.of("end")

    def end_by_repo(self):
        """The last end event of each repository."""
        return {e["repo"]: e for e in self.ends()}

    def starts(self):
        return self.of("start")

    def retries(self):
        return self.of("retry")

    def summary(self):
        s = self.of("summary")
        return s[-1] if s else None


class Result(Events):
    """A finished run of repopool."""

    def __init__(self, args, returncode, stdout, stderr, events):
        self.args = args
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.events = events

    def describe(self):
        return "repopool %s\nexit %s\nstdout (end):\n%s\nstderr (end):\n%s" % (
            " ".join(repr(a) for a in self.args[:40]), self.returncode,
            self.stdout.decode("utf-8", "replace")[-6000:],
            self.stderr.decode("utf-8", "replace")[-3000:])


class EventChecker(Events):
    """Checks an event stream against DESIGN.md: check_basic() what every
    JSON run must satisfy, check() that and the pool's state followed
    through every event."""

    def __init__(self, test, events, total=None, op=None, cap_lowered=False, describe=None):
        self.test = test
        self.events = events
        self.total = total
        self.op = op
        self.cap_lowered = cap_lowered
        self.describe = describe or (lambda: "events (end): %r" % self.events[-5:])

    def check_basic(self):
        """The initial cap first, the summary last and once, one end per
        task, and a summary whose counts are those of the end events.
        Returns the summary."""
        t = self.test
        ev = self.events
        t.assertGreaterEqual(len(ev), 2, self.describe())
        t.assertEqual(ev[0]["event"], "cap", self.describe())
        t.assertEqual(ev[-1]["event"], "summary", self.describe())
        t.assertEqual(len(self.of("summary")), 1, self.describe())
        ends = self.ends()
        ids = [e["id"] for e in ends]
        t.assertEqual(len(ids), len(set(ids)), "a task ended twice")
        s = ev[-1]
        t.assertEqual(s["total"], len(ends), "summary total vs. end events")
        if self.total is not None:
            t.assertEqual(s["total"], self.total)
            t.assertEqual(sorted(ids), list(range(1, self.total + 1)))
        for status in STATUSES:
            t.assertEqual(s[status], sum(1 for e in ends if e["status"] == status),
                          "summary %s count" % status)
        t.assertEqual(s["total"], s["ok"] + s["failed"] + s["skipped"] + s["cancelled"])
        last = 0.0
        for e in ev:
            t.assertGreaterEqual(e["t"], last, "time goes backwards at %r" % e)
            last = e["t"]
        return s

    def check(self):
        t = self.test
        ev = self.events
        t.assertGreaterEqual(len(ev), 2, "too few events")
        first = ev[0]
        t.assertEqual(first["event"], "cap", "the first event is the initial cap")
        t.assertEqual(first["by"], "option")
        t.assertEqual(ev[-1]["event"], "summary", "the last event is the summary")
        t.assertEqual([e["event"] for e in ev].count("summary"), 1)

        last_t = 0.0
        cap = None
        running_ids = set()
        started = {}      # id -> attempts started
        ended = {}        # id -> end event
        waiting_retry = set()
        queued = None
        # Tasks the run knows of: a list still being read adds tasks
        # between events (with ids above every one before), so this only
        # grows, every id seen is among them, and it ends at the total.
        known = 0
        peak = 0
        for e in ev:
            kind = e.get("event")
            t.assertIn(kind, {"cap", "start", "end", "retry", "summary"}, e)
            t.assertTrue(is_number(e.get("t")), e)
            t.assertGreaterEqual(e["t"], last_t, "time goes backwards at %r" % e)
            last_t = e["t"]
            if kind == "cap":
                t.assertTrue(is_int(e.get("cap")) and e["cap"] >= 0, e)
                t.assertIn(e.get("by"), CAP_BY, e)
                cap = e["cap"]
                continue
            if kind == "summary":
                self.check_summary(e, ended, peak)
                continue
            t.assertTrue(is_int(e.get("id")) and e["id"] >= 1, e)
            i = e["id"]
            t.assertNotIn(i, ended, "event after the end of task %d: %r" % (i, e))
            if kind == "retry":
                t.assertTrue(is_int(e.get("attempt")) and e["attempt"] >= 2, e)
                t.assertTrue(is_number(e.get("after")) and e["after"] >= 0, e)
                t.assertIn(i, running_ids, "retry of a task that did not run: %r" % e)
                t.assertEqual(e["attempt"], started[i] + 1, e)
                running_ids.discard(i)
                waiting_retry.add(i)
                queued += 1
                continue
            # start and end share these fields
            t.assertIsInstance(e.get("repo"), str, e)
            t.assertIsInstance(e.get("op"), str, e)
            if self.op:
                t.assertEqual(e["op"], self.op, e)
            t.assertTrue(is_int(e.get("attempt")) and e["attempt"] >= 0, e)
            for key in ("running", "queued", "cap"):
                t.assertTrue(is_int(e.get(key)) and e[key] >= 0, "%s in %r" % (key, e))
            t.assertEqual(e["cap"], cap, "cap differs from the last cap event: %r" % e)
            if kind == "start":
                t.assertNotIn(i, running_ids, "task %d started twice at once" % i)
                t.assertEqual(e["attempt"], started.get(i, 0) + 1, e)
                if queued is None:
                    queued = e["queued"] + 1
                started[i] = e["attempt"]
                running_ids.add(i)
                waiting_retry.discard(i)
                queued -= 1
                # A start never takes the pool past its cap.
                t.assertLessEqual(e["running"], e["cap"], e)
            else:
                t.assertIn(e.get("status"), STATUSES, e)
                t.assertIn(e.get("class"), CLASSES, e)
                t.assertTrue(e.get("exit") is None or is_int(e["exit"]), e)
                t.assertTrue(is_number(e.get("duration")) and e["duration"] >= 0, e)
                t.assertIsInstance(e.get("summary"), str, e)
                t.assertNotIn("\n", e["summary"])
                t.assertEqual(e["attempt"], started.get(i, 0), e)
                if e["status"] == "ok":
                    t.assertEqual(e["class"], "none", e)
                    t.assertEqual(e["exit"], 0, e)
                elif e["status"] == "failed":
                    t.assertNotEqual(e["class"], "none", e)
                if i in running_ids:
                    running_ids.discard(i)
                else:
                    # Ended without running: cancelled in the queue, or while
                    # it waited for a retry.
                    t.assertEqual(e["status"], "cancelled", e)
                    if queued is None:
                        queued = e["queued"] + 1
                    queued -= 1
                ended[i] = e
            t.assertEqual(e["running"], len(running_ids), "running is off at %r" % e)
            # Tasks added since the last event join the queue; none leaves
            # it unseen.
            t.assertGreaterEqual(e["queued"], queued, "queued is off at %r" % e)
            queued = e["queued"]
            now_known = queued + len(running_ids) + len(ended)
            t.assertGreaterEqual(now_known, known, "tasks vanished at %r" % e)
            known = now_known
            t.assertLessEqual(i, known, "an id beyond the tasks known at %r" % e)
            if self.total is not None:
                t.assertLessEqual(known, self.total, "more tasks than the total at %r" % e)
            if not self.cap_lowered:
                t.assertLessEqual(e["running"], e["cap"], e)
            peak = max(peak, e["running"])

        t.assertEqual(running_ids, set(), "tasks still running at the end")
        t.assertEqual(queued or 0, 0, "tasks still queued at the end")
        ids = sorted(ended)
        if self.total is not None:
            t.assertEqual(ids, list(range(1, self.total + 1)), "every task ends exactly once")
        self.ended = ended
        self.started = started
        return self

    def check_summary(self, e, ended, peak):
        t = self.test
        for key in ("total", "ok", "failed", "skipped", "cancelled", "peak_running"):
            t.assertTrue(is_int(e.get(key)) and e[key] >= 0, "%s in %r" % (key, e))
        t.assertTrue(is_number(e.get("elapsed")) and e["elapsed"] >= 0, e)
        if self.total is not None:
            t.assertEqual(e["total"], self.total)
        t.assertEqual(e["total"], len(ended), "summary total vs. end events")
        for status in STATUSES:
            n = sum(1 for x in ended.values() if x["status"] == status)
            t.assertEqual(e[status], n, "summary %s count" % status)
        t.assertEqual(e["total"], e["ok"] + e["failed"] + e["skipped"] + e["cancelled"])
        t.assertEqual(e["peak_running"], peak, "peak_running vs. the events")
