#!/usr/bin/env python3
"""Tests of `repopool --git status` (and --scan, which finds what it runs
on) through the real binary and real repositories.

git itself is the oracle: status must agree with
`git status --porcelain=v2 --branch` on many kinds of repository, and
write nothing where git status would write nothing.

The binary is named by the REPOPOOL environment variable; each test has
the sandbox of tests/lib/base.py.
"""

import hashlib
import os
import struct
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.base import TestCase  # noqa: E402
from lib.porcelain import GIT_KEYS, parse_porcelain_v2  # noqa: E402
from lib.snapshots import tree_snapshot  # noqa: E402


class StatusAgreement(TestCase):
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
        """status takes no lock, and writes nothing where no stat data is
        stale (test_status_index.py has the repositories where it is)."""
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


class InheritedRepository(TestCase):
    """A repopool started where git is pointed at one repository (a hook,
    GIT_DIR set by hand) still works on each task's own repository."""

    def test_git_dir_and_friends_do_not_reach_the_tasks(self):
        other = self.new_repo(self.path("other"), {"o.txt": "o\n"})
        repos = [self.new_repo(self.path("r%d" % i), {"f.txt": "%d\n" % i}) for i in range(2)]
        # One of them big enough that its status is asked of git.
        self.write(os.path.join(repos[1], "many", "x.txt"), "x\n")
        for i in range(1200):
            self.write(os.path.join(repos[1], "many", "f%d.txt" % i), "%d\n" % i)
        self.git("add", "-A", cwd=repos[1])
        self.git("commit", "-qm", "many", cwd=repos[1])
        self.write(os.path.join(repos[1], "untracked.txt"), "u\n")
        env = dict(self.env, GIT_DIR=os.path.join(other, ".git"), GIT_WORK_TREE=other,
                   GIT_INDEX_FILE=os.path.join(other, ".git", "index"))
        res = self.repopool(["--no-tui"] + repos + ["--", "git", "rev-parse", "--show-toplevel"], env=env)
        self.assert_exit(res, 0)
        for repo, e in res.end_by_repo().items():
            self.assertEqual(e["summary"], os.path.realpath(repo), res.describe())
        res = self.repopool(["--no-tui", "--git", "status"] + repos, env=env)
        self.assert_exit(res, 0)
        self.assertEqual(res.end_by_repo()[repos[1]]["git"]["untracked"], 1, res.describe())


class Scan(TestCase):
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
        self.assertEqual(len(lines), 6, res.stdout)  # the table's header, four rows, the summary
        # Inside a repository's subdirectory, nothing is a repository.
        res = self.repopool(["--git", "status"], cwd=os.path.join(r["a"], "src"))
        self.assert_exit(res, 2)
        self.assertIn(b"no git repositories", res.stderr)


class Attention(TestCase):
    """What needs attention, set up by git the way users get there, shown
    as the marks of the JSON end event, the headless table, -q and
    --fail-on-attention."""

    def fleet(self):
        up = self.init(self.path("up.git"), bare=True)
        seed = self.new_repo(self.path("seed"), {"f.txt": "1\n"})
        self.git("remote", "add", "origin", up, cwd=seed)
        self.git("push", "-q", "-u", "origin", "main", cwd=seed)
        r = {}
        for name in ("clean", "behind", "ahead", "diverged", "dirty", "untracked", "detached", "conflicted"):
            r[name] = self.path("repos", name)
            self.git("clone", "-q", up, r[name])
            self.git("config", "user.email", "t@example.com", cwd=r[name])
            self.git("config", "user.name", "T", cwd=r[name])
        r["no-upstream"] = self.new_repo(self.path("repos", "no-upstream"))
        self.commit(seed, {"f.txt": "2\n"})
        self.git("push", "-q", "origin", "main", cwd=seed)
        for name in ("behind", "diverged", "conflicted"):
            self.git("fetch", "-q", cwd=r[name])
        self.commit(r["ahead"], {"mine.txt": "x\n"})
        self.commit(r["diverged"], {"mine.txt": "x\n"})
        self.write(os.path.join(r["dirty"], "f.txt"), "changed\n")
        self.write(os.path.join(r["untracked"], "new.txt"), "new\n")
        self.git("checkout", "-q", "--detach", "HEAD", cwd=r["detached"])
        self.commit(r["conflicted"], {"f.txt": "mine\n"})
        self.git("merge", "-q", "origin/main", cwd=r["conflicted"], check=False)
        return r

    WANT = {
        "clean": [], "behind": ["behind"], "ahead": ["ahead"], "diverged": ["diverged"],
        "dirty": ["dirty"], "untracked": ["untracked"], "detached": ["detached"],
        "conflicted": ["diverged", "conflicted", "in-progress"], "no-upstream": ["no-upstream"],
    }

    def test_marks_the_table_quiet_and_the_exit_status(self):
        r = self.fleet()
        paths = sorted(r.values())
        res = self.repopool(["--git", "status"] + paths)
        self.assert_exit(res, 0)
        ends = res.end_by_repo()
        for name, path in r.items():
            self.assertEqual(ends[path]["attention"], self.WANT[name], (name, ends[path]))

        res = self.repopool(["--git", "status"] + paths, json_events=False)
        self.assert_exit(res, 0)
        lines = res.stdout.decode().splitlines()
        self.assertRegex(lines[0], r"^REPOSITORY +BRANCH +AHEAD  BEHIND  ATTENTION$")
        rows = lines[1:-1]
        self.assertEqual([row.split()[0] for row in rows], paths, "sorted by repository")
        column = lines[0].index("ATTENTION")
        for row in rows:
            name = os.path.basename(row.split()[0])
            self.assertEqual(row[column:].split(), self.WANT[name], (row, lines[0]))
        self.assertRegex(lines[-1], r"^repopool: 9 tasks in ")
        by_name = {os.path.basename(row.split()[0]): row for row in rows}
        self.assertEqual(by_name["behind"].split()[1:4], ["main", "0", "1"])
        self.assertEqual(by_name["diverged"].split()[1:4], ["main", "1", "1"])
        self.assertEqual(by_name["detached"].split()[1], "(detached)")

        res = self.repopool(["--git", "status", "-q"] + paths, json_events=False)
        self.assert_exit(res, 0)
        listed = [os.path.basename(l.split()[0]) for l in res.stdout.decode().splitlines()[1:]]
        self.assertEqual(sorted(listed), sorted(n for n, w in self.WANT.items() if w))

        for fail, wanted in (([r["clean"]], 0), ([r["clean"], r["untracked"]], 1)):
            res = self.repopool(["--git", "status", "--fail-on-attention"] + fail, json_events=False)
            self.assert_exit(res, wanted)
        res = self.repopool(["--git", "status"] + [r["clean"], r["untracked"]], json_events=False)
        self.assert_exit(res, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
