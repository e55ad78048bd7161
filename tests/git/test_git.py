#!/usr/bin/env python3
"""Tests of repopool's built-in git operations (--git status|fetch|pull)
through the real binary, real repositories and a real `git daemon`.

git itself is the oracle: status must agree with
`git status --porcelain=v2 --branch`, fetched refs with the server's refs,
a pull with what a fast-forward gives. Each test works in its own temporary
directory with its own HOME (GIT_CONFIG_NOSYSTEM=1), picks free ports and
stops every process it started, so meson may run this suite next to others.
The binary is named by the REPOPOOL environment variable. Timeouts only
guard against hangs; no assertion depends on how fast anything is.
"""

import os
import signal
import struct
import hashlib
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gitlib import (  # noqa: E402
    EVENT_TIMEOUT, REPOPOOL, RUN_TIMEOUT, TRANSIENT, ClosedPort, GitDaemon, GitTestCase,
    ThrottlingProxy, parse_events, procs_with_cwd_under, tree_snapshot)

GIT_KEYS = {"branch", "upstream", "ahead", "behind", "staged", "modified", "untracked",
            "conflicted", "state", "detached", "unborn", "head"}


def parse_porcelain_v2(text):
    """What `git status --porcelain=v2 --branch` says, in the JSON "git" shape
    (without state, which the porcelain does not give)."""
    g = {"branch": None, "upstream": None, "ahead": 0, "behind": 0, "staged": 0,
         "modified": 0, "untracked": 0, "conflicted": 0, "detached": False,
         "unborn": False, "head": None}
    gone = False
    for line in text.splitlines():
        if line.startswith("# branch.oid "):
            v = line[len("# branch.oid "):]
            if v == "(initial)":
                g["unborn"] = True
            else:
                g["head"] = v
        elif line.startswith("# branch.head "):
            v = line[len("# branch.head "):]
            if v == "(detached)":
                g["detached"] = True
            else:
                g["branch"] = v
        elif line.startswith("# branch.upstream "):
            g["upstream"] = line[len("# branch.upstream "):]
            gone = True
        elif line.startswith("# branch.ab "):
            a, b = line[len("# branch.ab "):].split()
            g["ahead"], g["behind"] = int(a), -int(b)
            gone = False
        elif line.startswith("#"):
            continue
        elif line[:2] in ("1 ", "2 "):
            xy = line[2:4]
            if xy[0] != ".":
                g["staged"] += 1
            if xy[1] != ".":
                g["modified"] += 1
        elif line.startswith("u "):
            g["conflicted"] += 1
        elif line.startswith("? "):
            g["untracked"] += 1
        elif line.startswith("! "):
            pass
        else:
            raise AssertionError("unexpected porcelain line: %r" % line)
    g["_gone"] = gone
    return g


class StatusAgreement(GitTestCase):
    """Part 1: --git status agrees with git's own porcelain on many repositories."""

    def setUp(self):
        super().setUp()
        self.srv = self.init(self.path("srv", "origin.git"), bare=True)
        seed = self.new_repo(self.path("seed"), {
            "README": "hello\n", "src/a.c": "int a;\n", "src/b.c": "int b;\n",
            "conflict.txt": "base\n", ".gitignore": "*.log\nbuild/\n",
            "d1/x": "x\n", "d2/y": "y\n", "exe.sh": "#!/bin/sh\n"})
        self.git("remote", "add", "origin", self.srv, cwd=seed)
        self.git("push", "-q", "origin", "main", cwd=seed)
        self.git("push", "-q", "origin", "main:feature/x", "main:doomed", "main:moving", cwd=seed)
        self.seed = seed
        self.repos = self.path("repos")
        os.mkdir(self.repos)
        self.expect = {}   # path -> dict of fields that must hold besides agreement
        self.state = {}    # path -> expected state

    def clone(self, name):
        p = os.path.join(self.repos, name)
        self.git("clone", "-q", self.srv, p)
        return p

    def server_commit(self, files):
        """A new commit on the server's main, made in the seed clone."""
        self.commit(self.seed, files)
        self.git("push", "-q", "origin", "main", cwd=self.seed)

    def add(self, name, build, state="clean", **expect):
        p = build(name)
        self.expect[p] = expect
        self.state[p] = state
        return p

    def build_all(self):
        w = self.write
        j = os.path.join

        self.add("clean", self.clone, staged=0, modified=0, untracked=0, upstream="origin/main")

        def modified(n):
            p = self.clone(n)
            w(j(p, "README"), "changed\n")
            w(j(p, "src/a.c"), "int a = 1;\n")
            return p
        self.add("modified", modified, modified=2, staged=0)

        def staged(n):
            p = self.clone(n)
            w(j(p, "README"), "staged\n")
            self.git("add", "README", cwd=p)
            return p
        self.add("staged", staged, staged=1, modified=0)

        def staged_and_modified(n):
            p = self.clone(n)
            w(j(p, "README"), "staged\n")
            self.git("add", "README", cwd=p)
            w(j(p, "README"), "staged, then changed again\n")
            return p
        self.add("staged-and-modified", staged_and_modified, staged=1, modified=1)

        def deleted(n):
            p = self.clone(n)
            os.unlink(j(p, "src/b.c"))
            return p
        self.add("deleted", deleted, modified=1, staged=0)

        def deleted_staged(n):
            p = self.clone(n)
            self.git("rm", "-q", "src/b.c", cwd=p)
            return p
        self.add("deleted-staged", deleted_staged, staged=1, modified=0)

        def renamed(n):
            p = self.clone(n)
            self.git("mv", "README", "README.md", cwd=p)
            return p
        # One rename entry, not a deletion plus an addition.
        self.add("renamed-staged", renamed, staged=1, modified=0, untracked=0)

        def added(n):
            p = self.clone(n)
            w(j(p, "new.txt"), "new\n")
            self.git("add", "new.txt", cwd=p)
            return p
        self.add("added", added, staged=1)

        def untracked_file(n):
            p = self.clone(n)
            w(j(p, "notes.txt"), "mine\n")
            return p
        self.add("untracked-file", untracked_file, untracked=1, staged=0, modified=0)

        def untracked_dir(n):
            p = self.clone(n)
            w(j(p, "newdir/a"), "a\n")
            w(j(p, "newdir/b"), "b\n")
            w(j(p, "newdir/deeper/c"), "c\n")
            return p
        # An untracked directory is one entry, as git lists it.
        self.add("untracked-dir", untracked_dir, untracked=1)

        def ignored(n):
            p = self.clone(n)
            w(j(p, "debug.log"), "x\n")
            w(j(p, "build/out.o"), "x\n")
            w(j(p, "src/trace.log"), "x\n")
            return p
        self.add("ignored", ignored, untracked=0, modified=0)

        def ignored_only_dir(n):
            p = self.clone(n)
            w(j(p, "logs/a.log"), "x\n")
            w(j(p, "logs/more/b.log"), "x\n")
            return p
        # git lists no directory whose every file is ignored.
        self.add("untracked-dir-of-ignored-files", ignored_only_dir, untracked=0)

        def empty_dir(n):
            p = self.clone(n)
            os.makedirs(j(p, "empty/nested"))
            return p
        self.add("empty-dir", empty_dir, untracked=0)

        def typechange(n):
            p = self.clone(n)
            os.unlink(j(p, "src/a.c"))
            os.symlink("b.c", j(p, "src/a.c"))
            return p
        self.add("typechange", typechange, modified=1)

        def mode_change(n):
            p = self.clone(n)
            os.chmod(j(p, "exe.sh"), 0o755)
            return p
        self.add("mode-change", mode_change, modified=1)

        def intent_to_add(n):
            p = self.clone(n)
            w(j(p, "later.txt"), "later\n")
            self.git("add", "-N", "later.txt", cwd=p)
            return p
        self.add("intent-to-add", intent_to_add)

        def many(n):
            p = self.clone(n)
            for i in range(40):
                w(j(p, "gen/f%02d" % i), "%d\n" % i)
            self.git("add", "gen", cwd=p)
            self.git("commit", "-q", "-m", "gen", cwd=p)
            for i in range(0, 40, 2):
                w(j(p, "gen/f%02d" % i), "changed %d\n" % i)
            for i in range(1, 20, 2):
                w(j(p, "gen/f%02d" % i), "staged %d\n" % i)
                self.git("add", "gen/f%02d" % i, cwd=p)
            for i in range(15):
                w(j(p, "loose%02d" % i), "u\n")
            return p
        self.add("many-changes", many, modified=20, staged=10, untracked=15, ahead=1)

        def ahead(n):
            p = self.clone(n)
            self.commit(p, {"README": "ahead 1\n"})
            self.commit(p, {"README": "ahead 2\n"})
            return p
        self.add("ahead", ahead, ahead=2, behind=0)

        # Repositories that must end up behind are cloned before the server moves.
        behind_p = self.add("behind", self.clone, ahead=0, behind=3)
        ab_p = self.add("ahead-and-behind", self.clone, ahead=1, behind=3)
        self.commit(ab_p, {"src/mine.c": "int mine;\n"})
        for i in range(3):
            self.server_commit({"server.txt": "server %d\n" % i})
        for p in (behind_p, ab_p):
            self.git("fetch", "-q", "origin", cwd=p)

        def no_upstream(n):
            p = self.clone(n)
            self.git("checkout", "-q", "-b", "local-only", cwd=p)
            self.commit(p, {"README": "local\n"})
            return p
        self.add("no-upstream", no_upstream, upstream=None, ahead=0, behind=0, branch="local-only")

        def upstream_gone(n):
            p = self.clone(n)
            self.git("checkout", "-q", "-b", "doomed", "--track", "origin/doomed", cwd=p)
            self.commit(p, {"README": "on doomed\n"})
            self.git("push", "-q", "origin", ":doomed", cwd=self.seed)
            self.git("fetch", "-q", "--prune", "origin", cwd=p)
            return p
        self.add("upstream-gone", upstream_gone, upstream="origin/doomed", ahead=0, behind=0,
                 _summary_has="[gone]")

        def local_upstream(n):
            p = self.clone(n)
            self.git("checkout", "-q", "-b", "topic", "--track", "main", cwd=p)
            self.commit(p, {"README": "topic\n"})
            return p
        self.add("local-upstream", local_upstream, upstream="main", ahead=1, behind=0)

        def slash_branch(n):
            p = self.clone(n)
            self.git("checkout", "-q", "-b", "feature/x", "--track", "origin/feature/x", cwd=p)
            self.git("fetch", "-q", "origin", cwd=p)
            return p
        self.add("slash-branch", slash_branch, branch="feature/x", upstream="origin/feature/x")

        def detached(n):
            p = self.clone(n)
            self.commit(p, {"README": "second\n"})
            self.git("checkout", "-q", "--detach", "HEAD~1", cwd=p)
            w(j(p, "README"), "dirty while detached\n")
            return p
        self.add("detached", detached, detached=True, branch=None, upstream=None, modified=1)

        def unborn(n):
            return self.init(os.path.join(self.repos, n))
        self.add("unborn", unborn, unborn=True, head=None, branch="main", staged=0)

        def unborn_staged(n):
            p = self.init(os.path.join(self.repos, n))
            w(j(p, "first.txt"), "1\n")
            w(j(p, "second.txt"), "2\n")
            self.git("add", "first.txt", cwd=p)
            return p
        self.add("unborn-staged", unborn_staged, unborn=True, staged=1, untracked=1)

        def unborn_other_branch(n):
            p = self.clone(n)
            self.git("checkout", "-q", "--orphan", "fresh", cwd=p)
            self.git("rm", "-q", "-r", "--cached", ".", cwd=p)
            return p
        self.add("unborn-orphan", unborn_other_branch, unborn=True, branch="fresh")

        def conflict_pair(n):
            p = self.clone(n)
            self.git("checkout", "-q", "-b", "other", cwd=p)
            self.commit(p, {"conflict.txt": "other side\n", "README": "other readme\n",
                            "src/clean.c": "int clean;\n"})
            self.git("checkout", "-q", "main", cwd=p)
            self.commit(p, {"conflict.txt": "main side\n", "README": "main readme\n"})
            return p

        def merge_conflict(n):
            p = conflict_pair(n)
            self.git("merge", "other", cwd=p, check=False)
            self.assertTrue(os.path.exists(j(p, ".git", "MERGE_HEAD")))
            return p
        # Two conflicted files; the clean addition from the other side is staged.
        self.add("merge-conflict", merge_conflict, state="merge", conflicted=2, staged=1)

        def merge_no_commit(n):
            p = conflict_pair(n)
            self.commit(p, {"conflict.txt": "other side\n", "README": "other readme\n"})
            self.git("merge", "--no-commit", "--no-ff", "other", cwd=p)
            return p
        self.add("merge-without-conflict", merge_no_commit, state="merge", conflicted=0)

        def rebase_conflict(n):
            p = conflict_pair(n)
            self.git("rebase", "other", cwd=p, check=False)
            self.assertTrue(os.path.isdir(j(p, ".git", "rebase-merge")) or
                            os.path.isdir(j(p, ".git", "rebase-apply")))
            return p
        self.add("rebase-conflict", rebase_conflict, state="rebase", detached=True)

        def rebase_edit(n):
            p = self.clone(n)
            self.commit(p, {"README": "one\n"})
            self.commit(p, {"README": "two\n"})
            env = dict(self.env, GIT_SEQUENCE_EDITOR="sed -i -e 's/^pick/edit/'")
            self.git("rebase", "-q", "-i", "HEAD~2", cwd=p, env=env)
            return p
        self.add("rebase-interactive-edit", rebase_edit, state="rebase", detached=True)

        def cherry_pick_conflict(n):
            p = conflict_pair(n)
            self.git("cherry-pick", "other", cwd=p, check=False)
            return p
        self.add("cherry-pick-conflict", cherry_pick_conflict, state="cherry-pick")

        def revert_conflict(n):
            p = self.clone(n)
            self.commit(p, {"conflict.txt": "v2\n"})
            self.commit(p, {"conflict.txt": "v3\n"})
            self.git("revert", "--no-edit", "HEAD~1", cwd=p, check=False)
            return p
        self.add("revert-conflict", revert_conflict, state="revert")

        def bisecting(n):
            p = self.clone(n)
            self.commit(p, {"README": "b1\n"})
            self.commit(p, {"README": "b2\n"})
            self.git("bisect", "start", "HEAD", "HEAD~2", cwd=p)
            return p
        self.add("bisect", bisecting, state="bisect")

        def am_conflict(n):
            p = conflict_pair(n)
            patch = self.git("format-patch", "-1", "--stdout", "other", cwd=p)
            self.git("am", cwd=p, input=patch, check=False)
            return p
        self.add("am-conflict", am_conflict, state="am")

        def linked_worktree(n):
            p = self.clone(n + "-main")
            wt = os.path.join(self.repos, n)
            self.git("worktree", "add", "-q", "-b", "wt-branch", wt, cwd=p)
            w(j(wt, "README"), "changed in the worktree\n")
            w(j(wt, "wt-untracked"), "u\n")
            return wt
        self.add("linked-worktree", linked_worktree, branch="wt-branch", modified=1, untracked=1)

        def nested_repo(n):
            p = self.clone(n)
            inner = self.new_repo(j(p, "inner"))
            self.assertTrue(os.path.isdir(inner))
            return p
        self.add("untracked-nested-repo", nested_repo, untracked=1)

        def index_v4(n):
            p = self.clone(n)
            self.git("update-index", "--index-version", "4", cwd=p)
            w(j(p, "README"), "v4\n")
            w(j(p, "untracked-v4"), "v4\n")
            return p
        self.add("index-v4", index_v4, modified=1, untracked=1)

        def untracked_cache(n):
            p = self.clone(n)
            self.git("config", "core.untrackedCache", "true", cwd=p)
            w(j(p, "u1"), "u\n")
            self.git("update-index", "--untracked-cache", cwd=p)
            self.git("status", "-s", cwd=p)
            w(j(p, "udir/u2"), "u\n")
            return p
        self.add("untracked-cache", untracked_cache, untracked=2)

        def split_index(n):
            p = self.clone(n)
            self.git("update-index", "--split-index", cwd=p)
            w(j(p, "README"), "after split\n")
            w(j(p, "new-split"), "s\n")
            self.git("add", "new-split", cwd=p)
            w(j(p, "untracked-split"), "u\n")
            return p
        self.add("split-index", split_index, staged=1, modified=1, untracked=1)

        def sparse_index(n):
            p = self.clone(n)
            self.git("sparse-checkout", "set", "--cone", "--sparse-index", "d1", cwd=p)
            w(j(p, "d1/x"), "changed\n")
            return p
        self.add("sparse-index", sparse_index, modified=1)

        def sparse_checkout(n):
            p = self.clone(n)
            self.git("sparse-checkout", "set", "--cone", "--no-sparse-index", "d1", cwd=p)
            self.assertFalse(os.path.exists(j(p, "d2", "y")))
            return p
        # Files outside the cone are absent on purpose (skip-worktree): git
        # counts nothing.
        self.add("sparse-checkout", sparse_checkout, modified=0, staged=0)

        def skip_worktree(n):
            p = self.clone(n)
            self.git("update-index", "--skip-worktree", "src/a.c", cwd=p)
            w(j(p, "src/a.c"), "local tweak git is told to ignore\n")
            return p
        self.add("skip-worktree", skip_worktree, modified=0)

        def assume_unchanged(n):
            p = self.clone(n)
            self.git("update-index", "--assume-unchanged", "src/b.c", cwd=p)
            w(j(p, "src/b.c"), "local tweak git is told to ignore\n")
            return p
        self.add("assume-unchanged", assume_unchanged, modified=0)

    def test_status_agrees_with_git(self):
        self.build_all()
        paths = sorted(self.expect)
        res = self.repopool(["--git", "status", "-j", "4"] + paths)
        ends = res.end_by_repo()
        self.assertEqual(set(ends), set(paths), res.describe())
        problems = []
        for p in paths:
            e = ends[p]
            name = os.path.basename(p)
            if e["status"] != "ok" or "git" not in e:
                problems.append("%s: %s/%s %r" % (name, e["status"], e["class"], e["summary"]))
                continue
            got = e["git"]
            if set(got) != GIT_KEYS:
                problems.append("%s: git object keys %s" % (name, sorted(got)))
                continue
            porcelain = self.git("--no-optional-locks", "status", "--porcelain=v2", "--branch",
                                 cwd=p)
            want = parse_porcelain_v2(porcelain)
            gone = want.pop("_gone")
            for k, v in want.items():
                if got[k] != v:
                    problems.append("%s: %s is %r, git says %r (summary %r)\n%s" % (
                        name, k, got[k], v, e["summary"], porcelain))
            if got["state"] != self.state[p]:
                problems.append("%s: state is %r, expected %r" % (name, got["state"], self.state[p]))
            for k, v in self.expect[p].items():
                if k == "_summary_has":
                    if v not in e["summary"]:
                        problems.append("%s: summary %r lacks %r" % (name, e["summary"], v))
                elif want.get(k) != v:
                    # The scenario is not what the test meant to build.
                    problems.append("%s: (setup) git says %s=%r, test expected %r" % (
                        name, k, want.get(k), v))
            if gone and "[gone]" not in e["summary"]:
                problems.append("%s: upstream gone but summary %r" % (name, e["summary"]))
            if "read by git" in e["summary"]:
                print("note: %s was read by git: %s" % (name, e["summary"]), file=sys.stderr)
        self.assertFalse(problems, "\n".join(problems))
        # Nothing failed, so the run as a whole succeeded.
        self.assert_exit(res, 0)

    def test_status_leaves_repositories_alone(self):
        """status takes no lock and writes no index."""
        p = self.clone("quiet")
        self.write(os.path.join(p, "README"), "changed\n")
        before = tree_snapshot(os.path.join(p, ".git"), skip_top=())
        res = self.repopool(["--git", "status", p])
        self.assert_exit(res, 0)
        self.assertEqual(tree_snapshot(os.path.join(p, ".git"), skip_top=()), before)

    def test_unknown_mandatory_index_extension(self):
        """An index extension neither libgit2 nor git knows: git refuses to
        read it, so repopool must fail too rather than invent counts."""
        p = self.clone("bad-extension")
        index = os.path.join(p, ".git", "index")
        with open(index, "rb") as f:
            data = f.read()
        body = data[:-20]  # entries and extensions, without the SHA-1 trailer
        body += b"zzzz" + struct.pack(">I", 4) + b"abcd"  # lower case: mandatory
        with open(index, "wb") as f:
            f.write(body + hashlib.sha1(body).digest())
        g = self.git("status", "--porcelain=v2", cwd=p, check=False)
        self.assertNotEqual(g.returncode, 0, "git reads the index after all")
        res = self.repopool(["--git", "status", p])
        e = self.single_end(res, p)
        self.assertEqual((e["status"], e["class"]), ("failed", "internal"), res.describe())
        self.assert_exit(res, 1)


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def snapshot_repo(test, repo):
    """Everything a refused pull must leave as it was: every worktree file,
    the index, HEAD, the local branches, and the state files of a merge or
    rebase. Remote-tracking refs and FETCH_HEAD may change (a fetch is
    allowed) and are left out."""
    gitdir = os.path.join(repo, ".git")
    snap = {"worktree": tree_snapshot(repo)}
    for name in ("index", "HEAD", "ORIG_HEAD", "MERGE_HEAD", "MERGE_MSG", "MERGE_MODE",
                 "index.lock", "CHERRY_PICK_HEAD", "REBASE_HEAD", "config"):
        p = os.path.join(gitdir, name)
        if os.path.exists(p):
            with open(p, "rb") as f:
                snap[name] = hashlib.sha256(f.read()).hexdigest()
        else:
            snap[name] = None
    for sub in ("refs/heads", "rebase-merge", "rebase-apply", "logs/refs/heads"):
        p = os.path.join(gitdir, sub)
        snap[sub] = tree_snapshot(p, skip_top=()) if os.path.isdir(p) else None
    p = os.path.join(gitdir, "logs", "HEAD")
    snap["logs/HEAD"] = read_bytes(p) if os.path.exists(p) else None
    packed = os.path.join(gitdir, "packed-refs")
    if os.path.exists(packed):
        with open(packed) as f:
            snap["packed-refs"] = [l for l in f.read().splitlines() if "refs/remotes/" not in l]
    snap["for-each-ref"] = test.git("--no-optional-locks", "for-each-ref", "refs/heads", "refs/tags",
                                    cwd=repo)
    return snap


class Pull(GitTestCase):
    """Part 2: pull refuses every unsafe case without touching anything, and
    fast-forwards a clean repository that is behind."""

    def setUp(self):
        super().setUp()
        self.srv = self.init(self.path("srv", "origin.git"), bare=True)
        self.pusher = self.new_repo(self.path("pusher"), {
            "README": "v1\n", "keep.txt": "keep\n", "gone.txt": "will be deleted\n",
            "conflict.txt": "base\n", "lib/util.c": "int util;\n", ".gitignore": "*.log\n"})
        self.git("remote", "add", "origin", self.srv, cwd=self.pusher)
        self.git("push", "-q", "-u", "origin", "main", cwd=self.pusher)
        self.repos = self.path("repos")
        os.mkdir(self.repos)

    def clone(self, name):
        p = os.path.join(self.repos, name)
        self.git("clone", "-q", self.srv, p)
        return p

    def advance_server(self):
        """The server's next commit: modifies, deletes, adds (in a new
        directory, an executable, a symlink) and renames."""
        p = self.pusher
        self.write(os.path.join(p, "README"), "v2\n")
        os.unlink(os.path.join(p, "gone.txt"))
        self.write(os.path.join(p, "incoming.txt"), "from the server\n")
        self.write(os.path.join(p, "newdir/deep/file.c"), "int deep;\n")
        self.write(os.path.join(p, "tool.sh"), "#!/bin/sh\necho hi\n", mode=0o755)
        os.symlink("keep.txt", os.path.join(p, "link-to-keep"))
        self.git("mv", "lib/util.c", "lib/util2.c", cwd=p)
        self.git("add", "-A", cwd=p)
        self.git("commit", "-q", "-m", "server v2", cwd=p)
        self.git("push", "-q", "origin", "main", cwd=p)
        return self.rev(p, "HEAD")

    def test_refusals_change_nothing(self):
        j = os.path.join
        cases = {}  # path -> expected class

        def case(name, cls):
            p = self.clone(name)
            cases[p] = cls
            return p

        modified = case("modified", "dirty")
        staged = case("staged", "dirty")
        in_the_way = case("untracked-in-the-way", "dirty")
        in_the_way_dir = case("untracked-dir-in-the-way", "dirty")
        diverged = case("diverged", "diverged")
        detached = case("detached", "detached")
        no_upstream = case("no-upstream", "no-upstream")
        merging = case("merge-in-progress", "dirty")
        rebasing = case("rebase-in-progress", "dirty")
        locked = case("index-locked", "locked")
        gone = case("upstream-gone", "no-upstream")
        unborn = self.init(j(self.repos, "unborn"))
        cases[unborn] = "no-upstream"
        conflicted = case("conflicted-files", "dirty")

        self.git("push", "-q", "origin", "main:doomed", cwd=self.pusher)
        self.git("fetch", "-q", "origin", cwd=gone)
        self.git("checkout", "-q", "-b", "doomed", "--track", "origin/doomed", cwd=gone)

        server_head = self.advance_server()

        self.write(j(modified, "keep.txt"), "local edit of a file the server did not touch\n")
        self.write(j(staged, "keep.txt"), "staged edit\n")
        self.git("add", "keep.txt", cwd=staged)
        self.write(j(in_the_way, "incoming.txt"), "my own, untracked\n")
        self.write(j(in_the_way_dir, "newdir/deep/file.c"), "my own, untracked\n")
        self.commit(diverged, {"mine.txt": "local work\n"})
        self.git("checkout", "-q", "--detach", "HEAD", cwd=detached)
        self.git("checkout", "-q", "-b", "local-only", cwd=no_upstream)
        self.git("branch", "-q", "--unset-upstream", "main", cwd=no_upstream)
        self.git("checkout", "-q", "main", cwd=no_upstream)

        for p in (merging, rebasing, conflicted):
            self.git("checkout", "-q", "-b", "side", cwd=p)
            self.commit(p, {"conflict.txt": "side\n"})
            self.git("checkout", "-q", "main", cwd=p)
            self.commit(p, {"conflict.txt": "main\n"})
        self.git("merge", "side", cwd=merging, check=False)
        self.assertTrue(os.path.exists(j(merging, ".git", "MERGE_HEAD")))
        self.git("rebase", "side", cwd=rebasing, check=False)
        self.assertTrue(os.path.isdir(j(rebasing, ".git", "rebase-merge")))
        # A merge whose state files were removed by hand: only the index says
        # "conflict" now.
        self.git("merge", "side", cwd=conflicted, check=False)
        for f in ("MERGE_HEAD", "MERGE_MSG", "MERGE_MODE"):
            if os.path.exists(j(conflicted, ".git", f)):
                os.unlink(j(conflicted, ".git", f))
        self.write(j(locked, ".git", "index.lock"), b"")
        self.git("push", "-q", "origin", ":doomed", cwd=self.pusher)
        self.git("fetch", "-q", "--prune", "origin", cwd=gone)

        before = {p: snapshot_repo(self, p) for p in cases}
        res = self.repopool(["--git", "pull", "-j", "4"] + sorted(cases))
        self.assert_exit(res, 1)
        ends = res.end_by_repo()
        self.assertEqual(set(ends), set(cases), res.describe())
        problems = []
        for p, cls in sorted(cases.items()):
            e = ends[p]
            name = os.path.basename(p)
            if (e["status"], e["class"]) != ("skipped", cls):
                problems.append("%s: %s/%s (%r), expected skipped/%s" % (
                    name, e["status"], e["class"], e["summary"], cls))
            after = snapshot_repo(self, p)
            for k in before[p]:
                if before[p][k] != after[k]:
                    problems.append("%s: %s changed by a refused pull" % (name, k))
        self.assertFalse(problems, "\n".join(problems) + "\n" + res.describe())
        # The diverged repository did fetch: its remote-tracking ref moved.
        self.assertEqual(self.rev(diverged, "refs/remotes/origin/main"), server_head)
        # A refused repository can be fixed and pulled afterwards.
        os.unlink(j(in_the_way, "incoming.txt"))
        res = self.repopool(["--git", "pull", in_the_way])
        self.assert_exit(res, 0)
        self.assertEqual(self.rev(in_the_way, "HEAD"), server_head)

    def check_fast_forwarded(self, p, server_head):
        self.assertEqual(self.rev(p, "HEAD"), server_head)
        self.assertEqual(self.rev(p, "refs/heads/main"), server_head)
        self.assertEqual(self.rev(p, "refs/remotes/origin/main"), server_head)
        self.assertEqual(self.git("symbolic-ref", "HEAD", cwd=p).strip(), "refs/heads/main")
        self.git("fsck", "--strict", "--no-progress", cwd=p)
        self.assertEqual(self.git("status", "--porcelain", "--untracked-files=all", cwd=p), "")
        self.assertEqual(self.git("diff", "--stat", "HEAD", cwd=p), "")
        # The worktree is exactly what a fresh checkout of the server gives.
        fresh = self.path(self.unique("fresh"))
        self.git("clone", "-q", self.srv, fresh)
        self.assertEqual(tree_snapshot(p), tree_snapshot(fresh))

    def test_fast_forward(self):
        twice = self.clone("behind-two-commits")
        self.advance_server()
        behind = self.clone("behind-one-commit")
        old = {p: self.rev(p, "HEAD") for p in (twice, behind)}
        server_head = self.commit(self.pusher, {"README": "v3\n", "third.txt": "3\n"})
        self.git("push", "-q", "origin", "main", cwd=self.pusher)
        up_to_date = self.clone("up-to-date")
        ahead = self.clone("ahead-only")
        self.commit(ahead, {"mine.txt": "unpushed\n"})
        ahead_head = self.rev(ahead, "HEAD")

        before_up = snapshot_repo(self, up_to_date)
        before_up_remotes = self.heads(up_to_date, "refs/remotes/")
        before_ahead = snapshot_repo(self, ahead)
        res = self.repopool(["--git", "pull", "-j", "4", behind, twice, up_to_date, ahead])
        self.assert_exit(res, 0)
        ends = res.end_by_repo()
        for p in (behind, twice):
            e = ends[p]
            self.assertEqual((e["status"], e["class"]), ("ok", "none"), res.describe())
            self.assertEqual(e["git"]["head"], server_head, e)
            self.assertEqual(e["git"]["behind"], 0, e)
            self.assertEqual(e["git"]["branch"], "main", e)
            self.assertIn(old[p][:7], e["summary"])
            self.check_fast_forwarded(p, server_head)
        e = ends[up_to_date]
        self.assertEqual((e["status"], e["class"]), ("ok", "none"), res.describe())
        self.assertEqual(snapshot_repo(self, up_to_date), before_up)
        self.assertEqual(self.heads(up_to_date, "refs/remotes/"), before_up_remotes)
        e = ends[ahead]
        self.assertEqual((e["status"], e["class"]), ("ok", "none"), res.describe())
        self.assertEqual(self.rev(ahead, "HEAD"), ahead_head)
        self.assertEqual(snapshot_repo(self, ahead), before_ahead)

    def test_fast_forward_keeps_unrelated_untracked_and_ignored_files(self):
        p = self.clone("with-untracked")
        self.write(os.path.join(p, "scratch.txt"), "mine\n")
        self.write(os.path.join(p, "debug.log"), "ignored\n")
        server_head = self.advance_server()
        res = self.repopool(["--git", "pull", p])
        self.assert_exit(res, 0)
        self.assertEqual(self.rev(p, "HEAD"), server_head)
        self.assertEqual(read_bytes(os.path.join(p, "scratch.txt")), b"mine\n")
        self.assertEqual(read_bytes(os.path.join(p, "debug.log")), b"ignored\n")
        self.assertEqual(self.git("status", "--porcelain", cwd=p), "?? scratch.txt\n")
        self.git("fsck", "--strict", "--no-progress", cwd=p)


    def test_fast_forward_to_local_upstream(self):
        """An upstream in the same repository ('.') needs no fetch."""
        p = self.clone("local-upstream")
        self.git("branch", "-q", "--track", "topic", "main", cwd=p)
        new = self.commit(p, {"README": "moved on main\n"})
        self.git("checkout", "-q", "topic", cwd=p)
        res = self.repopool(["--git", "pull", p])
        self.assert_exit(res, 0)
        self.assertEqual(self.rev(p, "refs/heads/topic"), new)
        self.assertEqual(self.git("symbolic-ref", "HEAD", cwd=p).strip(), "refs/heads/topic")
        self.assertEqual(self.git("status", "--porcelain", cwd=p), "")

    def test_sparse_checkout_fast_forward(self):
        """A clean sparse checkout (files outside the cone are absent on
        purpose) that is behind: `git pull --ff-only` fast-forwards it, so
        repopool should too rather than call it dirty."""
        p = self.clone("sparse")
        self.git("sparse-checkout", "set", "--cone", "--no-sparse-index", "newdir", cwd=p)
        self.assertFalse(os.path.exists(os.path.join(p, "lib", "util.c")))
        self.assertEqual(self.git("status", "--porcelain", cwd=p), "")
        server_head = self.advance_server()
        res = self.repopool(["--git", "pull", p])
        e = self.single_end(res, p)
        self.assertEqual((e["status"], e["class"]), ("ok", "none"), res.describe())
        self.assert_exit(res, 0)
        self.assertEqual(self.rev(p, "HEAD"), server_head)
        self.assertEqual(self.git("status", "--porcelain", cwd=p), "")


class DaemonTestCase(GitTestCase):
    """Tests with a real git daemon serving self.base."""

    daemon_args = ()

    def setUp(self):
        super().setUp()
        self.base = self.path("served")
        self.daemon = None

    def start_daemon(self, extra=()):
        self.daemon = GitDaemon(self, self.base, extra)
        self.addCleanup(self.daemon.stop)
        self.daemon.start()
        return self.daemon

    def served_repo(self, name, files=None):
        """A bare repository on the daemon, and a working clone to push from."""
        bare = self.init(os.path.join(self.base, name), bare=True)
        work = self.new_repo(self.path("pushers", name), files)
        self.git("remote", "add", "origin", bare, cwd=work)
        self.git("push", "-q", "origin", "main", cwd=work)
        return bare, work

    def push_commit(self, work, branch="main", files=None):
        self.git("checkout", "-q", "-B", branch, cwd=work)
        head = self.commit(work, files or {self.unique("f") + ".txt": self.unique("content")})
        self.git("push", "-q", "origin", branch, cwd=work)
        self.git("checkout", "-q", "main", cwd=work)
        return head

    def clone_via(self, url, dest):
        self.git("clone", "-q", url, dest)
        return dest


class Fetch(DaemonTestCase):
    """Part 3: fetch over git://."""

    def make_fleet(self, n):
        """n repositories cloned from the daemon; then the server gets new
        commits on main, a new branch and a new tag, so all have something to fetch."""
        fleet = []
        for i in range(n):
            name = "r%02d.git" % i
            bare, work = self.served_repo(name)
            local = self.clone_via(self.daemon.url(name), self.path("repos", "r%02d" % i))
            self.push_commit(work, "main")
            self.push_commit(work, "main")
            self.push_commit(work, "topic-%d" % i)
            self.git("tag", "v%d" % i, cwd=work)
            self.git("push", "-q", "origin", "v%d" % i, cwd=work)
            fleet.append((local, bare))
        return fleet

    def assert_arrived(self, fleet):
        problems = []
        for local, bare in fleet:
            server = self.heads(bare)
            got = self.heads(local, "refs/remotes/origin/")
            got.pop("HEAD", None)
            if got != server:
                problems.append("%s: remote-tracking refs %s, server heads %s" % (local, got, server))
        self.assertFalse(problems, "\n".join(problems))

    def test_many_repositories_arrive(self):
        self.start_daemon()
        fleet = self.make_fleet(24)
        res = self.repopool(["--git", "fetch", "-j", "8"] + [l for l, _ in fleet])
        self.assert_exit(res, 0)
        ends = res.end_by_repo()
        self.assertEqual(len(ends), 24)
        for e in ends.values():
            self.assertEqual((e["status"], e["class"]), ("ok", "none"), e)
        self.assertEqual(res.summary()["ok"], 24)
        self.assertGreaterEqual(res.summary()["peak_running"], 2)
        self.assert_arrived(fleet)
        # Tags come along, as `git fetch` brings them.
        for i, (local, bare) in enumerate(fleet):
            self.assertEqual(self.rev(local, "refs/tags/v%d" % i), self.rev(bare, "refs/tags/v%d" % i))
        # A second fetch finds nothing new.
        res = self.repopool(["--git", "fetch", "-j", "8"] + [l for l, _ in fleet])
        self.assert_exit(res, 0)
        self.assert_arrived(fleet)

    def test_fetch_with_git(self):
        self.start_daemon()
        fleet = self.make_fleet(6)
        res = self.repopool(["--git", "fetch", "--fetch-with=git", "-j", "3"] + [l for l, _ in fleet])
        self.assert_exit(res, 0)
        self.assert_arrived(fleet)

    def test_pull_over_daemon(self):
        self.start_daemon()
        bare, work = self.served_repo("p.git")
        local = self.clone_via(self.daemon.url("p.git"), self.path("repos", "p"))
        head = self.push_commit(work, "main", {"README": "new\n", "added/file": "x\n"})
        for fetch_with in ("libgit2", "git"):
            res = self.repopool(["--git", "pull", "--fetch-with=" + fetch_with, local])
            self.assert_exit(res, 0)
            self.assertEqual(self.rev(local, "HEAD"), head)
            self.assertEqual(self.git("status", "--porcelain", cwd=local), "")
            head = self.push_commit(work, "main", {"README": "newer via %s\n" % fetch_with})
        self.git("fsck", "--strict", "--no-progress", cwd=local)

    def test_unreachable_remote_is_transient(self):
        closed = ClosedPort()
        self.addCleanup(closed.close)
        local = self.new_repo(self.path("repos", "lonely"))
        self.git("remote", "add", "origin", "git://127.0.0.1:%d/x.git" % closed.port, cwd=local)
        self.git("config", "branch.main.remote", "origin", cwd=local)
        self.git("config", "branch.main.merge", "refs/heads/main", cwd=local)
        for fetch_with in ("libgit2", "git"):
            for op in ("fetch", "pull"):
                with self.subTest(op=op, fetch_with=fetch_with):
                    res = self.repopool(["--git", op, "--fetch-with=" + fetch_with, "--retries", "2",
                                         local])
                    self.assert_exit(res, 1)
                    e = self.single_end(res, local)
                    self.assertEqual(e["status"], "failed", res.describe())
                    self.assertIn(e["class"], {"network", "refused"}, res.describe())
                    # Transient: retried as often as asked.
                    self.assertEqual(len(res.retries()), 2, res.describe())
                    self.assertEqual(e["attempt"], 3, res.describe())

    def test_only_the_named_remote(self):
        self.start_daemon()
        bare_a, work_a = self.served_repo("a.git")
        bare_b, work_b = self.served_repo("b.git")
        local = self.clone_via(self.daemon.url("a.git"), self.path("repos", "two-remotes"))
        self.git("remote", "add", "other", self.daemon.url("b.git"), cwd=local)
        self.git("fetch", "-q", "other", cwd=local)
        self.push_commit(work_a)
        self.push_commit(work_b)
        origin_before = self.heads(local, "refs/remotes/origin/")
        for fetch_with in ("libgit2", "git"):
            with self.subTest(fetch_with=fetch_with):
                res = self.repopool(["--git", "fetch", "--remote", "other", "--fetch-with=" + fetch_with,
                                     local])
                self.assert_exit(res, 0)
                self.assertEqual(self.heads(local, "refs/remotes/other/"), self.heads(bare_b))
                self.assertEqual(self.heads(local, "refs/remotes/origin/"), origin_before)
                self.push_commit(work_b)
        res = self.repopool(["--git", "fetch", local])
        self.assert_exit(res, 0)
        got = self.heads(local, "refs/remotes/origin/")
        got.pop("HEAD", None)
        self.assertEqual(got, self.heads(bare_a))

    def test_git_child_auth_failure_is_auth(self):
        """--fetch-with=git: an ssh login refused is an auth failure, not a
        transient one to retry. ssh is stood in for by GIT_SSH_COMMAND, a
        script that fails as ssh does when the server refuses the key; git
        then prints its usual four-line "Could not read from remote
        repository" block after the ssh message."""
        fake_ssh = self.path("fake-ssh")
        self.write(fake_ssh, "#!/bin/sh\necho 'git@127.0.0.1: Permission denied (publickey).' >&2\n"
                   "exit 255\n", mode=0o755)
        local = self.new_repo(self.path("repos", "ssh-denied"))
        self.git("remote", "add", "origin", "ssh://git@127.0.0.1/x.git", cwd=local)
        res = self.repopool(["--git", "fetch", "--fetch-with=git", "--retries", "2", local],
                            env=dict(self.env, GIT_SSH_COMMAND=fake_ssh))
        self.assert_exit(res, 1)
        e = self.single_end(res, local)
        self.assertEqual((e["status"], e["class"]), ("failed", "auth"), res.describe())
        self.assertEqual(res.retries(), [], "an auth failure is not retried")

    def test_unknown_remote_is_a_usage_failure(self):
        self.start_daemon()
        bare, work = self.served_repo("u.git")
        local = self.clone_via(self.daemon.url("u.git"), self.path("repos", "u"))
        for fetch_with in ("libgit2", "git"):
            with self.subTest(fetch_with=fetch_with):
                res = self.repopool(["--git", "fetch", "--remote", "no-such-remote",
                                     "--fetch-with=" + fetch_with, "--retries", "3", local])
                self.assert_exit(res, 1)
                e = self.single_end(res, local)
                self.assertEqual((e["status"], e["class"]), ("failed", "usage"), res.describe())
                self.assertEqual(res.retries(), [], "usage failures are not retried")


class DroppedConnections(DaemonTestCase):
    """Part 4: a server that drops connections over its limit.

    git daemon --max-connections=1, on a connection over the limit, sleeps
    one second and then drops the new connection if the old child is still
    alive (it kills an older child only when two children serve the same
    address, which never happens with a limit of one). On 127.0.0.1 a small
    fetch finishes well within that second, so in practice nothing was ever
    dropped (observed: 0 failures in 3 runs of 16 repositories at -j 8).
    An --access-hook that sleeps 1.5 s keeps each child alive past the
    daemon's second, so concurrent connections are dropped for real (the
    client sees the connection closed before any ref advertisement).
    Which connections lose still depends on timing, so the run without
    retries asserts only that some task failed and that every failure is
    transient; the run with --retries 8 asserts that everything arrives.
    """

    N = 10

    def test_retries_bring_everything(self):
        hook = self.path("slow-access-hook")
        self.write(hook, "#!/bin/sh\nsleep 1.5\nexit 0\n", mode=0o755)
        self.start_daemon(["--max-connections=1", "--access-hook=" + hook])
        fleet = []
        for i in range(self.N):
            name = "d%02d.git" % i
            bare, work = self.served_repo(name)
            local = self.clone_via(self.daemon.url(name), self.path("repos", "d%02d" % i))
            fleet.append((local, bare, work))

        def advance():
            for _, _, work in fleet:
                self.push_commit(work, "main")

        def arrived(local, bare):
            got = self.heads(local, "refs/remotes/origin/")
            got.pop("HEAD", None)
            return got == self.heads(bare)

        advance()
        res = self.repopool(["--git", "fetch", "-j", "8"] + [l for l, _, _ in fleet])
        self.assert_exit(res, 1)
        failed = [e for e in res.end_by_repo().values() if e["status"] != "ok"]
        self.assertTrue(failed, res.describe())
        for e in failed:
            self.assertEqual(e["status"], "failed", res.describe())
            self.assertIn(e["class"], TRANSIENT, res.describe())
        for local, bare, _ in fleet:
            e = res.end_by_repo()[local]
            self.assertEqual(arrived(local, bare), e["status"] == "ok", e)

        res = self.repopool(["--git", "fetch", "-j", "8", "--retries", "8"] +
                            [l for l, _, _ in fleet])
        self.assert_exit(res, 0)
        self.assertTrue(res.retries(), res.describe())
        for r in res.retries():
            self.assertIn(r.get("class", "network"), TRANSIENT, r)
        for local, bare, _ in fleet:
            self.assertTrue(arrived(local, bare), local)


class Cancel(DaemonTestCase):
    """Part 5: SIGINT in the middle of a transfer."""

    BLOB = 4 << 20
    BLOBS = 12

    def big_served_repo(self, name):
        """BLOBS incompressible random blobs, written once with fast-import
        (compression off, so making them is cheap)."""
        bare = self.init(os.path.join(self.base, name), bare=True)
        stream = bytearray()
        stream += b"commit refs/heads/main\ncommitter T <t@example.invalid> 1700000000 +0000\n"
        stream += b"data 4\nbig\n"
        for i in range(self.BLOBS):
            data = os.urandom(self.BLOB)
            stream += b"M 100644 inline blob%02d.bin\ndata %d\n" % (i, len(data)) + data + b"\n"
        stream += b"\n"
        p = subprocess.run(["git", "-c", "core.compression=0", "-c", "pack.compression=0",
                            "fast-import", "--quiet"], cwd=bare, env=self.env, input=bytes(stream),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr)
        return bare

    @staticmethod
    def reap(p):
        if p.poll() is None:
            p.kill()
            p.wait(timeout=60)
        for f in (p.stdout, p.stderr):
            if f:
                f.close()

    def interrupt_fetch(self, url, fetch_with, wait_bytes, proxy):
        local = self.new_repo(self.path("repos", self.unique("big")))
        self.git("remote", "add", "origin", url, cwd=local)
        p = subprocess.Popen([REPOPOOL, "--json", "--git", "fetch", "--fetch-with=" + fetch_with, local],
                             env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        self.addCleanup(self.reap, p)
        out_chunks = []
        started = threading.Event()

        def reader():
            for line in p.stdout:
                out_chunks.append(line)
                if b'"event":"start"' in line:
                    started.set()
        t = threading.Thread(target=reader, daemon=True)
        t.start()
        self.assertTrue(started.wait(EVENT_TIMEOUT), "no start event")
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
        t.join(timeout=10)
        err = p.stderr.read().decode("utf-8", "replace")
        events = parse_events(b"".join(out_chunks))
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
                p = subprocess.Popen([REPOPOOL, "--json", "--git", "fetch", "--fetch-with=" + fetch_with,
                                      local], env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                self.addCleanup(self.reap, p)
                first = p.stdout.readline()
                while first and b'"event":"start"' not in first:
                    first = p.stdout.readline()
                deadline = time.monotonic() + EVENT_TIMEOUT
                while proxy.connections == n and time.monotonic() < deadline:
                    time.sleep(0.05)
                self.assertGreater(proxy.connections, n, "never connected")
                time.sleep(0.5)
                p.send_signal(signal.SIGINT)
                try:
                    out, err = p.communicate(timeout=30)
                except subprocess.TimeoutExpired:
                    self.fail("repopool did not exit within 30 s of SIGINT")
                self.assertEqual(p.returncode, 130, err)
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


class Owner(GitTestCase):
    """Part 6: a repository owned by someone else."""

    def test_foreign_owner(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to give a repository to another user")
        import pwd
        try:
            nobody = pwd.getpwnam("nobody")
        except KeyError:
            self.skipTest("no user 'nobody'")
        p = self.new_repo(self.path("repos", "foreign repo"))
        for dirpath, dirnames, filenames in os.walk(p):
            for n in [dirpath] + [os.path.join(dirpath, f) for f in dirnames + filenames]:
                os.lchown(n, nobody.pw_uid, nobody.pw_gid)
        # Without any safe.directory setting (the usual case), and with one
        # that names some other directory.
        for setting in ("none", "unrelated"):
            if setting == "unrelated":
                self.git("config", "--global", "--add", "safe.directory", self.path("elsewhere"))
            for op in ("status", "fetch", "pull"):
                with self.subTest(op=op, safe_directory=setting):
                    res = self.repopool(["--git", op, p])
                    self.assert_exit(res, 1)
                    e = self.single_end(res, p)
                    self.assertEqual((e["status"], e["class"]), ("failed", "owner"), res.describe())
                    self.assertIn("safe.directory", e["summary"])
                    self.assertIn(p, e["summary"])
        # Trusting it the way the summary says makes it work.
        self.git("config", "--global", "--add", "safe.directory", p)
        res = self.repopool(["--git", "status", p])
        self.assert_exit(res, 0)


WEIRD_NAMES = [
    "with space",
    "quote'single",
    'quote"double',
    "new\nline",
    "$(touch PWNED)",
    "`touch PWNED`",
    "-leading-dash",
    "--leading-double-dash",
    "semi;colon&amp|pipe",
    "tab\tand\\backslash",
    "ünïcödé",
    "glob*?[x]",
]


class OddPaths(GitTestCase):
    """Part 7: paths that would break a shell or a line-based format."""

    def make(self):
        base = self.path("odd")
        os.mkdir(base)
        paths = [self.new_repo(os.path.join(base, n)) for n in WEIRD_NAMES]
        return base, paths

    def assert_no_pwned(self, base):
        found = []
        for dirpath, dirnames, filenames in os.walk(self.tmp):
            found += [os.path.join(dirpath, f) for f in filenames if f == "PWNED"]
        self.assertEqual(found, [], "a path was run through a shell")
        self.assertFalse(os.path.exists(os.path.join(os.getcwd(), "PWNED")))

    def test_status_on_odd_paths(self):
        base, paths = self.make()
        for p in paths:
            self.write(os.path.join(p, "README"), "changed\n")
        runs = {
            "arguments": ["--git", "status"] + paths,
            "relative-from-file": None,
            "scan": ["--git", "status", "--scan", base],
        }
        listing = self.path("list.txt")
        with open(listing, "w") as f:
            # The newline one cannot be written one per line; -f gets the rest.
            for n in WEIRD_NAMES:
                if "\n" not in n:
                    f.write(n + "\n")
        runs["relative-from-file"] = ["--git", "status", "-f", listing]
        for how, args in runs.items():
            with self.subTest(how=how):
                res = self.repopool(args, cwd=base)
                self.assert_exit(res, 0)
                want = set(paths) if how != "relative-from-file" else \
                    {p for p in paths if "\n" not in p}
                ends = res.end_by_repo()
                self.assertEqual(set(ends), want, res.describe())
                for e in ends.values():
                    self.assertEqual(e["status"], "ok", e)
                    self.assertEqual(e["git"]["modified"], 1, e)
        # The git child (fallback status, fetch --fetch-with=git) gets the path too.
        for p in paths:
            self.git("update-index", "--split-index", cwd=p)
        res = self.repopool(["--git", "status"] + paths)
        self.assert_exit(res, 0)
        self.assertEqual({e["repo"] for e in res.ends()}, set(paths))
        res = self.repopool(["--git", "fetch", "--fetch-with=git"] + paths)
        self.assert_exit(res, 0)
        self.assertEqual({e["repo"] for e in res.ends()}, set(paths))
        self.assert_no_pwned(base)

    def test_plain_output_keeps_one_line_per_task(self):
        base, paths = self.make()
        res = self.repopool(["--git", "status"] + paths, json_events=False)
        self.assert_exit(res, 0)
        lines = res.stdout.decode("utf-8", "replace").splitlines()
        self.assertEqual(len(lines), len(paths) + 1, res.stdout)
        self.assert_no_pwned(base)


class NotARepository(GitTestCase):
    """Part 8."""

    def test_not_a_repository(self):
        plain = self.path("plain")
        os.makedirs(os.path.join(plain, "sub"))
        bare = self.init(self.path("bare.git"), bare=True)
        outer = self.new_repo(self.path("outer"))
        inside = os.path.join(outer, "src")  # a directory inside a repository
        empty_git = self.path("empty-dot-git")
        os.makedirs(os.path.join(empty_git, ".git"))
        targets = [plain, bare, inside, empty_git]
        for op in ("status", "fetch", "pull"):
            with self.subTest(op=op):
                res = self.repopool(["--git", op, "--retries", "2"] + targets)
                self.assert_exit(res, 1)
                ends = res.end_by_repo()
                self.assertEqual(set(ends), set(targets), res.describe())
                for t in targets:
                    self.assertEqual((ends[t]["status"], ends[t]["class"]), ("failed", "not-a-repo"),
                                     res.describe())
                self.assertEqual(res.retries(), [])
                self.assertIn("bare", ends[bare]["summary"])
        self.assertEqual(self.git("status", "--porcelain", cwd=outer), "")


class Scan(GitTestCase):
    """Part 9: --scan and the default scan of the current directory."""

    def build_tree(self):
        root = self.path("tree")
        r = {}
        r["a"] = self.new_repo(os.path.join(root, "a"))
        r["a/inner"] = self.new_repo(os.path.join(root, "a", "inner"))          # a repo in a repo
        r["a/deep/inner2"] = self.new_repo(os.path.join(root, "a", "deep", "inner2"))
        r["group/b"] = self.new_repo(os.path.join(root, "group", "b"))
        r["group/sub/c"] = self.new_repo(os.path.join(root, "group", "sub", "c"))  # depth 3
        r["l1/l2/l3/d"] = self.new_repo(os.path.join(root, "l1", "l2", "l3", "d"))  # depth 4
        wt = os.path.join(root, "group", "wt")
        self.git("worktree", "add", "-q", "-b", "wt", wt, cwd=r["group/b"])    # .git is a file
        r["group/wt"] = wt
        self.init(os.path.join(root, "bare.git"), bare=True)  # no working tree: not listed
        os.makedirs(os.path.join(root, "plain", "dir"))
        os.symlink(root, os.path.join(root, "loop"))                       # loop to the root
        os.symlink("..", os.path.join(root, "group", "up"))                # loop upwards
        os.symlink("self", os.path.join(root, "self"))                      # ELOOP
        os.symlink("missing", os.path.join(root, "dangling"))
        os.symlink(r["group/b"], os.path.join(root, "link-to-b"))           # the same repo again
        os.symlink(os.path.join(root, "group"), os.path.join(root, "plain", "group-link"))
        return root, r

    def scanned(self, args, cwd=None):
        res = self.repopool(["--git", "status"] + args, cwd=cwd)
        self.assert_exit(res, 0)
        starts = [e["repo"] for e in res.starts()]
        self.assertEqual(len(starts), len(set(starts)), "a repository ran twice: %s" % starts)
        return set(starts), res

    def test_scan(self):
        root, r = self.build_tree()
        top = {r[k] for k in ("a", "group/b", "group/sub/c", "group/wt")}
        got, _ = self.scanned(["--scan", root])
        self.assertEqual(got, top)
        got, _ = self.scanned(["--scan", root, "--depth", "4"])
        self.assertEqual(got, top | {r["l1/l2/l3/d"]})
        # link-to-b is a directory at depth 1 too.
        got, _ = self.scanned(["--scan", root, "--depth", "1"])
        self.assertEqual(got, {r["a"], r["group/b"]})
        got, _ = self.scanned(["--scan", root, "--nested"])
        self.assertEqual(got, top | {r["a/inner"], r["a/deep/inner2"]})
        got, _ = self.scanned(["--scan", root, "--scan", os.path.join(root, "loop", "group")])
        self.assertEqual(got, top)
        # A repository given and also scanned runs once.
        got, _ = self.scanned(["--scan", root, os.path.join(root, "link-to-b")])
        self.assertEqual(got, top)

    def test_default_scans_the_current_directory(self):
        root, r = self.build_tree()
        for k, p in r.items():
            self.write(os.path.join(p, "untracked-%s" % k.replace("/", "-")), "u\n")
        got, res = self.scanned([], cwd=root)
        self.assertEqual(got, {r[k] for k in ("a", "group/b", "group/sub/c", "group/wt")})
        for e in res.ends():
            self.assertEqual(e["op"], "status")
            want = parse_porcelain_v2(self.git("status", "--porcelain=v2", "--branch", cwd=e["repo"]))
            self.assertEqual(e["git"]["untracked"], want["untracked"], e)
            self.assertGreaterEqual(e["git"]["untracked"], 1, e)
        # Plain output, no options at all.
        res = self.repopool([], cwd=root, json_events=False)
        self.assert_exit(res, 0)
        lines = res.stdout.decode().splitlines()
        self.assertEqual(len(lines), 5, res.stdout)
        # Inside a repository's subdirectory, nothing is a repository.
        res = self.repopool(["--git", "status"], cwd=os.path.join(r["a"], "src"))
        self.assert_exit(res, 2)
        self.assertIn(b"no git repositories", res.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
