#!/usr/bin/env python3
"""Tests of interrupting `repopool --git fetch` through the real binary and
a real `git daemon`: SIGINT in the middle of a transfer (through a
throttling relay, so it lands there on any machine) leaves a sound
repository with no ref moved and no git child behind; a server that never
answers is still interrupted, and --stall-timeout ends its fetch; a fetch
over the partial objects an interrupted `git fetch` leaves completes the
history.

The binary is named by the REPOPOOL environment variable; each test has
the sandbox of tests/lib/base.py.
"""

import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import DaemonTestCase  # noqa: E402
from lib.config import EVENT_TIMEOUT  # noqa: E402
from lib.events import parse_events  # noqa: E402
from lib.procs import procs_with_cwd_under  # noqa: E402
from lib.relays import ThrottlingProxy  # noqa: E402
from lib.running import Running  # noqa: E402


class Cancel(DaemonTestCase):
    """Part 5: SIGINT in the middle of a transfer."""

    BLOB = 4 << 20
    BLOBS = 12

    def big_served_repo(self, name):
        """BLOBS incompressible random blobs, written once with fast-import
        (compression off, so making them is cheap)."""
        bare = self.init(os.path.join(self.base, name), bare=True)
        self.fast_import(bare, "refs/heads/main",
                         {"blob%02d.bin" % i: os.urandom(self.BLOB) for i in range(self.BLOBS)})
        return bare

    def interrupt_fetch(self, url, fetch_with, wait_bytes, proxy):
        local = self.new_repo(self.path("repos", self.unique("big")))
        self.git("remote", "add", "origin", url, cwd=local)
        p = Running(self, ["--json", "--git", "fetch", "--fetch-with=" + fetch_with, local])
        self.assertTrue(p.wait_line(b'"event":"start"', EVENT_TIMEOUT), "no start event")
        # Mid-transfer: the server has begun sending.
        deadline = time.monotonic() + EVENT_TIMEOUT
        while proxy.served < wait_bytes and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertIsNone(p.poll(), "the fetch ended before it could be interrupted")
        self.assertGreaterEqual(proxy.served, wait_bytes, "no data flowed")
        p.send_signal(signal.SIGINT)
        try:
            rc = p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.fail("repopool did not exit within 30 s of SIGINT")
        err = p.stderr().decode("utf-8", "replace")
        events = parse_events(p.stdout())
        self.assertEqual(rc, 130, err)
        ends = [e for e in events if e["event"] == "end"]
        self.assertEqual(len(ends), 1, events)
        self.assertEqual(ends[0]["status"], "cancelled", ends[0])
        self.assertEqual(events[-1]["event"], "summary")
        self.assertEqual(events[-1]["cancelled"], 1)
        self.git("fsck", "--no-progress", cwd=local)
        self.assertEqual(self.heads(local, "refs/remotes/origin/"), {},
                         "an interrupted fetch updated refs")
        # No git child is left working in the repository.
        deadline = time.monotonic() + 30
        while procs_with_cwd_under(local) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(procs_with_cwd_under(local), [])
        return local

    def test_sigint_mid_transfer(self):
        self.start_daemon()
        self.big_served_repo("big.git")
        # A throttling proxy (256 KiB/s) makes the transfer last minutes, so
        # the signal reliably lands in the middle of it, whatever the machine.
        proxy = ThrottlingProxy(self.daemon.port, rate=256 * 1024)
        self.addCleanup(proxy.stop)
        url = "git://127.0.0.1:%d/big.git" % proxy.port
        for fetch_with in ("libgit2", "git"):
            with self.subTest(fetch_with=fetch_with):
                local = self.interrupt_fetch(url, fetch_with, 512 * 1024, proxy)
                # The repository still works: a later fetch straight from the
                # daemon, the same way, completes.
                self.git("remote", "set-url", "origin", self.daemon.url("big.git"), cwd=local)
                res = self.repopool(["--git", "fetch", "--fetch-with=" + fetch_with, local])
                self.assert_exit(res, 0)
                self.git("fsck", "--no-progress", cwd=local)
                proxy.served = 0

    def test_fetch_over_partial_objects(self):
        """What an interrupted `git fetch` leaves: under fetch.unpackLimit git
        unpacks loose objects as they arrive, commits and trees first, so the
        tip commit and its tree exist while the blobs do not. `git fetch`
        checks connectivity and fetches again; the libgit2 fetch must not
        take the tip's presence for the whole history."""
        self.start_daemon()
        bare, work = self.served_repo("partial.git")
        head = self.push_commit(work, "main", {"blob%d" % i: os.urandom(4096) for i in range(5)})
        local = self.new_repo(self.path("repos", "partial"))
        self.git("remote", "add", "origin", self.daemon.url("partial.git"), cwd=local)
        tree = self.rev(bare, head + "^{tree}")
        for oid, kind in ((head, "commit"), (tree, "tree")):
            raw = subprocess.run(["git", "cat-file", kind, oid], cwd=bare, env=self.env,
                                 stdout=subprocess.PIPE, check=True).stdout
            self.git("hash-object", "-w", "-t", kind, "--stdin", cwd=local, input=raw)
        res = self.repopool(["--git", "fetch", local])
        self.assert_exit(res, 0)
        self.assertEqual(self.rev(local, "refs/remotes/origin/main"), head)
        fsck = self.git("fsck", "--no-progress", cwd=local, check=False)
        self.assertEqual(fsck.returncode, 0, "refs/remotes/origin/main points at an incomplete "
                         "history after an ok fetch:\n" + fsck.stdout.decode()[-1500:])

    def test_sigint_while_the_server_is_silent(self):
        """A server that accepts and never answers: libgit2 blocks in recv with
        no callback to notice the cancel flag; the interrupt must still end it."""
        proxy = ThrottlingProxy(0, silent=True)
        self.addCleanup(proxy.stop)
        url = "git://127.0.0.1:%d/x.git" % proxy.port
        for fetch_with in ("libgit2", "git"):
            with self.subTest(fetch_with=fetch_with):
                local = self.new_repo(self.path("repos", self.unique("silent")))
                self.git("remote", "add", "origin", url, cwd=local)
                # Counted before the start: a fast connect may beat the
                # start event to the reader.
                n = proxy.connections
                p = Running(self, ["--json", "--git", "fetch", "--fetch-with=" + fetch_with, local])
                p.wait_line(b'"event":"start"')
                deadline = time.monotonic() + EVENT_TIMEOUT
                while proxy.connections == n and time.monotonic() < deadline:
                    time.sleep(0.05)
                self.assertGreater(proxy.connections, n, "never connected")
                time.sleep(0.5)
                p.send_signal(signal.SIGINT)
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.fail("repopool did not exit within 30 s of SIGINT")
                out, err = p.stdout(), p.stderr()
                self.assertEqual(p.poll(), 130, err)
                ends = [e for e in parse_events(out) if e["event"] == "end"]
                self.assertEqual([e["status"] for e in ends], ["cancelled"], out)

    def test_stall_timeout(self):
        """--stall-timeout ends a fetch that hears nothing, as a timeout."""
        proxy = ThrottlingProxy(0, silent=True)
        self.addCleanup(proxy.stop)
        local = self.new_repo(self.path("repos", "stalled"))
        self.git("remote", "add", "origin", "git://127.0.0.1:%d/x.git" % proxy.port, cwd=local)
        res = self.repopool(["--git", "fetch", "--stall-timeout", "2", local], timeout=120)
        self.assert_exit(res, 1)
        e = self.single_end(res, local)
        self.assertEqual((e["status"], e["class"]), ("failed", "timeout"), res.describe())


if __name__ == "__main__":
    unittest.main(verbosity=2)
