#!/usr/bin/env python3
"""Abuse test: a repository list of 10,000 lines, a fifth of them bad.

`repopool --json -j 16 -f LIST -- true` over a list (shuffled with a fixed
seed) of 8,000 good directories and 2,000 bad lines:

  missing paths, files instead of directories, unreadable directories
  (mode 000, and directories inside a mode 000 parent), duplicates (the
  same path again, with a trailing slash, through "." and "..", and through
  symlinks), binary garbage (random bytes, NUL bytes in half of them),
  lines longer than PATH_MAX (up to 1 MB) and paths just under PATH_MAX,
  blank lines, whitespace-only lines and comments.

Every bad line must be reported as a failed end event (class usage or
not-a-repo), except duplicates, which run once, and blanks and comments,
which are skipped; every good directory runs once and ends ok; the counts
add up exactly and the exit status is 1.

As root, access checks pass: an unreadable directory is entered and its
task runs ok. The test then expects ok for those lines (and says so on
stderr); as any other user it expects failed / not-a-repo.
"""

import os
import random
import shutil
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import TestCase  # noqa: E402

PATH_MAX = 4096
SEED = 20240611

N_GOOD = 8000
# The 2,000 bad lines.
N_MISSING = 300
N_FILES = 300
N_UNREADABLE = 100          # mode 000 directories
N_UNDER_UNREADABLE = 50     # directories inside a mode 000 parent
N_DUP_SAME = 100
N_DUP_SLASH = 50
N_DUP_DOTS = 50
N_DUP_SYMLINK = 100
N_GARBAGE_NUL = 150
N_GARBAGE = 150
N_LONG = 240                # at least PATH_MAX bytes
N_NEAR_LONG = 10            # just under PATH_MAX, naming nothing
N_BLANK = 400


class RepoList(TestCase):
    def test_ten_thousand_lines_a_fifth_bad(self):
        rng = random.Random(SEED)
        root = os.geteuid() == 0
        lines = []          # (kind, bytes)
        good = []           # canonical paths of good directories

        gdir = self.path("good")
        os.mkdir(gdir)
        for i in range(N_GOOD):
            # A few names with spaces and non-ASCII letters among them.
            name = "d%05d" % i if i % 97 else "d %05d ünï" % i
            p = os.path.join(gdir, name)
            os.mkdir(p)
            good.append(p)
            # Some lines relative to the current directory (the test's).
            text = p if i % 5 else os.path.relpath(p, self.tmp)
            lines.append(("good", os.fsencode(text)))

        missing = [self.path("missing", "m%04d" % i) for i in range(N_MISSING)]
        lines += [("missing", os.fsencode(p)) for p in missing]

        files = []
        os.mkdir(self.path("files"))
        for i in range(N_FILES):
            p = self.path("files", "f%04d" % i)
            self.write(p, "not a directory\n")
            files.append(p)
        lines += [("file", os.fsencode(p)) for p in files]

        unreadable = []
        os.mkdir(self.path("locked"))
        for i in range(N_UNREADABLE):
            p = self.path("locked", "u%04d" % i)
            os.mkdir(p)
            unreadable.append(p)
        parent = self.path("locked", "parent")
        os.mkdir(parent)
        for i in range(N_UNDER_UNREADABLE):
            p = os.path.join(parent, "c%04d" % i)
            os.mkdir(p)
            unreadable.append(p)
        for p in unreadable[:N_UNREADABLE]:
            os.chmod(p, 0)
        os.chmod(parent, 0)
        lines += [("unreadable", os.fsencode(p)) for p in unreadable]

        dups = rng.sample(good, N_DUP_SAME + N_DUP_SLASH + N_DUP_DOTS + N_DUP_SYMLINK)
        k = 0
        for p in dups[k:k + N_DUP_SAME]:
            lines.append(("dup", os.fsencode(p)))
        k += N_DUP_SAME
        for p in dups[k:k + N_DUP_SLASH]:
            lines.append(("dup", os.fsencode(p + "/")))
        k += N_DUP_SLASH
        for p in dups[k:k + N_DUP_DOTS]:
            d, b = os.path.split(p)
            lines.append(("dup", os.fsencode(os.path.join(d, ".", "..", "good", b, "."))))
        k += N_DUP_DOTS
        os.mkdir(self.path("links"))
        for i, p in enumerate(dups[k:k + N_DUP_SYMLINK]):
            link = self.path("links", "l%04d" % i)
            os.symlink(p, link)
            lines.append(("dup", os.fsencode(link)))

        # Garbage: random bytes behind "\xff\xfe" (no such directory, so
        # whatever follows cannot name one), never a newline, never
        # starting like a comment or ending in a carriage return; unique,
        # so none is a duplicate of another.
        def garbage(i, nul):
            body = bytes(rng.choice([b for b in range(256) if b not in (10, 0)])
                         for _ in range(rng.randint(1, 120)))
            if nul:
                at = rng.randint(0, len(body))
                body = body[:at] + b"\0" + body[at:]
            return b"\xff\xfe" + body + b"#%d" % i
        lines += [("garbage-nul", garbage(i, True)) for i in range(N_GARBAGE_NUL)]
        lines += [("garbage", garbage(i, False)) for i in range(N_GARBAGE)]

        long_lengths = [PATH_MAX, PATH_MAX + 1, 2 * PATH_MAX, 65536, 1000000]
        for i in range(N_LONG):
            n = long_lengths[i] if i < len(long_lengths) else rng.randint(PATH_MAX, 3 * PATH_MAX)
            stem = os.fsencode(self.path("long%03d-" % i))
            lines.append(("long", stem + b"x" * (n - len(stem))))
        for i in range(N_NEAR_LONG):
            # Under PATH_MAX, in components short enough to be names.
            stem = os.fsencode(self.path("near%02d" % i))
            text = stem + b"/abcdefgh" * ((PATH_MAX - 1 - len(stem)) // 9)
            self.assertLess(len(text), PATH_MAX)
            lines.append(("near-long", text))

        blanks = [b"", b" ", b"   ", b"\t", b" \t ", b"#", b"# a comment", b"   # indented",
                  b"\t#tab", b"#" + bytes(range(1, 10)), b"\r", b"# \xff\xfe not utf-8"]
        lines += [("blank", blanks[i % len(blanks)]) for i in range(N_BLANK)]

        self.assertEqual(len(lines), 10000)
        self.assertEqual(sum(1 for kind, _ in lines if kind != "good"), 2000, "a fifth is bad")
        rng.shuffle(lines)
        listing = self.path("list")
        with open(listing, "wb") as f:
            f.write(b"".join(text + b"\n" for _, text in lines))

        res = self.repopool(["--json", "-j", "16", "-f", listing, "--", "true"], cwd=self.tmp)
        self.assert_exit(res, 1)

        n_runnable = (N_GOOD + N_MISSING + N_FILES + len(unreadable) + N_GARBAGE_NUL + N_GARBAGE +
                      N_LONG + N_NEAR_LONG)
        summary = self.check_events(res, total=n_runnable)
        ends = res.ends()
        by_repo = {}
        for e in ends:
            by_repo.setdefault(e["repo"], []).append(e)
        starts = {}
        for e in res.of("start"):
            starts[e["repo"]] = starts.get(e["repo"], 0) + 1

        problems = []

        def expect(path, status, cls, summary=None):
            got = by_repo.get(path, [])
            if len(got) != 1:
                problems.append("%r: %d end events" % (path, len(got)))
                return
            e = got[0]
            if (e["status"], e["class"]) != (status, cls):
                problems.append("%r: %s/%s, expected %s/%s (%s)" % (
                    path, e["status"], e["class"], status, cls, e["summary"]))
            elif summary is not None and e["summary"] != summary:
                problems.append("%r: summary %r, expected %r" % (path, e["summary"], summary))

        # Good directories, duplicates included: one task each, ok.
        for p in good:
            expect(p, "ok", "none")
            if starts.get(p) != 1:
                problems.append("%r started %s times" % (p, starts.get(p)))
        for p in missing:
            expect(p, "failed", "not-a-repo", "No such file or directory")
        for p in files:
            expect(p, "failed", "not-a-repo", "not a directory")
        if root:
            sys.stderr.write("\nrunning as root: access checks pass, the %d unreadable directories "
                             "are expected to run ok\n" % len(unreadable))
            for p in unreadable:
                expect(p, "ok", "none")
        else:
            for p in unreadable:
                expect(p, "failed", "not-a-repo", "Permission denied")
        for kind, text in lines:
            if kind == "near-long":
                e = by_repo.get(os.fsdecode(text), [])
                if len(e) != 1 or (e[0]["status"], e[0]["class"]) != ("failed", "not-a-repo"):
                    problems.append("a path just under PATH_MAX: %r" % e)
        self.assertFalse(problems, "\n".join(problems[:50]))

        # Bad lines without a faithful name (invalid UTF-8 is shown as
        # U+FFFD, long lines by their first bytes): by class and count.
        known = set(good) | set(missing) | set(files) | set(unreadable) | \
            {os.fsdecode(t) for k, t in lines if k == "near-long"}
        rest = [e for e in ends if e["repo"] not in known]
        usage = [e for e in rest if e["class"] == "usage"]
        not_repo = [e for e in rest if e["class"] == "not-a-repo"]
        self.assertEqual(len(rest), N_GARBAGE_NUL + N_GARBAGE + N_LONG,
                         [e for e in rest if e["class"] not in ("usage", "not-a-repo")][:5])
        self.assertTrue(all(e["status"] == "failed" for e in rest))
        self.assertEqual(len(usage), N_GARBAGE_NUL + N_LONG, "NUL bytes and long lines are usage failures")
        self.assertEqual(len(not_repo), N_GARBAGE, "garbage without NUL names nothing")
        self.assertEqual(sum(1 for e in usage if "NUL" in e["summary"]), N_GARBAGE_NUL,
                         [e["summary"] for e in usage][:5])
        self.assertEqual(sum(1 for e in usage if "PATH_MAX" in e["summary"]), N_LONG,
                         [e["summary"] for e in usage][:5])
        for e in rest:
            self.assertLess(len(e["repo"].encode()), PATH_MAX, "a long line is named by its start")
            self.assertEqual(e["attempt"], 1, e)

        # The counts add up exactly.
        n_ok = N_GOOD + (len(unreadable) if root else 0)
        self.assertEqual(summary["ok"], n_ok)
        self.assertEqual(summary["failed"], n_runnable - n_ok)
        self.assertEqual(summary["skipped"], 0)
        self.assertEqual(summary["cancelled"], 0)
        self.assertEqual(summary["total"], 10000 - (N_DUP_SAME + N_DUP_SLASH + N_DUP_DOTS + N_DUP_SYMLINK) -
                         N_BLANK)
        self.assertLessEqual(summary["peak_running"], 16)


    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("setpriv"),
                         "needs root and setpriv to run repopool as another user")
    def test_unreadable_directories_as_an_unprivileged_user(self):
        """Root passes every access check, so the big list cannot show an
        unreadable directory failing: here repopool runs as nobody."""
        os.chmod(self.tmp, 0o755)
        good, no_perm, no_read = (self.path(n) for n in ("good", "no-perm", "no-read"))
        parent = self.path("locked-parent")
        under = os.path.join(parent, "child")
        for p in (good, no_perm, no_read, under):
            os.makedirs(p)
        os.chmod(no_perm, 0)
        os.chmod(no_read, 0o311)     # enterable, not listable
        os.chmod(parent, 0)
        listing = self.path("list")
        self.write(listing, "\n".join([good, no_perm, no_read, under, ""]))
        res = self.repopool(["--json", "-f", listing, "--", "true"], cwd=self.tmp,
                            prefix=["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
        self.assert_exit(res, 1)
        self.check_events(res, total=4)
        ends = res.end_by_repo()
        self.assertEqual(ends[good]["status"], "ok", res.describe())
        for p in (no_perm, no_read, under):
            e = ends.get(p)
            self.assertIsNotNone(e, res.describe())
            self.assertEqual((e["status"], e["class"], e["summary"]),
                             ("failed", "not-a-repo", "Permission denied"), e)


if __name__ == "__main__":
    unittest.main(verbosity=2)
