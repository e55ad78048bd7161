"""What `repopool --help` offers, as data: its long and short options and
the `--git` operations. The documentation tests (the manual, the shell
completions) check their files against it, so an option added to the help
and forgotten elsewhere fails a test instead of going stale.

Only the binary's own help is read: no list of options is kept here.
"""

import re
import subprocess

from .config import REPOPOOL, RUN_TIMEOUT

# An option's name: a letter, then letters, digits and dashes ("--no-tui").
_LONG = re.compile(r"(?<![\w-])--([A-Za-z][A-Za-z0-9-]*)")
# A short option opens a line of the option column ("  -j, --jobs=N").
_SHORT = re.compile(r"^\s+-([A-Za-z0-9])(?![\w-])", re.M)


def help_text(env=None):
    """The output of `repopool --help` (which must exit 0)."""
    p = subprocess.run([REPOPOOL, "--help"], env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
    if p.returncode != 0:
        raise AssertionError("repopool --help exited %d: %s" % (p.returncode, p.stderr.decode()))
    return p.stdout.decode()


def long_options(text):
    """Every --name the help mentions, in the option column or in a
    description ("--depth=N", "--demo-mean=SEC"), without the dashes."""
    return sorted(set(_LONG.findall(text)))


def short_options(text):
    """Every -X that opens a line of the help's option column."""
    return sorted(set(_SHORT.findall(text)))


def git_operations(text):
    """The operations of the -g/--git line: "status | fetch | pull (...)"."""
    for line in text.splitlines():
        if re.search(r"--git=\w+\s", line) and ":" in line:
            ops = re.sub(r"\([^)]*\)", "", line.split(":", 1)[1])
            return [op.strip() for op in ops.split("|") if op.strip()]
    raise AssertionError("no --git=OP line in the help:\n" + text)


def mentions_option(text, option):
    """Whether text names option ("--scan", "-s") as a whole word: not as
    a part of a longer one ("--demo" in "--demo-mean")."""
    return re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(option), text) is not None
