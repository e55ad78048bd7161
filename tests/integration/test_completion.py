#!/usr/bin/env python3
"""The shell completions (assets/completions/) against the program.

    test_completion.py [bash|zsh|fish]

bash (the default): each of the three files names every option of
`repopool --help` and offers exactly its --git operations, and the bash
completion, run as bash runs it (COMP_WORDS, COMP_CWORD, COMPREPLY), in a
plain bash and under bash-completion where that is installed, completes
options, --git operations, --fetch-with values, directories as repositories
and after --scan, files after --repos-from, and a command after '--'.
Also: `meson install` puts each file where its shell looks (read from the
build directory's introspection, so nothing is installed).

zsh and fish: the file parses (`zsh -n`, `fish -n`), and the shell itself
completes with it: fish through `complete -C`, zsh typed into an
interactive zsh in tmux. When the shell is not installed the run exits 77,
which meson counts as a skip.

An option added to the help and not to a completion fails here.

The binary is named by the REPOPOOL environment variable.
"""

import json
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
from lib.config import REPOPOOL, RUN_TIMEOUT, SOURCE_DIR  # noqa: E402

COMPLETIONS = os.path.join(SOURCE_DIR, "assets", "completions")
BASH_FILE = os.path.join(COMPLETIONS, "repopool.bash")
ZSH_FILE = os.path.join(COMPLETIONS, "_repopool")
FISH_FILE = os.path.join(COMPLETIONS, "repopool.fish")
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"
SKIP = 77

# Anti-hang limit for a completion to show in tmux, never a timing assertion.
WAIT = 45


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def code(text):
    """A shell file without its comment lines."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


class Base(TestCase):
    def setUp(self):
        super().setUp()
        self.help = help_text(self.env)
        self.longs = long_options(self.help)
        self.shorts = short_options(self.help)
        self.ops = git_operations(self.help)
        # A help the parser could not read would pass vacuously.
        self.assertGreaterEqual(len(self.longs), 25, self.help)
        self.assertIn("status", self.ops)
        # Where paths are completed: directories, files, one with a space.
        self.work = self.path("work")
        for d in ("alpha", "beta", "my dir"):
            os.makedirs(os.path.join(self.work, d))
        for f in ("afile", "alist.txt"):
            self.write(os.path.join(self.work, f), "")

    def assert_accepted(self, args):
        """repopool parses args (then --help) without a usage error."""
        p = subprocess.run([REPOPOOL] + list(args) + ["--help"], env=self.env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
        self.assertEqual(p.returncode, 0, "repopool rejects %r: %s" % (args, p.stderr.decode()))


class TestFiles(Base):
    """Each completion file names what --help offers, and nothing else."""

    def check_names(self, path, longs, shorts):
        name = os.path.basename(path)
        self.assertEqual([o for o in self.longs if o not in longs], [],
                         "options of --help that %s does not name" % name)
        self.assertEqual([o for o in self.shorts if o not in shorts], [],
                         "short options of --help that %s does not name" % name)
        self.assertEqual(sorted(set(longs) - set(self.longs)), [],
                         "options in %s that --help does not know" % name)

    def test_bash_names_every_option(self):
        text = code(read(BASH_FILE))
        lists = re.findall(r"_repopool_(?:value|flag)_options='([^']*)'", text)
        self.assertEqual(len(lists), 2)
        words = " ".join(lists).split()
        self.check_names(BASH_FILE, [w[2:] for w in words if w.startswith("--")],
                         [w[1:] for w in words if re.fullmatch(r"-\w", w)])
        self.assertEqual(sorted(set(re.findall(r"(?<![\w-])--([A-Za-z][\w-]*)", text)) - set(self.longs)), [])

    def test_zsh_names_every_option(self):
        text = code(read(ZSH_FILE))
        longs = re.findall(r"(?<![\w-])--([A-Za-z][\w-]*)", text)
        self.check_names(ZSH_FILE, longs, [s for s in self.shorts if mentions_option(text, "-" + s)])

    def test_fish_names_every_option(self):
        text = code(read(FISH_FILE))
        longs, shorts = fish_options(text)
        self.check_names(FISH_FILE, longs, shorts)
        # The options that take a value, as __repopool_in_command knows them.
        listed = re.search(r"set -l takes_value ([^\n]*(?:\\\n[^\n]*)*)", text).group(1)
        self.assertIn("--git", listed.split())

    def test_every_file_offers_the_git_operations(self):
        bash = re.search(r"_repopool_git_operations='([^']*)'", read(BASH_FILE)).group(1).split()
        zsh = re.findall(r"^\s*'(\w+):", read(ZSH_FILE), re.M)
        fish = re.findall(r"^\s*(\w+)\\t", read(FISH_FILE), re.M)
        for name, ops in (("bash", bash), ("zsh", zsh), ("fish", fish)):
            self.assertEqual(sorted(ops), sorted(self.ops), "the --git operations of the %s completion" % name)
        for op in self.ops:
            self.assert_accepted(["--git", op])

    def test_installed_where_each_shell_looks(self):
        # What `meson install` copies where, as the build directory of the
        # binary under test records it.
        info = os.path.join(os.path.dirname(REPOPOOL), "meson-info")
        if not os.path.exists(os.path.join(info, "intro-installed.json")):
            self.skipTest("%s is not in a meson build directory" % REPOPOOL)
        with open(os.path.join(info, "intro-installed.json"), encoding="utf-8") as f:
            installed = {os.path.realpath(src): dest for src, dest in json.load(f).items()}
        with open(os.path.join(info, "intro-buildoptions.json"), encoding="utf-8") as f:
            options = {o["name"]: o["value"] for o in json.load(f)}
        datadir = os.path.join(options["prefix"], options["datadir"])
        for src, dest in ((BASH_FILE, "bash-completion/completions/repopool"),
                          (ZSH_FILE, "zsh/site-functions/_repopool"),
                          (FISH_FILE, "fish/vendor_completions.d/repopool.fish")):
            self.assertEqual(installed.get(os.path.realpath(src)), os.path.join(datadir, dest))
        mandir = os.path.join(options["prefix"], options["mandir"])
        self.assertEqual(installed.get(os.path.realpath(os.path.join(SOURCE_DIR, "assets", "repopool.1"))),
                         os.path.join(mandir, "man1", "repopool.1"))

    def test_the_check_notices_a_missing_option(self):
        text = read(FISH_FILE).replace("-l scan ", "-l elsewhere ")
        longs, _shorts = fish_options(code(text))
        with self.assertRaises(AssertionError) as cm:
            self.check_names(FISH_FILE, longs, self.shorts)
        self.assertIn("scan", str(cm.exception))


def fish_options(text):
    """The long and short options the `complete` lines of a fish file
    name (-l NAME, -s X)."""
    lines = [line for line in text.splitlines() if re.match(r"\s*complete\b", line)]
    longs = [n for line in lines for n in re.findall(r"(?<![\w-])-l\s+([A-Za-z][\w-]*)", line)]
    shorts = [n for line in lines for n in re.findall(r"(?<![\w-])-s\s+(\w)(?![\w-])", line)]
    return longs, shorts


class TestBash(Base):
    """_repopool run as bash runs it on a Tab: COMP_WORDS and COMP_CWORD
    in, COMPREPLY out."""

    SCRIPT = r"""
[ -n "$WITH_BASH_COMPLETION" ] && . "$WITH_BASH_COMPLETION"
. "$COMPLETION_FILE"
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
_repopool
printf '%s\0' "${COMPREPLY[@]}"
"""

    def setUp(self):
        super().setUp()
        self.modes = [None]
        if os.path.exists(BASH_COMPLETION):
            self.modes.append(BASH_COMPLETION)

    def complete(self, *words, mode=None):
        """COMPREPLY for the command line words, the last being completed,
        as a sorted list."""
        env = dict(self.env, COMPLETION_FILE=BASH_FILE, WITH_BASH_COMPLETION=mode or "")
        p = subprocess.run(["bash", "--norc", "--noprofile", "-c", self.SCRIPT, "bash", "repopool"] + list(words),
                           cwd=self.work, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
        self.assertEqual((p.returncode, p.stderr.decode()), (0, ""), words)
        return sorted(w.decode() for w in p.stdout.split(b"\0") if w)

    def test_options(self):
        for mode in self.modes:
            with self.subTest(bash_completion=bool(mode)):
                self.assertEqual(self.complete("--", mode=mode), sorted("--" + o for o in self.longs))
                self.assertEqual(self.complete("-", mode=mode),
                                 sorted(["--" + o for o in self.longs] + ["-" + o for o in self.shorts]))
                self.assertEqual(self.complete("--fetch", mode=mode), ["--fetch-with"])
                self.assertEqual(self.complete("-j", "4", "--no-t", mode=mode), ["--no-tui"])
                # A value that looks like an option is still a value.
                self.assertEqual(self.complete("--remote", "--sc", mode=mode), [])

    def test_git_operations(self):
        for mode in self.modes:
            with self.subTest(bash_completion=bool(mode)):
                ops = sorted(self.ops)
                self.assertEqual(self.complete("--git", "", mode=mode), ops)
                self.assertEqual(self.complete("-g", "", mode=mode), ops)
                self.assertEqual(self.complete("-qg", "", mode=mode), ops)
                self.assertEqual(self.complete("--git", "f", mode=mode), ["fetch"])
                # readline splits --git=f at '=' (COMP_WORDBREAKS) ...
                self.assertEqual(self.complete("--git", "=", mode=mode), ops)
                self.assertEqual(self.complete("--git", "=", "p", mode=mode), ["pull"])
                # ... unless '=' is not a word break.
                self.assertEqual(self.complete("--git=st", mode=mode), ["--git=status"])

    def test_fetch_with(self):
        for mode in self.modes:
            with self.subTest(bash_completion=bool(mode)):
                values = self.complete("--fetch-with", "", mode=mode)
                self.assertEqual(values, ["git", "libgit2"])
        for value in values:
            self.assert_accepted(["--git", "fetch", "--fetch-with", value])

    def test_directories_as_repositories(self):
        dirs = ["alpha", "beta", "my dir"]
        for mode in self.modes:
            with self.subTest(bash_completion=bool(mode)):
                self.assertEqual(self.complete("", mode=mode), dirs)
                self.assertEqual(self.complete("a", mode=mode), ["alpha"])
                self.assertEqual(self.complete("--scan", "", mode=mode), dirs)
                self.assertEqual(self.complete("-s", "b", mode=mode), ["beta"])
                self.assertEqual(self.complete("--git", "fetch", "", mode=mode), dirs)

    def test_files_where_an_option_wants_one(self):
        for mode in self.modes:
            with self.subTest(bash_completion=bool(mode)):
                self.assertEqual(self.complete("-f", "", mode=mode),
                                 ["-", "afile", "alist.txt", "alpha", "beta", "my dir"])
                self.assertEqual(self.complete("--repos-from", "al", mode=mode), ["alist.txt", "alpha"])
                self.assertEqual(self.complete("--joblog", "af", mode=mode), ["afile"])

    def test_a_command_after_the_separator(self):
        for mode in self.modes:
            with self.subTest(bash_completion=bool(mode)):
                self.assertIn("git", self.complete("--", "gi", mode=mode))
                # The command's arguments are files, never repopool's options.
                self.assertEqual(self.complete("-j", "2", "--", "git", "--sc", mode=mode), [])
                self.assertIn("afile", self.complete("--", "cat", "", mode=mode))
                # '--' as the value of -f starts no command.
                self.assertEqual(self.complete("-f", "--", "--sc", mode=mode), ["--scan"])


class TestFish(Base):
    def fish(self, script):
        env = dict(self.env, PATH=os.path.dirname(REPOPOOL) + os.pathsep + self.env.get("PATH", ""))
        p = subprocess.run(["fish", "-c", script], cwd=self.work, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
        self.assertEqual((p.returncode, p.stderr.decode()), (0, ""), script)
        return p.stdout.decode()

    def complete(self, line):
        """What fish offers for line, as it would load the installed file
        (the first in fish_complete_path), descriptions dropped."""
        out = self.fish("set -p fish_complete_path %s; complete -C %s" % (
            shell_quote_fish(COMPLETIONS), shell_quote_fish(line)))
        return sorted(entry.split("\t")[0] for entry in out.splitlines())

    def test_parses(self):
        p = subprocess.run(["fish", "-n", FISH_FILE], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=self.env, timeout=RUN_TIMEOUT)
        self.assertEqual((p.returncode, p.stderr.decode()), (0, ""))

    def test_completes(self):
        self.assertEqual(self.complete("repopool --"), sorted("--" + o for o in self.longs))
        self.assertEqual(self.complete("repopool --git "), sorted(self.ops))
        self.assertEqual(self.complete("repopool -g f"), ["fetch"])
        self.assertEqual(self.complete("repopool --fetch-with "), ["git", "libgit2"])
        self.assertEqual(self.complete("repopool "), ["alpha/", "beta/", "my dir/"])
        self.assertEqual(self.complete("repopool --scan "), ["alpha/", "beta/", "my dir/"])
        self.assertIn("alist.txt", self.complete("repopool -f al"))
        self.assertIn("git", self.complete("repopool -- gi"))
        self.assertEqual([c for c in self.complete("repopool -j 2 -- cat --") if c in ("--scan", "--git")], [])


def shell_quote_fish(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


class TestZsh(Base):
    def test_parses(self):
        p = subprocess.run(["zsh", "-n", ZSH_FILE], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=self.env, timeout=RUN_TIMEOUT)
        self.assertEqual((p.returncode, p.stderr.decode()), (0, ""))

    @unittest.skipUnless(shutil.which("tmux"), "tmux is not installed")
    def test_completes(self):
        from lib.tmux import Tmux
        zdotdir = self.path("zdotdir")
        self.write(os.path.join(zdotdir, ".zshrc"), "\n".join([
            "PS1='zsh%% '",
            "fpath=(%s $fpath)" % COMPLETIONS,
            "autoload -Uz compinit && compinit -u -D",
            "zstyle ':completion:*' verbose yes",
            ""]))
        env = dict(self.env, SHELL="/bin/sh", TERM="screen", LANG="C.UTF-8", ZDOTDIR=zdotdir)
        env.pop("LC_ALL", None)
        tmux = Tmux(self, env=env, width=120, height=40)
        tmux.new_session("exec zsh -d -i", self.work, self.path("raw"))
        self.wait_until(lambda: "zsh%" in tmux.screen(), "the zsh prompt")

        def tab(line, *wanted, unwanted=()):
            """Types line and Tab; waits until every pattern of wanted is
            on the screen; returns the screen, then clears the line."""
            tmux.type(line)
            tmux.keys("Tab")
            shown = lambda: all(re.search(w, tmux.screen(), re.M) for w in wanted)  # noqa: E731
            self.waiting = lambda: "the screen:\n" + tmux.screen()
            self.wait_until(shown, "%r after %r" % (wanted, line), timeout=WAIT)
            screen = tmux.screen()
            for u in unwanted:
                self.assertNotRegex(screen, u)
            tmux.keys("C-u", "C-l")
            self.wait_until(lambda: tmux.screen().strip() == "zsh%", "a clear screen")
            return screen

        tab("repopool --git ", *(r"^%s\s+-- " % op for op in self.ops))
        tab("repopool --fetch-w", r"^zsh% repopool --fetch-with=\s*$")
        tab("repopool --fetch-with=", r"\bgit\b", r"\blibgit2\b")
        tab("repopool --sc", r"^zsh% repopool --scan=\s*$")
        tab("repopool -s ", r"\balpha/", r"\bbeta/", r"my\\ dir/", unwanted=(r"afile",))
        tab("repopool --no-t", r"^zsh% repopool --no-tui\s*$")
        tab("repopool -- gi", r"\bgit\b")

    def waiting_context(self):
        return self.waiting() if getattr(self, "waiting", None) else ""


SUITES = {"bash": (TestFiles, TestBash), "zsh": (TestZsh,), "fish": (TestFish,)}


def main():
    shell = sys.argv[1] if len(sys.argv) > 1 else "bash"
    if not shutil.which(shell):
        print("%s is not installed: skipped" % shell)
        sys.exit(SKIP)
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(c) for c in SUITES[shell])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
