"""The test library of every Python suite (integration, git, fault, e2e).

A test file puts the tests/ directory on sys.path and imports from here, so
it runs alone as well as under meson:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from lib.base import TestCase

- config: the binary under test (REPOPOOL), the source tree, the anti-hang
  limits, sanitizer builds.
- procs: processes by /proc: groups, markers, working directories, memory.
- events: JSON Lines events, Result, EventChecker, sanitizer reports.
- base: TestCase (a temporary directory, a sandboxed HOME and git
  environment, a marker on every process it starts and a cleanup that
  leaves none behind; files, git, running repopool) and DaemonTestCase.
- running: a repopool process read while it runs.
- gitdaemon: free ports and a real `git daemon`.
- relays: TCP relays in front of it: throttling, delaying, holding the pack
  back, and a throttling relay in a process of its own that a test can kill.
- snapshots: trees and .git directories as comparable dicts.
- gitindex: git's index file as data, its stat data apart from the rest.
- porcelain: `git status --porcelain=v2 --branch` as the JSON "git" object.
- tmux: a private tmux server and its pane.
- dashboard: the dashboard driven through an interactive shell in tmux.
- pull_parity: `git pull --ff-only` against `repopool --git pull`.
- clihelp: the options and --git operations `repopool --help` prints, for the
  tests that keep the manual and the shell completions up to date.

Timeouts in here only keep a broken build from hanging a suite; no
assertion depends on how fast anything is.
"""
