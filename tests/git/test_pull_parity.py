#!/usr/bin/env python3
"""`repopool --git pull` side by side with `git pull --ff-only`.

The promise: a pull ends EXACTLY as `git pull --ff-only` would, or it
refuses (end status "skipped", or "failed" with a class that is not
transient) with the repository byte-for-byte as it was. Never a third
outcome.

Each test builds an upstream bare repository and a clone, puts the clone
into one state (the setup), and makes two identical copies of it. In copy A
runs `git pull --ff-only`, in copy B `repopool --git pull`. Then:

- repopool ended "ok": git must have succeeded too, and A and B must agree
  on HEAD, every branch, the worktree (bytes and modes), the index (as
  `git ls-files --stage`, `-v` and `--sparse` show it), `git status
  --porcelain=v2 --branch --untracked-files=all --ignored` and the hooks
  that ran.
- repopool did not end ok: its class is not transient, and copy B is as it
  was before the run: worktree (untracked and ignored files included), every
  file under .git except objects, remote-tracking refs, FETCH_HEAD and
  shallow (that is the fetch), and no hook ran. Where git failed too and
  repopool says "failed", B may instead end exactly as git left A; a
  "skipped" always means untouched, as the README promises.

Where git pulled and repopool refused, the test passes (repopool refuses
dirty worktrees git would carry along) and the difference is listed in a
summary printed at the end of the run.

The binary is named by the REPOPOOL environment variable:

    REPOPOOL=/path/to/build/repopool python3 tests/git/test_pull_parity.py -v
"""

import atexit
import difflib
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gitlib import GIT_TIMEOUT, TRANSIENT, GitTestCase, tree_snapshot  # noqa: E402

BASE = {"README": "v1\n", "keep.txt": "keep\n", "conflict.txt": "base\n",
        "lib/util.c": "int util;\n", ".gitignore": "*.log\nbuild/\n"}

# Hooks installed where a setup asks for hooks: each appends one line to the
# log outside the repository. stdin is drained so git never gets EPIPE.
HOOK = """#!/bin/sh
cat >/dev/null 2>&1
printf '%%s %%s\\n' '%s' "$*" >> '%s'
exit 0
"""

# Every hook git may run around a fetch, a status or a checkout.
ALL_HOOKS = ("post-merge", "post-checkout", "post-rewrite", "reference-transaction",
             "post-index-change", "pre-auto-gc", "pre-merge-commit", "pre-rebase",
             "pre-commit", "prepare-commit-msg", "commit-msg", "post-commit", "pre-push",
             "fsmonitor-watchman", "push-to-checkout", "sendemail-validate")

LONG_BRANCH = "a" * 200 + "/" + "b" * 200 + "/" + "c" * 198   # 600 bytes

SUMMARY = []   # one row per compared setup, printed when the run ends


class Link(str):
    """A symlink's target, as a value in a files dict."""


def _print_summary():
    if not SUMMARY:
        return
    out = sys.stderr
    out.write("\n=== pull parity: git pull --ff-only vs repopool --git pull ===\n")
    w = max(len(r["name"]) for r in SUMMARY)
    for r in SUMMARY:
        out.write("%-*s  git=%-4s repopool=%-18s %s\n" % (
            w, r["name"], r["git"], r["repopool"], r["verdict"]))
    differ = [r for r in SUMMARY if r["verdict"].startswith("git pulled")]
    out.write("\ngit pulled where repopool refused (%d):\n" % len(differ))
    for r in differ:
        out.write("  %s: %s\n" % (r["name"], r["summary"]))
    bad = [r for r in SUMMARY if r["verdict"].startswith("FAIL")]
    out.write("parity failures (%d): %s\n" % (len(bad), ", ".join(r["name"] for r in bad) or "none"))


atexit.register(_print_summary)


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def _digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def gitdir_snapshot(gitdir):
    """{relative path: kind, mode, digest} of everything under a .git
    directory a refused pull must leave alone: all but object stores,
    remote-tracking refs (and their logs), FETCH_HEAD and shallow, which a
    fetch may change. packed-refs is kept without its refs/remotes lines."""
    snap = {}
    if not os.path.isdir(gitdir):
        return snap
    for dirpath, dirnames, filenames in os.walk(gitdir):
        rel_dir = os.path.relpath(dirpath, gitdir)
        parts = [] if rel_dir == "." else rel_dir.split(os.sep)
        keep = []
        for d in dirnames:
            comp = parts + [d]
            if d == "objects" or (len(comp) >= 2 and comp[-2:] == ["refs", "remotes"]):
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in keep + filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if name in ("FETCH_HEAD", "shallow", "shallow.lock"):
                continue
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                snap[rel] = ("link", os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                snap[rel] = ("dir", stat.S_IMODE(st.st_mode))
            elif name == "packed-refs":
                with open(p, "rb") as f:
                    lines = [l for l in f.read().split(b"\n") if b"refs/remotes/" not in l]
                snap[rel] = ("packed-refs", stat.S_IMODE(st.st_mode), b"\n".join(lines))
            else:
                snap[rel] = ("file", stat.S_IMODE(st.st_mode), _digest(p))
    return snap


def dict_diff(before, after, label_a="before", label_b="after", limit=40):
    """Lines naming the keys that differ between two dicts."""
    lines = []
    for k in sorted(set(before) | set(after), key=repr):
        a, b = before.get(k, "<absent>"), after.get(k, "<absent>")
        if a != b:
            lines.append("  %r: %s=%r %s=%r" % (k, label_a, a, label_b, b))
    if len(lines) > limit:
        lines = lines[:limit] + ["  ... %d more" % (len(lines) - limit)]
    return lines


def text_diff(a, b, label_a, label_b, limit=60):
    a_lines = a.split("\0") if "\0" in a or "\0" in b else a.splitlines()
    b_lines = b.split("\0") if "\0" in a or "\0" in b else b.splitlines()
    d = list(difflib.unified_diff([repr(x) for x in a_lines], [repr(x) for x in b_lines],
                                  label_a, label_b, lineterm="", n=1))
    if len(d) > limit:
        d = d[:limit] + ["... %d more lines" % (len(d) - limit)]
    return ["    " + l for l in d]


class Outcome:
    """What one compare() saw, for setup-specific checks afterwards."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


class PullParity(GitTestCase):

    def setUp(self):
        super().setUp()
        with open(os.path.join(self.home, ".gitconfig"), "a") as f:
            f.write("[protocol \"file\"]\n\tallow = always\n")
        self.srv = self.init(self.path("srv", "origin.git"), bare=True)
        self.pusher = self.path("pusher")
        self.hooklog = self.path("hooks.log")
        self.marker = self.path("fsmonitor.log")

    # --- building blocks ---

    def put(self, root, files):
        """Writes files into root: {path: text|bytes|(content, mode)|Link|None}."""
        for rel, v in files.items():
            p = os.path.join(root, rel)
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p)
            elif os.path.lexists(p):
                os.unlink(p)
            if v is None:
                continue
            os.makedirs(os.path.dirname(p), exist_ok=True)
            if isinstance(v, Link):
                os.symlink(str(v), p)
            elif isinstance(v, tuple):
                self.write(p, v[0], mode=v[1])
            else:
                self.write(p, v)

    def start(self, files=None, branch="main", init_args=()):
        """The upstream's first commit, pushed from the pusher clone."""
        self.git("init", "-q", "-b", branch, *init_args, self.pusher)
        self.put(self.pusher, dict(BASE if files is None else files))
        self.git("add", "-A", "-f", cwd=self.pusher)
        self.git("commit", "-q", "-m", "initial", cwd=self.pusher)
        self.git("remote", "add", "origin", self.srv, cwd=self.pusher)
        self.git("push", "-q", "-u", "origin", branch, cwd=self.pusher)
        return self.rev(self.pusher, "HEAD")

    def up(self, files=None, branch=None, msg=None):
        """One more upstream commit (on branch, else the pusher's current one)."""
        if branch is not None:
            self.git("checkout", "-q", branch, cwd=self.pusher)
        self.put(self.pusher, files or {})
        self.git("add", "-A", "-f", cwd=self.pusher)
        self.git("commit", "-q", "--allow-empty", "-m", msg or self.unique("upstream"), cwd=self.pusher)
        cur = self.git("symbolic-ref", "--short", "HEAD", cwd=self.pusher).strip()
        self.git("push", "-q", "origin", "HEAD:refs/heads/" + cur, cwd=self.pusher)
        return self.rev(self.pusher, "HEAD")

    def work(self, *clone_args, src=None):
        """The clone every setup starts from (absolute-path remote, so copies
        of it fetch from the same place)."""
        p = self.path("base", "repo")
        self.git("clone", "-q", *clone_args, src or self.srv, p)
        return p

    def local_commit(self, repo, files, msg=None):
        self.put(repo, files)
        self.git("add", "-A", cwd=repo)
        self.git("commit", "-q", "--no-verify", "-m", msg or self.unique("local"), cwd=repo)
        return self.rev(repo, "HEAD")

    def install_hooks(self, repo=None, names=("post-merge", "post-checkout"), hookdir=None):
        d = hookdir or os.path.join(repo, ".git", "hooks")
        os.makedirs(d, exist_ok=True)
        for n in names:
            self.write(os.path.join(d, n), HOOK % (n, self.hooklog), mode=0o755)

    def log_lines(self, path):
        try:
            with open(path, "rb") as f:
                return f.read().decode("utf-8", "replace").splitlines()
        except FileNotFoundError:
            return []

    def run_git(self, repo, *args):
        p = subprocess.run(["git", "--no-optional-locks"] + list(args), cwd=repo, env=self.env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=GIT_TIMEOUT)
        out = p.stdout.decode("utf-8", "surrogateescape")
        if p.returncode != 0:
            out += "\n[exit %d] %s" % (p.returncode, p.stderr.decode("utf-8", "replace").strip())
        return out

    def view(self, repo):
        """What must agree between git's copy and repopool's after a pull."""
        g = lambda *a: self.run_git(repo, *a)  # noqa: E731
        return {
            "HEAD symbolic": g("symbolic-ref", "-q", "HEAD"),
            "HEAD commit": g("rev-parse", "-q", "--verify", "HEAD"),
            "refs/heads": g("for-each-ref", "--format=%(objectname) %(refname)", "refs/heads"),
            "ls-files --stage": g("ls-files", "--stage", "-z"),
            "ls-files -v": g("ls-files", "-v", "-z"),
            "ls-files --sparse --stage": g("ls-files", "--sparse", "--stage", "-z"),
            "status": g("status", "--porcelain=v2", "--branch", "--untracked-files=all",
                        "--ignored", "-z"),
            "worktree": tree_snapshot(repo),
        }

    def raw_state(self, repo):
        return {"worktree": tree_snapshot(repo),
                "gitdir": gitdir_snapshot(os.path.join(repo, ".git"))}

    def copies(self, base, *labels):
        out = []
        for label in labels:
            dst = self.path(label, os.path.basename(base))
            shutil.copytree(base, dst, symlinks=True)
            out.append(dst)
        return out

    # --- the comparison ---

    def compare(self, setup_fn, expect_ok=False, pull_args=()):
        """Builds the setup, pulls copy A with git and copy B with repopool,
        and checks the promise. Returns an Outcome for further checks."""
        base = setup_fn()
        a, b = self.copies(base, "A", "B")
        name = self.id().split(".")[-1]

        n0 = len(self.log_lines(self.hooklog))
        m0 = len(self.log_lines(self.marker))
        gp = subprocess.run(["git", "pull", "--ff-only"] + list(pull_args), cwd=a, env=self.env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            timeout=GIT_TIMEOUT)
        git_out = gp.stdout.decode("utf-8", "replace").strip()
        n1 = len(self.log_lines(self.hooklog))
        hooks_a = [l.replace(a, "<repo>") for l in self.log_lines(self.hooklog)[n0:n1]]

        before_b = self.raw_state(b)
        res = self.repopool(["--git", "pull", "--json", "--no-tui", b])
        lines = self.log_lines(self.hooklog)
        hooks_b = [l.replace(b, "<repo>") for l in lines[n1:]]
        marker_b = self.log_lines(self.marker)[m0:]

        ends = res.ends()
        self.assertEqual(len(ends), 1, res.describe())
        end = ends[0]
        status, cls, summary = end["status"], end["class"], end.get("summary", "")
        problems = []
        row = {"name": name, "git": str(gp.returncode), "repopool": "%s/%s" % (status, cls),
               "summary": summary, "verdict": ""}
        expected_exit = 0 if status == "ok" else 1
        if res.returncode != expected_exit:
            problems.append("repopool exit %s with end status %s" % (res.returncode, status))
        view_a = self.view(a)
        view_b = None

        if status == "ok":
            if gp.returncode != 0:
                problems.append("repopool ended ok but git pull --ff-only failed (exit %d): %s"
                                % (gp.returncode, git_out))
            view_b = self.view(b)
            for k in view_a:
                if view_a[k] != view_b[k]:
                    if isinstance(view_a[k], dict):
                        problems.append("%s differs (A=git, B=repopool):" % k)
                        problems.extend(dict_diff(view_a[k], view_b[k], "git", "repopool"))
                    else:
                        problems.append("%s differs:" % k)
                        problems.extend(text_diff(view_a[k], view_b[k], "git", "repopool"))
            if hooks_a != hooks_b:
                problems.append("hooks differ: git ran %r, repopool ran %r" % (hooks_a, hooks_b))
            row["verdict"] = "same" if not problems else "FAIL: " + problems[0][:90]
        else:
            if status not in ("skipped", "failed"):
                problems.append("end status %r is neither ok, skipped nor failed" % status)
            if cls in TRANSIENT:
                problems.append("class %r is transient, for a purely local reason" % cls)
            after_b = self.raw_state(b)
            untouched = []
            for k in before_b:
                if before_b[k] != after_b[k]:
                    untouched.append("%s changed by a refused pull:" % k)
                    untouched.extend(dict_diff(before_b[k], after_b[k]))
            if hooks_b:
                untouched.append("hooks ran in a refused pull: %r" % hooks_b)
            if untouched and gp.returncode != 0 and status == "failed":
                # git failed too: a failure that leaves B exactly as git left
                # A is allowed. "skipped" promises an untouched repository.
                view_b = self.view(b)
                same = view_a == view_b and hooks_a == hooks_b
                if not same:
                    problems.extend(untouched)
                    problems.append("...and B does not match where git left A either:")
                    for k in view_a:
                        if view_a[k] != view_b[k]:
                            problems.append("  %s differs from git's" % k)
            else:
                problems.extend(untouched)
            if problems:
                row["verdict"] = "FAIL: " + problems[0][:90]
            elif gp.returncode == 0:
                row["verdict"] = "git pulled, repopool refused"
            elif untouched:
                row["verdict"] = "both failed; B left exactly as git left A"
            else:
                row["verdict"] = "both refused"
        if expect_ok and status != "ok":
            problems.append("expected repopool to end ok here (git: exit %d)" % gp.returncode)
            row["verdict"] = "FAIL: expected ok, got %s/%s" % (status, cls)
        SUMMARY.append(row)
        if problems:
            self.fail("%s\nrepopool: %s/%s %r\ngit pull --ff-only: exit %d: %s\n%s" % (
                name, status, cls, summary, gp.returncode, git_out[-1500:],
                "\n".join(problems)[:12000]))
        return Outcome(a=a, b=b, base=base, git_rc=gp.returncode, git_out=git_out, res=res, end=end,
                       status=status, cls=cls, hooks_a=hooks_a, hooks_b=hooks_b,
                       marker_b=marker_b, view_a=view_a, view_b=view_b)

    def behind_setup(self, commits=1, files=None, **_):
        """Clean clone, upstream ahead by commits."""
        self.start(files)
        w = self.work()
        for i in range(commits):
            self.up({"README": "v%d\n" % (i + 2), "new/f%d.txt" % i: "n%d\n" % i})
        return w

    # === 1. the basic shapes ===

    def test_ff_one_commit(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"README": "v2\n", "new/deep/file.txt": "n\n", "keep.txt": None,
                     "lib/util.c": None, "tool.sh": ("#!/bin/sh\n", 0o755)})
            return w
        self.compare(setup, expect_ok=True)

    def test_ff_three_commits(self):
        self.compare(lambda: self.behind_setup(3), expect_ok=True)

    def test_already_up_to_date(self):
        def setup():
            self.start()
            return self.work()
        self.compare(setup, expect_ok=True)

    def test_ahead_only(self):
        def setup():
            self.start()
            w = self.work()
            self.local_commit(w, {"mine.txt": "unpushed\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_diverged(self):
        def setup():
            self.start()
            w = self.work()
            self.local_commit(w, {"mine.txt": "local\n"})
            self.up({"README": "v2\n"})
            return w
        self.compare(setup)

    def test_upstream_rewound(self):
        def setup():
            self.start()
            self.up({"README": "v2\n"})
            w = self.work()
            self.git("push", "-q", "-f", "origin", "HEAD~1:main", cwd=self.pusher)
            return w
        self.compare(setup)

    def test_detached_head(self):
        def setup():
            self.start()
            w = self.work()
            self.git("checkout", "-q", "--detach", "HEAD", cwd=w)
            self.up({"README": "v2\n"})
            return w
        self.compare(setup)

    def test_no_upstream(self):
        def setup():
            self.start()
            w = self.work()
            self.git("checkout", "-q", "-b", "local-only", cwd=w)
            self.up({"README": "v2\n"})
            return w
        self.compare(setup)

    def test_unborn_branch_without_upstream(self):
        def setup():
            self.start()
            w = self.init(self.path("base", "repo"))
            self.git("remote", "add", "origin", self.srv, cwd=w)
            self.write(os.path.join(w, "scratch.txt"), "untracked\n")
            return w
        self.compare(setup)

    def test_unborn_branch_with_upstream(self):
        def setup():
            self.start()
            w = self.init(self.path("base", "repo"))
            self.git("remote", "add", "origin", self.srv, cwd=w)
            self.git("config", "branch.main.remote", "origin", cwd=w)
            self.git("config", "branch.main.merge", "refs/heads/main", cwd=w)
            return w
        self.compare(setup)

    def test_upstream_deleted_on_remote(self):
        def setup():
            self.start()
            self.git("push", "-q", "origin", "main:doomed", cwd=self.pusher)
            w = self.work()
            self.git("checkout", "-q", "-b", "doomed", "--track", "origin/doomed", cwd=w)
            self.git("push", "-q", "origin", ":doomed", cwd=self.pusher)
            self.up({"README": "v2\n"}, branch="main")
            return w
        self.compare(setup)

    def test_upstream_deleted_and_pruned(self):
        def setup():
            self.start()
            self.git("push", "-q", "origin", "main:doomed", cwd=self.pusher)
            w = self.work()
            self.git("checkout", "-q", "-b", "doomed", "--track", "origin/doomed", cwd=w)
            self.git("push", "-q", "origin", ":doomed", cwd=self.pusher)
            self.git("fetch", "-q", "--prune", "origin", cwd=w)
            return w
        self.compare(setup)

    def test_upstream_of_another_name(self):
        def setup():
            self.start()
            self.git("push", "-q", "origin", "main:release", cwd=self.pusher)
            w = self.work()
            self.git("branch", "-q", "--set-upstream-to", "origin/release", "main", cwd=w)
            self.up({"README": "main moved\n"}, branch="main")
            self.git("checkout", "-q", "-b", "release", "origin/release", cwd=self.pusher)
            self.up({"README": "release moved\n", "rel.txt": "r\n"})
            return w
        self.compare(setup, expect_ok=True)

    # === 2. dirty worktrees and operations in progress ===

    def test_modified_file_touched_upstream(self):
        def setup():
            w = self.behind_setup()
            self.write(os.path.join(w, "README"), "local edit\n")
            return w
        self.compare(setup)

    def test_modified_file_not_touched_upstream(self):
        def setup():
            w = self.behind_setup()
            self.write(os.path.join(w, "keep.txt"), "local edit\n")
            return w
        self.compare(setup)

    def test_staged_change(self):
        def setup():
            w = self.behind_setup()
            self.write(os.path.join(w, "keep.txt"), "staged\n")
            self.git("add", "keep.txt", cwd=w)
            return w
        self.compare(setup)

    def test_staged_new_file(self):
        def setup():
            w = self.behind_setup()
            self.write(os.path.join(w, "added.txt"), "staged new\n")
            self.git("add", "added.txt", cwd=w)
            return w
        self.compare(setup)

    def test_intent_to_add_file(self):
        def setup():
            w = self.behind_setup()
            self.write(os.path.join(w, "ita.txt"), "intent\n")
            self.git("add", "-N", "ita.txt", cwd=w)
            return w
        self.compare(setup)

    def _side_conflict(self, w):
        """A side branch and main both change conflict.txt."""
        self.git("checkout", "-q", "-b", "side", cwd=w)
        self.local_commit(w, {"conflict.txt": "side\n"})
        self.git("checkout", "-q", "main", cwd=w)
        self.local_commit(w, {"conflict.txt": "main\n"})

    def test_unmerged_index_with_conflict_markers(self):
        def setup():
            w = self.behind_setup()
            self._side_conflict(w)
            self.git("merge", "side", cwd=w, check=False)
            for f in ("MERGE_HEAD", "MERGE_MSG", "MERGE_MODE", "AUTO_MERGE"):
                if os.path.exists(os.path.join(w, ".git", f)):
                    os.unlink(os.path.join(w, ".git", f))
            self.assertIn(b"<<<<<<<", read_bytes(os.path.join(w, "conflict.txt")))
            return w
        self.compare(setup)

    def test_merge_in_progress_with_conflicts(self):
        def setup():
            w = self.behind_setup()
            self._side_conflict(w)
            self.git("merge", "side", cwd=w, check=False)
            self.assertTrue(os.path.exists(os.path.join(w, ".git", "MERGE_HEAD")))
            return w
        self.compare(setup)

    def test_merge_in_progress_without_conflicts(self):
        """MERGE_HEAD, everything staged, main itself not ahead."""
        def setup():
            self.start()
            w = self.work()
            self.git("checkout", "-q", "-b", "side", cwd=w)
            self.local_commit(w, {"side.txt": "side\n"})
            self.git("checkout", "-q", "main", cwd=w)
            self.git("merge", "--no-ff", "--no-commit", "side", cwd=w)
            self.assertTrue(os.path.exists(os.path.join(w, ".git", "MERGE_HEAD")))
            self.up({"README": "v2\n"})
            return w
        self.compare(setup)

    def test_rebase_in_progress(self):
        def setup():
            w = self.behind_setup()
            self._side_conflict(w)
            self.git("rebase", "side", cwd=w, check=False)
            self.assertTrue(os.path.isdir(os.path.join(w, ".git", "rebase-merge")))
            return w
        self.compare(setup)

    def test_cherry_pick_in_progress(self):
        def setup():
            self.start()
            self.up({"conflict.txt": "two\n"})
            w = self.work()
            self.git("checkout", "-q", "-b", "side", "HEAD~1", cwd=w)
            self.local_commit(w, {"conflict.txt": "side\n"})
            self.git("checkout", "-q", "main", cwd=w)
            self.git("cherry-pick", "side", cwd=w, check=False)
            self.assertTrue(os.path.exists(os.path.join(w, ".git", "CHERRY_PICK_HEAD")))
            self.up({"README": "v3\n"})
            return w
        self.compare(setup)

    def test_revert_in_progress(self):
        def setup():
            self.start()
            self.up({"conflict.txt": "two\n"})
            self.up({"conflict.txt": "three\n"})
            w = self.work()
            self.git("revert", "--no-edit", "HEAD~1", cwd=w, check=False)
            self.assertTrue(os.path.exists(os.path.join(w, ".git", "REVERT_HEAD")))
            self.up({"README": "v4\n"})
            return w
        self.compare(setup)

    def test_skip_worktree_file_modified(self):
        def setup():
            w = self.behind_setup()
            self.git("update-index", "--skip-worktree", "keep.txt", cwd=w)
            self.write(os.path.join(w, "keep.txt"), "hidden local edit\n")
            return w
        self.compare(setup)

    def test_assume_unchanged_file_modified_and_touched_upstream(self):
        def setup():
            w = self.behind_setup()
            self.git("update-index", "--assume-unchanged", "README", cwd=w)
            self.write(os.path.join(w, "README"), "hidden local edit\n")
            return w
        self.compare(setup)

    # === 3. untracked and ignored files ===

    def test_untracked_file_in_the_way(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"incoming.txt": "from upstream\n"})
            self.write(os.path.join(w, "incoming.txt"), "mine, untracked\n")
            return w
        self.compare(setup)

    def test_untracked_file_in_the_way_same_content(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"incoming.txt": "same\n"})
            self.write(os.path.join(w, "incoming.txt"), "same\n")
            return w
        self.compare(setup)

    def test_untracked_file_in_the_way_deep(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"newdir/deep/file.c": "int deep;\n"})
            self.write(os.path.join(w, "newdir/deep/file.c"), "mine\n")
            return w
        self.compare(setup)

    def test_ignored_file_in_the_way(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"incoming.log": "tracked upstream despite the ignore rule\n"})
            self.write(os.path.join(w, "incoming.log"), "my ignored log\n")
            return w
        self.compare(setup)

    def test_untracked_and_ignored_unrelated_survive(self):
        def setup():
            w = self.behind_setup(2)
            self.write(os.path.join(w, "scratch.txt"), "mine\n")
            self.write(os.path.join(w, "notes/deep/n.txt"), "mine\n")
            self.write(os.path.join(w, "debug.log"), "ignored\n")
            self.write(os.path.join(w, "build/out.o"), b"\x00obj")
            return w
        self.compare(setup, expect_ok=True)

    # === 4. directories and files trading places ===

    def _dir_to_file(self, extra):
        self.start(dict(BASE, **{"d/x": "x\n", "d/y": "y\n"}))
        w = self.work()
        self.up({"d": "now a file\n"})
        for rel, content in extra.items():
            self.write(os.path.join(w, rel), content)
        return w

    def test_dir_to_file_with_untracked_inside(self):
        self.compare(lambda: self._dir_to_file({"d/untracked.txt": "mine\n"}))

    def test_dir_to_file_with_ignored_inside(self):
        self.compare(lambda: self._dir_to_file({"d/trace.log": "ignored\n"}))

    def test_dir_to_file_clean(self):
        self.compare(lambda: self._dir_to_file({}), expect_ok=True)

    def test_file_to_dir_clean(self):
        def setup():
            self.start(dict(BASE, f="a file\n"))
            w = self.work()
            self.up({"f": None, "f/inner.txt": "now a directory\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_incoming_dir_over_untracked_file(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"e/inner.txt": "incoming directory\n"})
            self.write(os.path.join(w, "e"), "my untracked file named e\n")
            return w
        self.compare(setup)

    def test_incoming_dir_over_ignored_file(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"e.log/inner.txt": "incoming directory\n"})
            self.write(os.path.join(w, "e.log"), "my ignored file\n")
            return w
        self.compare(setup)

    # === 5. deletions, renames, modes, symlinks ===

    def test_upstream_deletes_locally_modified_file(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"keep.txt": None})
            self.write(os.path.join(w, "keep.txt"), "local edit\n")
            return w
        self.compare(setup)

    def test_upstream_renames(self):
        def setup():
            self.start(dict(BASE, **{"lib/b.c": "int b;\n" * 20}))
            w = self.work()
            self.git("mv", "lib/util.c", "lib/util2.c", cwd=self.pusher)
            os.makedirs(os.path.join(self.pusher, "src"))
            self.git("mv", "lib/b.c", "src/b.c", cwd=self.pusher)
            self.up({"src/b.c": "int b;\n" * 20 + "int b2;\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_mode_change_exec(self):
        def setup():
            self.start(dict(BASE, **{"run.sh": "#!/bin/sh\necho hi\n"}))
            w = self.work()
            os.chmod(os.path.join(self.pusher, "run.sh"), 0o755)
            self.up()
            return w
        self.compare(setup, expect_ok=True)

    def test_symlink_added(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"link": Link("keep.txt"), "dirlink": Link("lib")})
            return w
        self.compare(setup, expect_ok=True)

    def test_symlink_changed(self):
        def setup():
            self.start(dict(BASE, link=Link("keep.txt")))
            w = self.work()
            self.up({"link": Link("README")})
            return w
        self.compare(setup, expect_ok=True)

    def test_file_replaced_by_symlink(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"keep.txt": Link("README")})
            return w
        self.compare(setup, expect_ok=True)

    def test_symlink_replaced_by_file(self):
        def setup():
            self.start(dict(BASE, link=Link("keep.txt")))
            w = self.work()
            self.up({"link": "a plain file now\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_exec_bit_with_filemode_false(self):
        def setup():
            self.start(dict(BASE, **{"run.sh": "#!/bin/sh\n"}))
            w = self.work()
            self.git("config", "core.fileMode", "false", cwd=w)
            os.chmod(os.path.join(self.pusher, "run.sh"), 0o755)
            self.up({"README": "v2\n"})
            return w
        self.compare(setup)

    def test_local_chmod_with_filemode_false(self):
        """Not a change when core.fileMode=false: git fast-forwards."""
        def setup():
            w = self.behind_setup()
            self.git("config", "core.fileMode", "false", cwd=w)
            os.chmod(os.path.join(w, "README"), 0o755)
            return w
        self.compare(setup)

    def test_symlinks_false(self):
        def setup():
            self.start()
            w = self.work()
            self.git("config", "core.symlinks", "false", cwd=w)
            self.up({"link": Link("keep.txt")})
            return w
        self.compare(setup)

    # === 6. locks ===

    def test_index_lock_held(self):
        def setup():
            w = self.behind_setup()
            self.write(os.path.join(w, ".git", "index.lock"), b"")
            return w
        self.compare(setup)

    def test_stale_head_lock(self):
        def setup():
            w = self.behind_setup()
            self.write(os.path.join(w, ".git", "HEAD.lock"), b"")
            return w
        self.compare(setup)

    def test_stale_branch_lock(self):
        def setup():
            w = self.behind_setup()
            self.write(os.path.join(w, ".git", "refs", "heads", "main.lock"), b"")
            return w
        self.compare(setup)

    # === 7. filters and attributes ===

    UPPER = ("-c", "filter.upper.smudge=tr a-z A-Z", "-c", "filter.upper.clean=tr A-Z a-z")

    def _upper(self, required):
        self.start(dict(BASE, **{".gitattributes": "*.dat filter=upper\n", "x.dat": "lower case\n"}))
        w = self.work(*self.UPPER, *(("-c", "filter.upper.required=true") if required else ()))
        self.assertEqual(read_bytes(os.path.join(w, "x.dat")), b"LOWER CASE\n")
        self.up({"x.dat": "changed upstream\n", "y.dat": "new file\n"})
        return w

    def test_filter_upper(self):
        self.compare(lambda: self._upper(False))

    def test_filter_upper_required(self):
        self.compare(lambda: self._upper(True))

    def _lfs_missing(self, clean):
        self.start(dict(BASE, **{".gitattributes": "*.bin filter=lfs\n", "a.bin": "pointer v1\n"}))
        w = self.work()
        self.git("config", "filter.lfs.smudge", "git-lfs-does-not-exist smudge %f", cwd=w)
        self.git("config", "filter.lfs.required", "true", cwd=w)
        if clean:
            self.git("config", "filter.lfs.clean", clean, cwd=w)
        self.up({"a.bin": "pointer v2\n", "b.bin": "pointer b\n"})
        return w

    def test_filter_lfs_smudge_missing_required(self):
        self.compare(lambda: self._lfs_missing(None))

    def test_filter_lfs_smudge_missing_required_with_clean(self):
        self.compare(lambda: self._lfs_missing("cat"))

    def test_eol_crlf(self):
        def setup():
            self.start(dict(BASE, **{".gitattributes": "* text=auto eol=crlf\n"}))
            w = self.work()
            self.assertIn(b"\r\n", read_bytes(os.path.join(w, "README")))
            self.up({"README": "v2\nline two\n", "new.txt": "one\ntwo\n"})
            return w
        self.compare(setup)

    def test_autocrlf_true(self):
        def setup():
            self.start()
            w = self.work("-c", "core.autocrlf=true")
            self.up({"README": "v2\nline two\n", "new.txt": "one\ntwo\n"})
            return w
        self.compare(setup)

    def test_ident(self):
        def setup():
            self.start(dict(BASE, **{".gitattributes": "*.c ident\n", "lib/util.c": "/* $Id$ */\n"}))
            w = self.work()
            self.assertIn(b"$Id: ", read_bytes(os.path.join(w, "lib/util.c")))
            self.up({"lib/util.c": "/* $Id$ */\nint v2;\n", "lib/new.c": "/* $Id$ */\n"})
            return w
        self.compare(setup)

    # === 8. sparse checkouts ===

    SPARSE = dict(BASE, **{"dir1/a.txt": "a1\n", "dir1/sub/b.txt": "b1\n", "dir2/c.txt": "c1\n"})
    SPARSE_UP = {"dir1/a.txt": "a2\n", "dir1/new.txt": "n\n", "dir2/c.txt": "c2\n",
                 "dir2/new.txt": "n\n", "README": "v2\n"}

    def test_sparse_cone(self):
        def setup():
            self.start(self.SPARSE)
            w = self.work()
            self.git("sparse-checkout", "set", "dir1", cwd=w)
            self.assertTrue(os.path.exists(os.path.join(w, ".git", "config.worktree")))
            self.assertFalse(os.path.exists(os.path.join(w, "dir2")))
            self.up(self.SPARSE_UP)
            return w
        self.compare(setup, expect_ok=True)

    def test_sparse_non_cone(self):
        def setup():
            self.start(self.SPARSE)
            w = self.work()
            self.git("config", "core.sparseCheckout", "true", cwd=w)
            self.write(os.path.join(w, ".git", "info", "sparse-checkout"), "/*\n!/dir2/\n")
            self.git("read-tree", "-mu", "HEAD", cwd=w)
            self.assertFalse(os.path.exists(os.path.join(w, "dir2")))
            self.up(self.SPARSE_UP)
            return w
        self.compare(setup)

    def test_sparse_index(self):
        def setup():
            self.start(self.SPARSE)
            w = self.work()
            self.git("sparse-checkout", "init", "--cone", "--sparse-index", cwd=w)
            self.git("sparse-checkout", "set", "dir1", cwd=w)
            self.assertIn("dir2/", self.git("ls-files", "--sparse", cwd=w))
            self.up(self.SPARSE_UP)
            return w
        self.compare(setup)

    # === 9. shallow clones ===

    def _shallow(self, ahead):
        self.start()
        for i in range(2):
            self.up({"hist.txt": "old %d\n" % i})
        w = self.work("--depth", "1", src="file://" + self.srv)
        self.assertTrue(os.path.exists(os.path.join(w, ".git", "shallow")))
        for i in range(ahead):
            self.up({"README": "v%d\n" % (i + 10), "n%d.txt" % i: "n\n"})
        return w

    def _status_behind(self, w, ahead):
        """repopool --git status after a fetch agrees with git's behind count."""
        c = self.copies(w, "C")[0]
        self.git("fetch", "-q", cwd=c)
        git_ab = [l for l in self.git("status", "--porcelain=v2", "--branch", cwd=c).splitlines()
                  if l.startswith("# branch.ab ")]
        self.assertEqual(git_ab, ["# branch.ab +0 -%d" % ahead])
        res = self.repopool(["--git", "status", "--json", "--no-tui", c])
        e = res.ends()[-1]
        self.assertEqual((e["status"], e.get("git", {}).get("behind"), e.get("git", {}).get("ahead")),
                         ("ok", ahead, 0), res.describe())

    def test_shallow_behind_one(self):
        base = {}

        def setup():
            base["w"] = self._shallow(1)
            return base["w"]
        try:
            self.compare(setup)
        finally:
            if "w" in base:
                self._status_behind(base["w"], 1)

    def test_shallow_behind_three(self):
        base = {}

        def setup():
            base["w"] = self._shallow(3)
            return base["w"]
        try:
            self.compare(setup)
        finally:
            if "w" in base:
                self._status_behind(base["w"], 3)

    # === 10. submodules ===

    def _submodule(self, recurse):
        subsrv = self.init(self.path("srv", "sub.git"), bare=True)
        subpush = self.new_repo(self.path("subpusher"), {"s.txt": "s1\n"})
        self.git("remote", "add", "origin", subsrv, cwd=subpush)
        self.git("push", "-q", "-u", "origin", "main", cwd=subpush)
        self.start()
        self.git("submodule", "add", "-q", subsrv, "sub", cwd=self.pusher)
        self.up(msg="add submodule")
        w = self.work("--recurse-submodules")
        self.assertTrue(os.path.exists(os.path.join(w, "sub", "s.txt")))
        if recurse:
            self.git("config", "submodule.recurse", "true", cwd=w)
        self.commit(subpush, {"s.txt": "s2\n", "s-new.txt": "new\n"})
        self.git("push", "-q", "origin", "main", cwd=subpush)
        self.git("-C", "sub", "pull", "-q", "--ff-only", cwd=self.pusher)
        self.up({"README": "v2\n"}, msg="move submodule")
        return w

    def test_submodule_moved(self):
        self.compare(lambda: self._submodule(False))

    def test_submodule_moved_recurse(self):
        self.compare(lambda: self._submodule(True))

    # === 11. hooks and fsmonitor ===

    def test_hooks_post_merge_and_post_checkout(self):
        def setup():
            w = self.behind_setup()
            self.install_hooks(w)
            return w
        o = self.compare(setup)
        # The setup is effective: git ran post-merge on its fast-forward.
        self.assertTrue(any(l.startswith("post-merge") for l in o.hooks_a), o.hooks_a)

    def test_hooks_path(self):
        def setup():
            w = self.behind_setup()
            hookdir = self.path("hookdir")
            self.install_hooks(hookdir=hookdir, names=("post-merge",))
            self.git("config", "core.hooksPath", hookdir, cwd=w)
            return w
        o = self.compare(setup)
        self.assertTrue(any(l.startswith("post-merge") for l in o.hooks_a), o.hooks_a)

    def _watched_repo(self, sparse_index=False):
        """A repository behind its upstream, every hook installed, fsmonitor
        set to a script that notes each call."""
        if sparse_index:
            self.start(self.SPARSE)
        else:
            self.start()
        w = self.work()
        if sparse_index:
            self.git("sparse-checkout", "init", "--cone", "--sparse-index", cwd=w)
            self.git("sparse-checkout", "set", "dir1", cwd=w)
        self.install_hooks(w, names=ALL_HOOKS)
        script = self.path("fsmonitor.sh")
        self.write(script, "#!/bin/sh\necho \"fsmonitor $*\" >> '%s'\nexit 1\n" % self.marker, mode=0o755)
        self.git("config", "core.fsmonitor", script, cwd=w)
        self.up({"README": "v2\n"})
        self.write(os.path.join(w, "scratch.txt"), "untracked\n")
        return w

    def _check_quiet_op(self, w, op):
        b = self.copies(w, "B-" + op)[0]
        before = self.raw_state(b)
        n0, m0 = len(self.log_lines(self.hooklog)), len(self.log_lines(self.marker))
        res = self.repopool(["--git", op, "--json", "--no-tui", b])
        e = res.ends()[-1]
        hooks = self.log_lines(self.hooklog)[n0:]
        marks = self.log_lines(self.marker)[m0:]
        problems = []
        if e["status"] != "ok":
            problems.append("--git %s ended %s/%s: %s" % (op, e["status"], e["class"], e.get("summary")))
        if hooks:
            problems.append("--git %s ran hooks: %r" % (op, hooks))
        if marks:
            problems.append("--git %s ran core.fsmonitor: %r" % (op, marks))
        if op == "status":
            after = self.raw_state(b)
            for k in before:
                if before[k] != after[k]:
                    problems.append("--git status changed %s:" % k)
                    problems.extend(dict_diff(before[k], after[k]))
        self.assertFalse(problems, "\n".join(problems) + "\n" + res.describe())

    def test_status_and_fetch_run_no_hooks(self):
        w = self._watched_repo()
        # The setup is effective: git's own fetch runs the reference-transaction
        # hook and git's status runs the fsmonitor.
        c = self.copies(w, "C")[0]
        self.git("fetch", "-q", cwd=c)
        self.assertTrue(any(l.startswith("reference-transaction") for l in self.log_lines(self.hooklog)))
        self.git("status", "--porcelain", cwd=c)
        self.assertTrue(self.log_lines(self.marker))
        self._check_quiet_op(w, "status")
        self._check_quiet_op(w, "fetch")

    def test_status_does_not_run_fsmonitor(self):
        w = self._watched_repo()
        c = self.copies(w, "C")[0]
        self.git("--no-optional-locks", "status", "--porcelain", cwd=c)
        self.assertTrue(self.log_lines(self.marker), "git status did not call the fsmonitor script")
        self._check_quiet_op(w, "status")

    def test_status_on_sparse_index_runs_no_fsmonitor_or_hooks(self):
        w = self._watched_repo(sparse_index=True)
        c = self.copies(w, "C")[0]
        self.git("--no-optional-locks", "status", "--porcelain", cwd=c)
        self.assertTrue(self.log_lines(self.marker), "git status did not call the fsmonitor script")
        self._check_quiet_op(w, "status")

    # === 12. branch names ===

    def test_long_branch_name(self):
        """A 600-byte branch, beside branches named by its truncations (to
        the lengths a fixed buffer would cut it to), locally and upstream."""
        cuts = (244, 248, 255, 491, 500, 504, 511)

        def setup():
            self.start()
            for n in cuts:
                self.git("checkout", "-q", "-b", LONG_BRANCH[:n], "main", cwd=self.pusher)
                self.up({"upstream-cut.txt": "%d\n" % n})
            self.git("checkout", "-q", "-b", LONG_BRANCH, "main", cwd=self.pusher)
            self.up({"long.txt": "first\n"})
            w = self.work()
            self.git("checkout", "-q", "--track", "origin/" + LONG_BRANCH, cwd=w)
            self.assertEqual(self.git("symbolic-ref", "HEAD", cwd=w).strip(), "refs/heads/" + LONG_BRANCH)
            for n in cuts:
                tree = self.rev(w, "main^{tree}")
                c = self.git("commit-tree", tree, "-p", "main", "-m", "sibling %d" % n, cwd=w).strip()
                self.git("update-ref", "refs/heads/" + LONG_BRANCH[:n], c, cwd=w)
            self.up({"long.txt": "second\n"}, branch=LONG_BRANCH)
            return w
        o = self.compare(setup, expect_ok=True)
        self.assertEqual(o.view_b["HEAD symbolic"].strip(), "refs/heads/" + LONG_BRANCH)

    def _odd_branch(self, name):
        self.start()
        self.git("checkout", "-q", "-b", name, cwd=self.pusher)
        self.up({"odd.txt": "first\n"})
        w = self.work("-b", name)
        self.up({"odd.txt": "second\n"})
        return w

    def test_branch_name_utf8(self):
        self.compare(lambda: self._odd_branch("feature/ü-x"), expect_ok=True)

    def test_branch_name_dot(self):
        self.compare(lambda: self._odd_branch("a.b"), expect_ok=True)

    def test_branch_name_at(self):
        self.compare(lambda: self._odd_branch("x@y"), expect_ok=True)

    def test_branch_name_odd_punctuation(self):
        self.compare(lambda: self._odd_branch("release/1.0_rc+1=#%,!"), expect_ok=True)

    # === 13. odd paths ===

    def test_paths_spaces_tabs_dashes(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"with space.txt": "s\n", "tab\there.txt": "t\n", "-leading-dash": "d\n",
                     "--also": "d\n", "dir with space/x y": "z\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_path_newline(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"new\nline.txt": "nl\n", "end\n": "nl\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_path_carriage_return(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"cr\rname.txt": "cr\n", "trailing\r": "cr\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_path_invalid_utf8(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"bad\udcff\udcfe.txt": "latin\n", "dir\udce9/x": "x\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_case_only_rename(self):
        def setup():
            self.start(dict(BASE, **{"Docs/Guide.md": "guide\n"}))
            w = self.work()
            self.git("mv", "README", "readme", cwd=self.pusher)
            self.git("mv", "Docs", "docs", cwd=self.pusher)
            self.up()
            return w
        self.compare(setup, expect_ok=True)

    # === 14. a local upstream ===

    def test_local_upstream(self):
        def setup():
            self.start()
            w = self.work()
            self.git("branch", "-q", "--track", "topic", "main", cwd=w)
            self.assertEqual(self.git("config", "branch.topic.remote", cwd=w).strip(), ".")
            self.local_commit(w, {"README": "moved on main\n", "m.txt": "m\n"})
            self.git("checkout", "-q", "topic", cwd=w)
            return w
        self.compare(setup, expect_ok=True)

    # === 15. pull configuration ===

    def test_pull_rebase_true(self):
        def setup():
            w = self.behind_setup(2)
            self.git("config", "pull.rebase", "true", cwd=w)
            return w
        self.compare(setup)

    def test_pull_rebase_true_diverged(self):
        def setup():
            self.start()
            w = self.work()
            self.local_commit(w, {"mine.txt": "local\n"})
            self.up({"README": "v2\n"})
            self.git("config", "pull.rebase", "true", cwd=w)
            return w
        self.compare(setup)

    def test_pull_ff_false(self):
        def setup():
            w = self.behind_setup(2)
            self.git("config", "pull.ff", "false", cwd=w)
            return w
        self.compare(setup)

    def test_branch_rebase_true(self):
        def setup():
            w = self.behind_setup()
            self.git("config", "branch.main.rebase", "true", cwd=w)
            return w
        self.compare(setup)

    # === index formats ===

    def test_index_version_4(self):
        def setup():
            w = self.behind_setup()
            self.git("update-index", "--index-version", "4", cwd=w)
            return w
        self.compare(setup)

    def test_split_index(self):
        def setup():
            w = self.behind_setup()
            self.git("config", "core.splitIndex", "true", cwd=w)
            self.git("update-index", "--split-index", cwd=w)
            self.assertTrue(any(f.startswith("sharedindex.") for f in os.listdir(os.path.join(w, ".git"))))
            return w
        self.compare(setup)

    def test_untracked_cache(self):
        def setup():
            w = self.behind_setup()
            self.git("config", "core.untrackedCache", "true", cwd=w)
            self.git("update-index", "--untracked-cache", cwd=w)
            self.write(os.path.join(w, "scratch.txt"), "mine\n")
            self.git("status", "--porcelain", cwd=w)
            return w
        self.compare(setup)

    # === more remotes, refspecs and repository formats ===

    def test_upstream_on_second_remote_with_slash(self):
        """main tracks team/up/main (remote "team/up"), which is ahead of
        origin: the pull must fetch and follow that remote, not origin."""
        def setup():
            self.start()
            srv2 = self.path("srv", "second.git")
            self.git("clone", "-q", "--bare", self.srv, srv2)
            w = self.work()
            self.git("remote", "add", "team/up", srv2, cwd=w)
            self.git("fetch", "-q", "team/up", cwd=w)
            self.git("branch", "-q", "--set-upstream-to", "team/up/main", cwd=w)
            self.up({"README": "origin only\n"})
            self.git("remote", "add", "second", srv2, cwd=self.pusher)
            self.up({"second.txt": "second remote\n"})
            self.git("push", "-q", "second", "main", cwd=self.pusher)
            self.up({"README": "origin again\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_nonstandard_fetch_refspec(self):
        def setup():
            self.start()
            w = self.work()
            self.git("config", "remote.origin.fetch", "+refs/heads/*:refs/remotes/elsewhere/*", cwd=w)
            self.git("fetch", "-q", "origin", cwd=w)
            self.git("branch", "-q", "--set-upstream-to", "elsewhere/main", cwd=w)
            self.up({"README": "v2\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_url_insteadof(self):
        def setup():
            self.start()
            w = self.work()
            self.git("config", "url.%s/.insteadOf" % os.path.dirname(self.srv), "srvalias:", cwd=w)
            self.git("remote", "set-url", "origin", "srvalias:origin.git", cwd=w)
            self.up({"README": "v2\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_sha256_repository(self):
        def setup():
            self.srv = self.path("srv", "sha256.git")
            self.git("init", "-q", "--bare", "-b", "main", "--object-format=sha256", self.srv)
            self.start(init_args=("--object-format=sha256",))
            w = self.work()
            self.assertEqual(len(self.rev(w, "HEAD")), 64)
            self.up({"README": "v2\n"})
            return w
        self.compare(setup)

    def test_partial_clone_blobless(self):
        def setup():
            self.start()
            self.git("config", "uploadpack.allowFilter", "true", cwd=self.srv)
            w = self.work("--filter=blob:none", src="file://" + self.srv)
            self.assertEqual(self.git("config", "remote.origin.promisor", cwd=w).strip(), "true")
            self.up({"README": "v2\n", "big.txt": "blob fetched on demand\n"})
            return w
        self.compare(setup)

    # === more worktree shapes ===

    def test_local_chmod_only(self):
        """A mode-only local change to a file upstream leaves alone."""
        def setup():
            w = self.behind_setup()
            os.chmod(os.path.join(w, "keep.txt"), 0o755)
            return w
        self.compare(setup)

    def test_upstream_adds_gitattributes_eol(self):
        """New attributes arrive with a change: git rewrites only the files
        the fast-forward touches."""
        def setup():
            self.start(dict(BASE, **{"a.txt": "a\n", "b.txt": "b\n"}))
            w = self.work()
            self.up({".gitattributes": "*.txt text eol=crlf\n", "a.txt": "a2\n"})
            return w
        self.compare(setup)

    def test_working_tree_encoding_utf16(self):
        def setup():
            attrs = "*.u16 text working-tree-encoding=UTF-16LE eol=lf\n"
            self.start(dict(BASE, **{".gitattributes": attrs, "x.u16": "hello\n".encode("utf-16le")}))
            w = self.work()
            self.assertEqual(read_bytes(os.path.join(w, "x.u16")), "hello\n".encode("utf-16le"))
            self.up({"x.u16": "changed\n".encode("utf-16le"), "y.u16": "new\n".encode("utf-16le")})
            return w
        self.compare(setup)

    def test_paths_glob_and_backslash(self):
        def setup():
            self.start()
            w = self.work()
            self.up({"back\\slash.txt": "b\n", "star*.txt": "s\n", "q?.txt": "q\n", ":colon": "c\n",
                     "[brackets]": "b\n", "$(echo pwned)": "x\n", "'quote\"": "q\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_long_incoming_path(self):
        """A path that brings the absolute name close to PATH_MAX (4096)."""
        def setup():
            self.start()
            w = self.work()
            longest = max(len(self.path(d, "repo")) for d in ("A", "B", "base", "pusher"))
            room = 4090 - longest - 1
            comps, left = [], room
            while left > 0:
                n = min(200, left)
                if left - n == 1:
                    n -= 2
                comps.append("p" * n)
                left -= n + 1
            rel = "/".join(comps)
            self.assertLessEqual(len(self.path("B", "repo", rel)), 4095)
            self.up({rel: "deep\n", "README": "v2\n"})
            return w
        self.compare(setup, expect_ok=True)

    def test_upstream_adds_submodule(self):
        def setup():
            subsrv = self.init(self.path("srv", "sub.git"), bare=True)
            subpush = self.new_repo(self.path("subpusher"), {"s.txt": "s1\n"})
            self.git("remote", "add", "origin", subsrv, cwd=subpush)
            self.git("push", "-q", "-u", "origin", "main", cwd=subpush)
            self.start()
            w = self.work()
            self.git("submodule", "add", "-q", subsrv, "sub", cwd=self.pusher)
            self.up(msg="add submodule")
            return w
        self.compare(setup, expect_ok=True)

    def test_upstream_removes_submodule(self):
        def setup():
            subsrv = self.init(self.path("srv", "sub.git"), bare=True)
            subpush = self.new_repo(self.path("subpusher"), {"s.txt": "s1\n"})
            self.git("remote", "add", "origin", subsrv, cwd=subpush)
            self.git("push", "-q", "-u", "origin", "main", cwd=subpush)
            self.start()
            self.git("submodule", "add", "-q", subsrv, "sub", cwd=self.pusher)
            self.up(msg="add submodule")
            w = self.work("--recurse-submodules")
            self.git("rm", "-q", "sub", cwd=self.pusher)
            self.up(msg="remove submodule")
            return w
        self.compare(setup)


if __name__ == "__main__":
    unittest.main(verbosity=2)
