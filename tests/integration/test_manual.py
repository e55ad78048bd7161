#!/usr/bin/env python3
"""The manual page (assets/repopool.1) against the program.

Every long and short option `repopool --help` prints is described in the
OPTIONS section, every --git operation in GIT OPERATIONS, every dashboard
key in DASHBOARD, every environment variable the source reads in
ENVIRONMENT; no option heading names an option the help does not know; the
page's version is the binary's; and groff formats it without a warning.
An option added to the help and not to the manual fails here.

The binary is named by the REPOPOOL environment variable.
"""

import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import TestCase  # noqa: E402
from lib.clihelp import (git_operations, help_text, long_options, mentions_option,  # noqa: E402
                         short_options)
from lib.config import REPOPOOL, SOURCE_DIR  # noqa: E402

MAN_PAGE = os.path.join(SOURCE_DIR, "assets", "repopool.1")
ACTIONS_HEADER = os.path.join(SOURCE_DIR, "include", "repopool", "ui.h")


def man_source():
    with open(MAN_PAGE, encoding="utf-8") as f:
        return f.read()


def plain(roff):
    """roff source as the words it shows: escaped dashes and quotes as
    characters, font changes and quotes around macro arguments gone."""
    text = roff.replace("\\-", "-").replace("\\(aq", "'")
    text = text.replace("\\(lq", '"').replace("\\(rq", '"').replace("\\e", "\\")
    return re.sub(r"\\f[BIRP]", "", text)


def sections(roff):
    """{section name: its roff source}, split at each .SH."""
    out = {}
    name = None
    for line in roff.splitlines():
        m = re.match(r'\.SH\s+"?([^"]*)"?\s*$', line)
        if m:
            name = m.group(1).strip()
            out[name] = ""
        elif name is not None:
            out[name] += line + "\n"
    return out


def tagged_paragraph_heads(roff):
    """The plain text of each line that follows a .TP or .TQ: the tags of
    the tagged paragraphs (an option, a key, a variable)."""
    lines = roff.splitlines()
    heads = []
    for i, line in enumerate(lines[:-1]):
        if re.match(r"\.T[PQ]\b", line):
            head = re.sub(r"^\.(B|I|BR|BI|IR|RB|IB)\s+", "", lines[i + 1])
            heads.append(plain(head).replace('"', ""))
    return heads


def missing_options(help_out, roff):
    """The options of the help that the OPTIONS section does not name."""
    options = plain(sections(roff).get("OPTIONS", ""))
    wanted = ["--" + o for o in long_options(help_out)] + ["-" + o for o in short_options(help_out)]
    return [o for o in wanted if not mentions_option(options, o)]


def action_keys():
    """The keys of the dashboard's action list (UI_ACTION_LIST in ui.h),
    as its help screen shows them: "?", "F1", "Enter", "PgUp", ..."""
    with open(ACTIONS_HEADER, encoding="utf-8") as f:
        src = f.read()
    rows = re.findall(r'X\(\s*[A-Z_]+\s*,\s*"([^"]*)"', src)
    if len(rows) < 10:
        raise AssertionError("cannot read the action list of %s" % ACTIONS_HEADER)
    return sorted({key for row in rows for key in row.split()})


class TestManual(TestCase):
    def setUp(self):
        super().setUp()
        self.help = help_text(self.env)
        self.roff = man_source()
        self.sections = sections(self.roff)

    def test_sections(self):
        for name in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "GIT OPERATIONS", "DASHBOARD",
                     "SIGNALS", "ENVIRONMENT", "EXIT STATUS", "EXAMPLES", "SEE ALSO"):
            self.assertIn(name, self.sections, "the manual has no %s section" % name)
        self.assertNotIn("not built yet", plain(self.roff))

    def test_every_option_of_the_help_is_in_the_manual(self):
        # A help the parser could not read would pass vacuously.
        self.assertGreaterEqual(len(long_options(self.help)), 25, self.help)
        self.assertGreaterEqual(len(short_options(self.help)), 5, self.help)
        missing = missing_options(self.help, self.roff)
        self.assertEqual(missing, [], "options in `repopool --help` but not in the OPTIONS "
                         "section of %s" % MAN_PAGE)

    def test_the_check_notices_a_missing_option(self):
        # The same check on the page without --scan and -s must name them.
        roff = self.roff.replace("\\-\\-scan", "\\-\\-elsewhere").replace(".BR \\-s ", ".BR \\-x ")
        before = set(missing_options(self.help, self.roff))
        self.assertEqual(set(missing_options(self.help, roff)) - before, {"--scan", "-s"})

    def test_no_option_heading_the_help_does_not_know(self):
        longs = set(long_options(self.help))
        shorts = set(short_options(self.help))
        heads = tagged_paragraph_heads(self.sections["OPTIONS"])
        named = 0
        for head in heads:
            for name in re.findall(r"(?<![\w-])--([A-Za-z][\w-]*)", head):
                named += 1
                self.assertIn(name, longs, "the manual describes --%s, which --help does not know" % name)
            for name in re.findall(r"(?<![\w-])-([A-Za-z0-9])(?![\w-])", head):
                named += 1
                self.assertIn(name, shorts, "the manual describes -%s, which --help does not know" % name)
        self.assertGreaterEqual(named, 25)

    def test_every_git_operation_is_in_the_manual(self):
        ops = git_operations(self.help)
        self.assertIn("status", ops)
        heads = tagged_paragraph_heads(self.sections["GIT OPERATIONS"])
        for op in ops:
            self.assertIn(op, heads, "--git %s is not described in GIT OPERATIONS" % op)
            self.assertTrue(mentions_option(plain(self.sections["OPTIONS"]), op),
                            "--git %s is not named under --git in OPTIONS" % op)
        # No operation the program no longer has.
        self.assertEqual(sorted(heads), sorted(ops))

    def test_every_dashboard_key_is_in_the_manual(self):
        heads = tagged_paragraph_heads(self.sections["DASHBOARD"])
        keys = {k for head in heads for k in re.split(r"[\s,()]+", head) if k}
        for key in action_keys():
            self.assertIn(key, keys, "the dashboard key %r is not in the manual's DASHBOARD" % key)

    def test_every_environment_variable_read_is_in_the_manual(self):
        read = set()
        for top, _dirs, files in os.walk(os.path.join(SOURCE_DIR, "src")):
            for name in files:
                if name.endswith(".c"):
                    with open(os.path.join(top, name), encoding="utf-8") as f:
                        read.update(re.findall(r'getenv\("([A-Za-z_][A-Za-z0-9_]*)"\)', f.read()))
        self.assertIn("NO_COLOR", read)
        heads = " ".join(tagged_paragraph_heads(self.sections["ENVIRONMENT"]))
        for var in sorted(read):
            self.assertTrue(mentions_option(heads, var), "$%s is read but not in ENVIRONMENT" % var)

    def test_exit_statuses_of_the_help_are_in_the_manual(self):
        statuses = plain(self.sections["EXIT STATUS"])
        tail = self.help[self.help.index("Exit status:"):]
        for code in re.findall(r"\b(\d+)\b", tail):
            self.assertRegex(statuses, r"\b%s\b" % code)

    def test_version(self):
        p = subprocess.run([REPOPOOL, "-V"], stdout=subprocess.PIPE, env=self.env, check=True)
        version = p.stdout.decode().split()[-1]
        th = next(line for line in self.roff.splitlines() if line.startswith(".TH "))
        self.assertIn('"repopool %s"' % version, th, "the manual's .TH names another version")

    @unittest.skipUnless(shutil.which("groff"), "groff is not installed")
    def test_groff_formats_it_without_warnings(self):
        p = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", MAN_PAGE],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env)
        self.assertEqual((p.returncode, p.stderr.decode()), (0, ""))


if __name__ == "__main__":
    unittest.main(verbosity=2)
